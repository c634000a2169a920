#include "textflag.h"

// func nearestAVX2(t *float64, stride, rows, d int, coef *float64, k int, labels *int32)
// For each group of four rows: for every centroid j, acc = bias_j - Σ_m x_m·coef_jm (one FMA per feature),
// and where acc < best, best and the label take acc and j; strict <, so ties keep the first centroid.
TEXT ·nearestAVX2(SB), NOSPLIT, $0-56
	MOVQ t+0(FP), SI
	MOVQ stride+8(FP), R8
	MOVQ rows+16(FP), CX
	MOVQ d+24(FP), R9
	MOVQ coef+32(FP), R10
	MOVQ k+40(FP), R11
	MOVQ labels+48(FP), DI
	MOVQ $0x7FF0000000000000, AX // +Inf
	MOVQ AX, X15
	VPBROADCASTQ X15, Y15
	MOVQ $0x3FF0000000000000, AX // 1.0
	MOVQ AX, X14
	VPBROADCASTQ X14, Y14

nrows:
	CMPQ CX, $4
	JL   ndone
	VMOVAPD Y15, Y0        // best score
	VXORPD  Y1, Y1, Y1     // best centroid, as a double
	VXORPD  Y2, Y2, Y2     // this centroid, as a double
	MOVQ    R10, R12       // coefficient cursor
	MOVQ    R11, R13       // centroids left

ncent:
	VBROADCASTSD (R12), Y3 // acc = bias_j
	ADDQ $8, R12
	MOVQ SI, BX            // feature m of these rows
	MOVQ R9, DX

ndim:
	VMOVUPD      (BX), Y4
	VBROADCASTSD (R12), Y5
	VFNMADD231PD Y5, Y4, Y3 // acc -= x_m · coef_jm
	ADDQ         $8, R12
	ADDQ         R8, BX
	DECQ         DX
	JNZ          ndim

	VCMPPD    $1, Y0, Y3, Y6 // acc < best
	VBLENDVPD Y6, Y3, Y0, Y0
	VBLENDVPD Y6, Y2, Y1, Y1
	VADDPD    Y14, Y2, Y2
	DECQ      R13
	JNZ       ncent

	VCVTTPD2DQY Y1, X1
	VMOVDQU     X1, (DI)
	ADDQ        $32, SI
	ADDQ        $16, DI
	SUBQ        $4, CX
	JMP         nrows

ndone:
	VZEROUPPER
	RET

// func squaredDistancesAVX2(t *float64, stride, rows, d int, c *float64, out *float64)
TEXT ·squaredDistancesAVX2(SB), NOSPLIT, $0-48
	MOVQ t+0(FP), SI
	MOVQ stride+8(FP), R8
	MOVQ rows+16(FP), CX
	MOVQ d+24(FP), R9
	MOVQ c+32(FP), R10
	MOVQ out+40(FP), DI

srows:
	CMPQ CX, $4
	JL   sdone
	VXORPD Y0, Y0, Y0
	MOVQ   SI, BX
	MOVQ   R10, R12
	MOVQ   R9, DX

sdim:
	VMOVUPD      (BX), Y1
	VBROADCASTSD (R12), Y2
	VSUBPD       Y2, Y1, Y1  // x_m - c_m
	VFMADD231PD  Y1, Y1, Y0  // acc += (x_m - c_m)²
	ADDQ         $8, R12
	ADDQ         R8, BX
	DECQ         DX
	JNZ          sdim

	VMOVUPD Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $4, CX
	JMP     srows

sdone:
	VZEROUPPER
	RET

// func distanceSumAVX2(t *float64, stride, rows, d int, c *float64) float64
TEXT ·distanceSumAVX2(SB), NOSPLIT, $0-48
	MOVQ t+0(FP), SI
	MOVQ stride+8(FP), R8
	MOVQ rows+16(FP), CX
	MOVQ d+24(FP), R9
	MOVQ c+32(FP), R10
	VXORPD Y7, Y7, Y7 // running sums of distances, four lanes

drows:
	CMPQ CX, $4
	JL   dtotal
	VXORPD Y0, Y0, Y0
	MOVQ   SI, BX
	MOVQ   R10, R12
	MOVQ   R9, DX

ddim:
	VMOVUPD      (BX), Y1
	VBROADCASTSD (R12), Y2
	VSUBPD       Y2, Y1, Y1
	VFMADD231PD  Y1, Y1, Y0
	ADDQ         $8, R12
	ADDQ         R8, BX
	DECQ         DX
	JNZ          ddim

	VSQRTPD Y0, Y0
	VADDPD  Y0, Y7, Y7
	ADDQ    $32, SI
	SUBQ    $4, CX
	JMP     drows

dtotal:
	VEXTRACTF128 $1, Y7, X1
	VADDPD       X1, X7, X7
	VHADDPD      X7, X7, X7
	VZEROUPPER
	MOVSD X7, ret+40(FP)
	RET
