package algorithms

import "math"

// Summary is a numeric column's distribution as pandas describes it: mean, median, the 10th and 90th
// percentiles (linear interpolation, pandas' and numpy's default) and the sample standard deviation
// (ddof 1). A statistic with no value (no values; an SD of one) is NaN.
type Summary struct {
	N                          int
	Mean, Median, P10, P90, SD float64
}

// Summarize describes values, which must hold no NaN, in linear time (selection, not sorting: segment
// profiles summarise a million values per column). It reorders values.
func Summarize(values []float64) Summary {
	s := Summary{N: len(values), Mean: math.NaN(), Median: math.NaN(), P10: math.NaN(), P90: math.NaN(), SD: math.NaN()}
	if len(values) == 0 {
		return s
	}
	mean, variance := meanVariance(values)
	s.Mean = mean
	if n := float64(len(values)); n > 1 {
		s.SD = math.Sqrt(variance * n / (n - 1))
	}
	s.Median = quantileSelect(values, 0.5)
	s.P10 = quantileSelect(values, 0.1)
	s.P90 = quantileSelect(values, 0.9)
	return s
}
