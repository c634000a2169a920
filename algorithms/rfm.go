package algorithms

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/segrun/segrun/internal/panics"
)

// RFM scoring: each customer's recency, frequency and monetary value becomes a quantile score in 1..bins,
// higher meaning better. Recency is better when lower (the most recent customers score highest); frequency
// and monetary value are better when higher.
//
// Tie rule. A value's score depends only on how many customers are strictly worse than it:
//
//	score = 1 + floor(bins × worse / n)
//
// where n counts the non-missing values and worse counts the values strictly smaller (frequency,
// monetary) or strictly greater (recency). For frequency and monetary, worse = rank - 1 with rank the
// minimum ("competition") rank in ascending order, so this is 1 + floor(bins × (rank-1) / n); in DuckDB:
//
//	1 + floor(bins * (rank() OVER (ORDER BY x) - 1) / count(x) OVER ())   -- ORDER BY x DESC for recency
//
// It is deliberately not 1 + floor(bins × percent_rank()): SQL's (and DuckDB's) percent_rank is
// (rank-1)/(n-1), which gives the single best customer bins+1 (so it needs clamping) and is 0/0 for n = 1.
// With n in the denominator the score is always within 1..bins, a lone customer or an all-equal column
// scores 1 everywhere (nobody is worse), and with distinct values each score holds n/bins customers.
//
// Consequence for heavy ties: equal values always share a score, the score of the first position their
// group occupies, so the scores a large tie group spans are skipped. If 40% of customers bought exactly
// once, they all get f_score 1 and the next frequency starts at 1 + floor(5 × 0.4) = 3: nobody has
// f_score 2. Scores are positions in the population, not equal-sized bins (NTILE would split the tied
// customers arbitrarily between 1 and 2 instead). Recency mirrors this: if 40% of customers bought today,
// 60% are strictly older, so today's customers all get r_score 1 + floor(5 × 0.6) = 4 and nobody gets 5.
// This is also what 1 + floor(bins × percent_rank()) OVER (ORDER BY recency DESC) does with ties.
//
// A missing value (NaN) gets score 0 and takes no part in the ranking; the number of zeros is the number
// of missing values. ±Inf is an error naming the column and count.

// RFMScores scores recency (lower is better), frequency and monetary value (higher is better) into
// 1..bins, with bins in 2..10; missing values score 0. See the tie rule above.
func RFMScores(recency, frequency, monetary []float64, bins int) (r, f, m []int, err error) {
	if bins < 2 || bins > 10 {
		return nil, nil, nil, fmt.Errorf("rfm: bins must be in 2..10, got %d", bins)
	}
	if len(frequency) != len(recency) || len(monetary) != len(recency) {
		return nil, nil, nil, fmt.Errorf("rfm: recency, frequency and monetary have %d, %d and %d values",
			len(recency), len(frequency), len(monetary))
	}
	columns := []struct {
		name          string
		values        []float64
		lowerIsBetter bool
	}{{"recency", recency, true}, {"frequency", frequency, false}, {"monetary", monetary, false}}
	for _, c := range columns {
		inf := 0
		for _, v := range c.values {
			if math.IsInf(v, 0) {
				inf++
			}
		}
		if inf > 0 {
			return nil, nil, nil, &DataError{Column: c.name, Count: inf, Reason: "values are +Inf or -Inf"}
		}
	}
	scores := make([][]int, len(columns))
	var wg sync.WaitGroup
	var p panics.Capture
	for k, c := range columns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer p.Recover()
			scores[k] = quantileScores(c.values, bins, c.lowerIsBetter)
		}()
	}
	wg.Wait()
	p.Repanic() // on the caller's goroutine, where it can be recovered
	return scores[0], scores[1], scores[2], nil
}

// quantileScores gives each value 1 + floor(bins × worse / n), where worse counts the non-missing values
// strictly worse than it; NaN scores 0. Values are looked up among the distinct values only, which for
// typical RFM columns (days, order counts, rounded amounts) is a small, cache-resident array.
func quantileScores(x []float64, bins int, lowerIsBetter bool) []int {
	sorted := make([]float64, 0, len(x))
	for _, v := range x {
		if v == v {
			sorted = append(sorted, v)
		}
	}
	slices.Sort(sorted)
	n := len(sorted)
	// distinct[k] is the k-th distinct value (compacted in place, as it never overtakes the reading
	// position); below[k] counts the values < distinct[k], and below[len(distinct)] = n.
	distinct := sorted[:0]
	var below []int
	for i, v := range sorted {
		if i == 0 || v != distinct[len(distinct)-1] {
			distinct = append(distinct, v)
			below = append(below, i)
		}
	}
	below = append(below, n)
	scores := make([]int, len(x))
	for i, v := range x {
		if v != v {
			continue
		}
		k, _ := slices.BinarySearch(distinct, v)
		worse := below[k] // strictly smaller
		if lowerIsBetter {
			worse = n - below[k+1] // strictly greater
		}
		scores[i] = 1 + bins*worse/n
	}
	return scores
}

// RFM segments. The named grid is the widely used "RFM segments" table that places customers by their
// R score against a combined F&M score, from Putler's "RFM Analysis For Successful Customer Segmentation"
// (https://www.putler.com/rfm-analysis/, reproduced e.g. at
// https://docs.churned.io/churned-docs/dashboard-and-features/rfv-model-segment-best-practices/rfm-model).
// That table's ranges overlap (Loyal R 2-5 × FM 3-5 contains most of At Risk, Lost contains Hibernating), so
// this grid resolves it into a partition of the 5×5 cells along the lines of the common R×F segment map
// (Champions R5 F4-5, Loyal R3-4 F4-5, Potential loyalists R4-5 F2-3, New R5 F1, Promising R4 F1, Need
// attention R3 F3, About to sleep R3 F1-2, At risk R1-2 F3-4, Can't lose them R1-2 F5, Hibernating
// R1-2 F1-2), with F replaced by FM and Lost split from Hibernating as its least recent half:
//
//	R \ FM   1               2                   3                   4          5
//	  5      new_customers   potential_loyalist  potential_loyalist  champions  champions
//	  4      promising       potential_loyalist  potential_loyalist  loyal      loyal
//	  3      about_to_sleep  about_to_sleep      need_attention      loyal      loyal
//	  2      hibernating     hibernating         at_risk             at_risk    cannot_lose_them
//	  1      lost            lost                at_risk             at_risk    cannot_lose_them
//
// FM is (f_score + m_score) / 2 rounded half up, ceil((f+m)/2): f=4, m=5 is FM 5. Every (r, f, m) in
// 1..5³ falls in exactly one segment, so "first match wins" and "the only match" agree.

// RFMSegmentRule is one segment of the grid: customers whose r_score is in [RMin, RMax] and whose FM
// score, ceil((f_score + m_score) / 2), is in [FMMin, FMMax]. Ranges are in the scores' own 1..bins scale.
type RFMSegmentRule struct {
	Segment string `json:"segment"`
	RMin    int    `json:"r_min"`
	RMax    int    `json:"r_max"`
	FMMin   int    `json:"fm_min"`
	FMMax   int    `json:"fm_max"`
}

// RFMGrid is the 11-segment grid for bins = 5 (read-only). For other bin counts use RFMGridFor. The rules
// assume scores in 1..bins: give rows with a missing score (0) their own label before applying them.
var RFMGrid = []RFMSegmentRule{
	{Segment: "champions", RMin: 5, RMax: 5, FMMin: 4, FMMax: 5},
	{Segment: "loyal", RMin: 3, RMax: 4, FMMin: 4, FMMax: 5},
	{Segment: "potential_loyalist", RMin: 4, RMax: 5, FMMin: 2, FMMax: 3},
	{Segment: "new_customers", RMin: 5, RMax: 5, FMMin: 1, FMMax: 1},
	{Segment: "promising", RMin: 4, RMax: 4, FMMin: 1, FMMax: 1},
	{Segment: "need_attention", RMin: 3, RMax: 3, FMMin: 3, FMMax: 3},
	{Segment: "about_to_sleep", RMin: 3, RMax: 3, FMMin: 1, FMMax: 2},
	{Segment: "at_risk", RMin: 1, RMax: 2, FMMin: 3, FMMax: 4},
	{Segment: "cannot_lose_them", RMin: 1, RMax: 2, FMMin: 5, FMMax: 5},
	{Segment: "hibernating", RMin: 2, RMax: 2, FMMin: 1, FMMax: 2},
	{Segment: "lost", RMin: 1, RMax: 1, FMMin: 1, FMMax: 2},
}

// Matches reports whether scores (r, f, m) fall in the segment.
func (s RFMSegmentRule) Matches(r, f, m int) bool {
	fm := (f + m + 1) / 2
	return r >= s.RMin && r <= s.RMax && fm >= s.FMMin && fm <= s.FMMax
}

// Rule is the segment as an expr-lang boolean expression over r_score, f_score and m_score, e.g.
// "r_score >= 3 and r_score <= 4 and f_score + m_score >= 7 and f_score + m_score <= 10". The FM range
// [a, b] is written on the sum: ceil((f+m)/2) in [a, b] exactly when f+m is in [2a-1, 2b].
func (s RFMSegmentRule) Rule() string {
	between := func(expr string, lo, hi int) string {
		if lo == hi {
			return expr + " == " + strconv.Itoa(lo)
		}
		return fmt.Sprintf("%s >= %d and %s <= %d", expr, lo, expr, hi)
	}
	return strings.Join([]string{
		between("r_score", s.RMin, s.RMax),
		between("f_score + m_score", 2*s.FMMin-1, 2*s.FMMax),
	}, " and ")
}

// RFMSegmentOf returns the segment of the first rule matching (r, f, m), or "" when none does.
func RFMSegmentOf(grid []RFMSegmentRule, r, f, m int) string {
	for _, s := range grid {
		if s.Matches(r, f, m) {
			return s.Segment
		}
	}
	return ""
}

// RFMGridFor returns the grid for scores in 1..bins (2..10) by mapping each score to the 5-level scale of
// RFMGrid through the middle of the population share it stands for: level(s) = 1 + floor(5·(s-½)/bins).
// bins = 5 gives RFMGrid itself; bins = 10 maps scores 1-2 to level 1, ..., 9-10 to level 5; bins = 3 maps
// to levels 1, 3 and 5. With fewer than 5 bins some levels have no score, so segments that need them drop
// out (bins = 2 keeps only levels 2 and 4). The result is still a partition of every (r, f, m) in 1..bins³.
func RFMGridFor(bins int) ([]RFMSegmentRule, error) {
	if bins < 2 || bins > 10 {
		return nil, fmt.Errorf("rfm: bins must be in 2..10, got %d", bins)
	}
	level := func(s int) int { return 1 + 5*(2*s-1)/(2*bins) }
	// scoreRange is the scores whose level is in [lo, hi]; level is non-decreasing, so it is contiguous.
	scoreRange := func(lo, hi int) (first, last int, ok bool) {
		first, last = 0, -1
		for s := 1; s <= bins; s++ {
			if l := level(s); l >= lo && l <= hi {
				if first == 0 {
					first = s
				}
				last = s
			}
		}
		return first, last, first > 0
	}
	var grid []RFMSegmentRule
	for _, g := range RFMGrid {
		rMin, rMax, okR := scoreRange(g.RMin, g.RMax)
		fmMin, fmMax, okFM := scoreRange(g.FMMin, g.FMMax)
		if okR && okFM {
			grid = append(grid, RFMSegmentRule{Segment: g.Segment, RMin: rMin, RMax: rMax, FMMin: fmMin, FMMax: fmMax})
		}
	}
	return grid, nil
}
