package algorithms

import (
	"fmt"
	"math"
	"slices"
)

// Summary is a numeric column's distribution as pandas describes it: mean, median, the 10th and 90th
// percentiles (linear interpolation, pandas' and numpy's default) and the sample standard deviation
// (ddof 1). A statistic with no value (no values; an SD of one) is NaN.
type Summary struct {
	N                          int
	Mean, Median, P10, P90, SD float64
}

// Summarize describes values, which must hold no NaN, in linear time (segment profiles summarise a
// million values per column, and selection, not sorting: quantilesBanded). It may reorder values.
func Summarize(values []float64) Summary {
	s := Summary{N: len(values), Mean: math.NaN(), Median: math.NaN(), P10: math.NaN(), P90: math.NaN(), SD: math.NaN()}
	if len(values) == 0 {
		return s
	}
	mean, variance := exactMeanVariance(values) // profiles read values in no fixed order
	s.Mean = mean
	if n := float64(len(values)); n > 1 {
		s.SD = math.Sqrt(variance * n / (n - 1))
	}
	q := quantilesBanded(values, []float64{0.1, 0.5, 0.9})
	s.P10, s.Median, s.P90 = q[0], q[1], q[2]
	return s
}

// bandedMin is the smallest input quantilesBanded samples; below it three selections cost little.
const bandedMin = 1 << 13

// quantilesBanded is np.quantile(a, qs) (linear, on NaN-free data), each q in (0, 1), like quantileSelect
// but in about one pass over a instead of a selection per quantile (three selections over a million values
// were most of a profile's CPU time). A sorted sample of a gives, for each order statistic a quantile
// needs, a band of values that holds it with near certainty; one pass counts the values below each band
// and copies those in it, and a selection in the small band finds it. Every answer is exact: when a band
// missed (an unlucky sample), that quantile falls back to selecting in all of a. It may reorder a.
func quantilesBanded(a []float64, qs []float64) []float64 {
	return quantilesBandedReach(a, qs, -1)
}

// quantilesBandedReach is quantilesBanded with the band's reach in sample places (-1: its own, from the
// sample's size); tests narrow it to make bands miss.
func quantilesBandedReach(a []float64, qs []float64, reach int) []float64 {
	out := make([]float64, len(qs))
	n := len(a)
	if n < bandedMin {
		for i, q := range qs {
			out[i] = quantileSelect(a, q)
		}
		return out
	}
	// A sample of s values at pseudo-random places (a fixed seed: the same data, the same work).
	s := min(n/16, 1<<14)
	sample := make([]float64, s)
	x := uint64(0x9E3779B97F4A7C15)
	for i := range sample {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		sample[i] = a[x%uint64(n)]
	}
	slices.Sort(sample)
	// A rank r of a sits near r·s/n in the sample, give or take sqrt(s)/2 (a binomial's SD); the band
	// reaches 8 of those either side, so it misses about never and holds about 8/sqrt(s) of a (6%).
	if reach < 0 {
		reach = 4 * int(math.Sqrt(float64(s)))
	}
	type band struct {
		rank       int // the lower order statistic the quantile interpolates from
		frac       float64
		lo, hi     float64
		below      int
		values     []float64
		wantsAbove bool // frac > 0: it needs rank+1 too
	}
	bands := make([]band, len(qs))
	for i, q := range qs {
		h := float64(n-1) * q
		r := int(math.Floor(h))
		at := int(float64(r) * float64(s) / float64(n))
		b := band{rank: r, frac: h - float64(r), wantsAbove: h > float64(r)}
		b.lo, b.hi = sample[max(0, at-reach)], sample[min(s-1, at+reach)]
		b.values = make([]float64, 0, 2*reach*(n/s)+64) // a band's share of a, with room to spare
		bands[i] = b
	}
	if len(bands) == 3 && bands[0].hi < bands[1].lo && bands[1].hi < bands[2].lo {
		// Summarize's case, three bands apart: one pass. A value's region (0 below the first band, 1 in
		// it, 2 between the first two, ... 6 above the last) is a sum of comparisons, without a branch (for
		// the median's band half the values are below it: a branch there is mispredicted half the time);
		// each value is written to its region's buffer, advancing only a band's (odd regions).
		var counts [7]int
		var bufs [7][]float64
		var pos [7]int
		var sink [1]float64
		for r := range bufs {
			bufs[r] = sink[:]
		}
		for i := range bands {
			bufs[2*i+1] = bands[i].values[:cap(bands[i].values)]
		}
		lo0, hi0, lo1, hi1, lo2, hi2 := bands[0].lo, bands[0].hi, bands[1].lo, bands[1].hi, bands[2].lo, bands[2].hi
		for _, v := range a {
			r := b2i(v >= lo0) + b2i(v > hi0) + b2i(v >= lo1) + b2i(v > hi1) + b2i(v >= lo2) + b2i(v > hi2)
			counts[r]++
			bufs[r][pos[r]] = v
			pos[r] += r & 1
			if pos[r] == len(bufs[r]) { // a band fuller than its room (ties): more room
				bufs[r] = append(bufs[r], make([]float64, len(bufs[r]))...)
			}
		}
		below := 0
		for i := range bands {
			below += counts[2*i]
			bands[i].below = below
			bands[i].values = bufs[2*i+1][:pos[2*i+1]]
			below += counts[2*i+1]
		}
	} else {
		// A pass per band: bands that overlap (close quantiles, or ties spanning two).
		for i := range bands {
			b := &bands[i]
			lo, hi, below, values := b.lo, b.hi, 0, b.values
			for _, v := range a {
				below += b2i(v < lo)
				if v >= lo && v <= hi {
					values = append(values, v)
				}
			}
			b.below, b.values = below, values
		}
	}
	for i := range bands {
		b := &bands[i]
		k := b.rank - b.below
		last := k
		if b.wantsAbove {
			last++
		}
		if k < 0 || last >= len(b.values) { // the band missed: select in all of a
			out[i] = quantileSelect(a, qs[i])
			continue
		}
		selectNth(b.values, k)
		out[i] = b.values[k]
		if b.wantsAbove {
			out[i] = lerp(out[i], slices.Min(b.values[k+1:]), b.frac)
		}
	}
	return out
}

// b2i is 1 for true, 0 for false; the compiler makes it a SETcc, not a branch.
func b2i(b bool) int {
	var i int
	if b {
		i = 1
	}
	return i
}

// QuantileOfRanks is np.quantile(a, q) (linear) of n values given only some of their order statistics
// (ranks, 0-based: the value a full sort puts at that place), as an engine ranks them in SQL: the two
// ranks q lies between, floor((n-1)·q) and the next, computed with the same float arithmetic as
// quantileSelect, so the answer is its answer to the bit. It is an error when a rank it needs is absent.
func QuantileOfRanks(n int64, q float64, ranks map[int64]float64) (float64, error) {
	if n == 0 {
		return math.NaN(), nil
	}
	h := float64(n-1) * q
	lo := math.Floor(h)
	i := int64(lo)
	get := func(r int64) (float64, error) {
		v, ok := ranks[r]
		if !ok {
			return math.NaN(), fmt.Errorf("quantile %v of %d values: order statistic %d missing", q, n, r)
		}
		return v, nil
	}
	switch {
	case h <= 0:
		return get(0)
	case i >= n-1:
		return get(n - 1)
	}
	below, err := get(i)
	if err != nil || h == lo {
		return below, err
	}
	above, err := get(i + 1)
	if err != nil {
		return math.NaN(), err
	}
	return lerp(below, above, h-lo), nil
}
