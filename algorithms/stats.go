package algorithms

import (
	"math"
	"math/bits"
	"slices"
)

// Column statistics shared by preprocessing, RFM scoring and cluster descriptions. They follow numpy's
// definitions (the ones scikit-learn's scalers and imputers call) so results agree with the golden files.

// pairwiseBlock is numpy's PW_BLOCKSIZE: below it, sums are accumulated in eight interleaved partial sums.
const pairwiseBlock = 128

// pairwiseSum adds a the way numpy's pairwise_sum does for a contiguous array: recursive halving down to
// blocks of 128 summed with eight accumulators. The error grows as O(log n) instead of the O(n) of a plain
// loop, which matters for million-row columns.
func pairwiseSum(a []float64) float64 {
	n := len(a)
	if n < 8 {
		s := 0.0
		for _, v := range a {
			s += v
		}
		return s
	}
	if n <= pairwiseBlock {
		r0, r1, r2, r3, r4, r5, r6, r7 := a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
		i := 8
		for ; i+8 <= n; i += 8 {
			b := a[i : i+8 : i+8]
			r0 += b[0]
			r1 += b[1]
			r2 += b[2]
			r3 += b[3]
			r4 += b[4]
			r5 += b[5]
			r6 += b[6]
			r7 += b[7]
		}
		s := ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	}
	half := n / 2
	half -= half % 8
	return pairwiseSum(a[:half]) + pairwiseSum(a[half:])
}

// deviationSums returns Σ(a[i]-t) and Σ(a[i]-t)², both summed pairwise. scikit-learn's
// _incremental_mean_and_var computes the variance as (Σd² - (Σd)²/n)/n with d = x - mean: the second term
// corrects the rounding error of the mean (the "corrected two-pass" algorithm of Chan, Golub and LeVeque).
func deviationSums(a []float64, t float64) (sum, sumSq float64) {
	n := len(a)
	if n <= pairwiseBlock {
		var s0, s1, q0, q1 float64
		i := 0
		for ; i+2 <= n; i += 2 {
			d0, d1 := a[i]-t, a[i+1]-t
			s0 += d0
			s1 += d1
			q0 += d0 * d0
			q1 += d1 * d1
		}
		if i < n {
			d := a[i] - t
			s0 += d
			q0 += d * d
		}
		return s0 + s1, q0 + q1
	}
	half := n / 2
	half -= half % 8
	s1, q1 := deviationSums(a[:half], t)
	s2, q2 := deviationSums(a[half:], t)
	return s1 + s2, q1 + q2
}

// meanVariance returns the mean and the population variance (ddof 0) of a, as StandardScaler computes them.
func meanVariance(a []float64) (mean, variance float64) {
	n := float64(len(a))
	mean = pairwiseSum(a) / n
	s, q := deviationSums(a, mean)
	variance = (q - s*s/n) / n
	if variance < 0 { // rounding on a constant column
		variance = 0
	}
	return mean, variance
}

// lerp interpolates between a and b as numpy's _lerp (numpy >= 1.22): from the nearer end, so that t = 1
// gives exactly b and the result is monotone in t.
func lerp(a, b, t float64) float64 {
	d := b - a
	if t >= 0.5 {
		return b - d*(1-t)
	}
	return a + d*t
}

// selectNth partially orders a (NaN-free) so that a[k] is the value a full sort would put there, with
// nothing greater before it and nothing smaller after it: quickselect (Hoare partition around a
// median-of-three pivot, which keeps heavy ties balanced), falling back to sorting the remaining range when
// it has taken too many rounds, so the worst case stays O(n log n). Average cost O(n), against O(n log n)
// for the sort that quantiles would otherwise need.
func selectNth(a []float64, k int) {
	lo, hi := 0, len(a)-1
	budget := 2*bits.Len(uint(len(a))) + 8
	for hi > lo {
		if budget == 0 || hi-lo < 16 {
			slices.Sort(a[lo : hi+1])
			return
		}
		budget--
		mid := lo + (hi-lo)/2
		// median of three, moved to mid
		if a[mid] < a[lo] {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi] < a[lo] {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi] < a[mid] {
			a[hi], a[mid] = a[mid], a[hi]
		}
		pivot := a[mid]
		i, j := lo, hi
		for i <= j {
			for a[i] < pivot {
				i++
			}
			for a[j] > pivot {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		// now a[lo..j] <= pivot <= a[i..hi], and a[j+1..i-1] == pivot
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
}

// quantileSelect is np.quantile(a, q) with the default method "linear" (Hyndman and Fan type 7) on NaN-free
// data: the value at virtual index (n-1)·q, interpolated linearly. It reorders a (selectNth).
func quantileSelect(a []float64, q float64) float64 {
	n := len(a)
	if n == 0 {
		return math.NaN()
	}
	h := float64(n-1) * q
	lo := math.Floor(h)
	i := int(lo)
	switch {
	case h <= 0:
		return slices.Min(a)
	case i >= n-1:
		return slices.Max(a)
	}
	selectNth(a, i)
	below := a[i]
	if h == lo {
		return below
	}
	return lerp(below, slices.Min(a[i+1:]), h-lo)
}

// medianSelect is np.median on NaN-free data: the middle value, or the mean of the two middle values
// (halved separately, which is exact and cannot overflow). It reorders a (selectNth).
func medianSelect(a []float64) float64 {
	n := len(a)
	if n == 0 {
		return math.NaN()
	}
	selectNth(a, n/2)
	if n%2 == 1 {
		return a[n/2]
	}
	return 0.5*slices.Max(a[:n/2]) + 0.5*a[n/2]
}

// finite reports whether v is neither NaN nor ±Inf.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// countBelow is the number of values in ascending sorted that are < v.
func countBelow(sorted []float64, v float64) int {
	n, _ := slices.BinarySearch(sorted, v)
	return n
}

// countAtMost is the number of values in ascending sorted that are <= v.
func countAtMost(sorted []float64, v float64) int {
	lo, hi := 0, len(sorted)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if sorted[mid] <= v {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}
