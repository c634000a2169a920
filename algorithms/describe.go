package algorithms

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// DescribeClusters names what sets each cluster apart, in the raw units of the input, e.g.
// "recency_days low, frequency high, monetary high".
//
// For each numeric feature, the cluster's median is placed in the whole population (every row of the
// frame with a finite value, noise included) by its mid-rank percentile
//
//	p = (#values below the median + ½ · #values equal to it) / #values
//
// and read as low (p < 1/3), high (p > 2/3) or mid. Medians and percentiles rather than means and standard
// deviations because customer features are skewed (one big spender moves a mean, not a median), the
// description does not change under a log or any other monotone transform, and mid-ranks treat heavy ties
// fairly: with 40% of customers at frequency 1, a cluster whose median is 1 sits at p = 0.2, low.
//
// The description lists the features that are not mid, most distinctive first (largest |p - ½|, ties in
// column order), at most DescribeMaxFeatures of them. A cluster that is mid on every feature is "typical";
// a cluster with no rows is "empty". Text columns and Noise rows' labels are ignored. If labels does not
// have one label per row, every description is "unknown". Deterministic: no sampling, no randomness.
// Features are placed in parallel on up to workers goroutines (0: GOMAXPROCS).
func DescribeClusters(f *Frame, labels []int, k, workers int) []string {
	if k <= 0 {
		return nil
	}
	out := make([]string, k)
	if f == nil || len(labels) != f.Len() {
		for c := range out {
			out[c] = "unknown"
		}
		return out
	}
	// Rows of each cluster, grouped once.
	members := make([][]int, k)
	for i, l := range labels {
		if l >= 0 && l < k {
			members[l] = append(members[l], i)
		}
	}
	type trait struct {
		feature  int
		level    string
		distance float64
	}
	// Features are placed independently, in parallel; each lists its traits per cluster, and they are
	// gathered in column order, so the result does not depend on scheduling.
	perFeature := make([][]trait, len(f.Columns)*k)
	parallelFor(len(f.Columns), workers, func(_, j int) {
		col := f.Columns[j]
		if col.Num == nil || len(col.Num) != len(labels) {
			return
		}
		medians := make([]float64, k)
		has := make([]bool, k)
		var scratch []float64
		for c, rows := range members {
			scratch = scratch[:0]
			for _, i := range rows {
				if v := col.Num[i]; finite(v) {
					scratch = append(scratch, v)
				}
			}
			has[c] = len(scratch) > 0
			if has[c] {
				medians[c] = medianSelect(scratch)
			}
		}
		below, equal, total := populationCounts(col.Num, medians, scratch)
		for c := range members {
			if !has[c] || total == 0 {
				continue
			}
			p := (float64(below[c]) + 0.5*float64(equal[c])) / float64(total)
			switch {
			case p < 1.0/3:
				perFeature[j*k+c] = append(perFeature[j*k+c], trait{j, "low", 0.5 - p})
			case p > 2.0/3:
				perFeature[j*k+c] = append(perFeature[j*k+c], trait{j, "high", p - 0.5})
			}
		}
	})
	traits := make([][]trait, k)
	for j := range f.Columns {
		for c := 0; c < k; c++ {
			traits[c] = append(traits[c], perFeature[j*k+c]...)
		}
	}
	for c := range out {
		if len(members[c]) == 0 {
			out[c] = "empty"
			continue
		}
		ts := traits[c]
		if len(ts) == 0 {
			out[c] = "typical"
			continue
		}
		slices.SortStableFunc(ts, func(a, b trait) int { return cmp.Compare(b.distance, a.distance) })
		parts := make([]string, 0, DescribeMaxFeatures)
		for _, t := range ts[:min(len(ts), DescribeMaxFeatures)] {
			parts = append(parts, fmt.Sprintf("%s %s", f.Columns[t.feature].Name, t.level))
		}
		out[c] = strings.Join(parts, ", ")
	}
	return out
}

// DescribeMaxFeatures is the most features a cluster description names.
const DescribeMaxFeatures = 3

// populationCounts returns, for each of the medians, how many finite values of x are below it and equal to
// it, and how many finite values there are. For a few clusters one pass comparing every value with every
// median (O(n·k)) is cheapest; for many, a sorted copy (in scratch's storage) and two binary searches each.
func populationCounts(x, medians, scratch []float64) (below, equal []int, total int) {
	k := len(medians)
	below, equal = make([]int, k), make([]int, k)
	if k <= 16 {
		for _, v := range x {
			if !finite(v) {
				continue
			}
			total++
			for c, m := range medians {
				if v < m {
					below[c]++
				} else if v == m {
					equal[c]++
				}
			}
		}
		return below, equal, total
	}
	sorted := scratch[:0]
	for _, v := range x {
		if finite(v) {
			sorted = append(sorted, v)
		}
	}
	slices.Sort(sorted)
	for c, m := range medians {
		below[c] = countBelow(sorted, m)
		equal[c] = countAtMost(sorted, m) - below[c]
	}
	return below, equal, len(sorted)
}
