package algorithms

import "math"

// KPISpread is a search objective over a KPI computed per segment: the member-weighted standard deviation
// of the segments' values around their member-weighted mean,
//
//	sqrt( Σ n_s (v_s - v̄)² / Σ n_s ),   v̄ = Σ n_s v_s / Σ n_s,
//
// with n_s the members the KPI was computed on. Weighted by members, so a segmentation scores by how
// differently most customers fare, not by one tiny segment with an extreme value (which max - min would
// reward, and min_share only partly guards against); in the KPI's own units; and, for a KPI that is a mean
// of a per-customer value, exactly the between-segment part of that value's standard deviation. Segments
// without a finite value do not count; fewer than two with a value is not a spread (ok false).
func KPISpread(values, members []float64) (spread float64, ok bool) {
	var n, sum float64
	counted := 0
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) || members[i] <= 0 {
			continue
		}
		n += members[i]
		sum += members[i] * v
		counted++
	}
	if counted < 2 {
		return 0, false
	}
	mean := sum / n
	ss := 0.0
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) || members[i] <= 0 {
			continue
		}
		ss += members[i] * (v - mean) * (v - mean)
	}
	return math.Sqrt(ss / n), true
}
