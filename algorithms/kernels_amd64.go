package algorithms

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels; a variable so that tests can compare them with the Go ones.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// nearestAVX2 is nearestRows for rows, a multiple of 4, starting at t; columns are stride bytes apart.
//
//go:noescape
func nearestAVX2(t *float64, stride, rows, d int, coef *float64, k int, labels *int32)

// squaredDistancesAVX2 is squaredDistances for rows, a multiple of 4.
//
//go:noescape
func squaredDistancesAVX2(t *float64, stride, rows, d int, c *float64, out *float64)

// distanceSumAVX2 is distanceSum for rows, a multiple of 4.
//
//go:noescape
func distanceSumAVX2(t *float64, stride, rows, d int, c *float64) float64

func setAVX2(on bool) { useAVX2 = on && cpu.X86.HasAVX2 && cpu.X86.HasFMA }
