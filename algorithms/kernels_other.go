//go:build !amd64

package algorithms

var useAVX2 = false

func nearestAVX2(t *float64, stride, rows, d int, coef *float64, k int, labels *int32) {
	panic("unreachable")
}

func squaredDistancesAVX2(t *float64, stride, rows, d int, c *float64, out *float64) {
	panic("unreachable")
}

func distanceSumAVX2(t *float64, stride, rows, d int, c *float64) float64 { panic("unreachable") }

func setAVX2(bool) {}
