package algorithms

import (
	"math"
	"reflect"
	"testing"
)

func TestDescribeClusters(t *testing.T) {
	// Three clusters of customers: recent big spenders, lapsed one-off buyers, and a middle group. Noise
	// rows count in the population but are not described.
	f := &Frame{Columns: []Column{
		{Name: "recency_days", Num: []float64{2, 3, 5, 300, 320, 400, 60, 70, 80, 65}},
		{Name: "frequency", Num: []float64{20, 25, 30, 1, 1, 1, 5, 6, 4, 5}},
		{Name: "monetary", Num: []float64{900, 1000, 5000, 20, 25, 15, 200, 210, 190, 205}},
		{Name: "country", Text: []string{"a", "b", "a", "b", "a", "b", "a", "b", "a", "b"}},
	}}
	labels := []int{0, 0, 0, 1, 1, 1, 2, 2, 2, Noise}
	got := DescribeClusters(f, labels, 4, 0)
	want := []string{
		"recency_days low, frequency high, monetary high",
		"recency_days high, frequency low, monetary low",
		"typical",
		"empty",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestDescribeClustersOrderAndLimit(t *testing.T) {
	// Cluster 0 is equally distinctive on all four features: only three are named, ties in column order.
	f := &Frame{Columns: []Column{
		{Name: "a", Num: []float64{1, 1, 2, 2, 3, 4, 5, 6}},
		{Name: "b", Num: []float64{1, 2, 3, 4, 5, 6, 7, 8}},
		{Name: "c", Num: []float64{8, 7, 6, 5, 4, 3, 2, 1}},
		{Name: "d", Num: []float64{0, 0, 5, 5, 5, 5, 5, 5}},
	}}
	labels := []int{0, 0, 1, 1, 1, 1, 1, 1}
	got := DescribeClusters(f, labels, 2, 0)
	// Cluster 0 medians: a 1 (p = 1/8), b 1.5 (p = 1/8: one below, none equal), c 7.5 (p = 7/8), d 0 (p = 1/8).
	// All four are at distance 3/8: the first three in column order.
	if want := "a low, b low, c high"; got[0] != want {
		t.Errorf("cluster 0: %q, want %q", got[0], want)
	}
}

func TestDescribeClustersDegenerate(t *testing.T) {
	if got := DescribeClusters(&Frame{}, nil, 0, 0); got != nil {
		t.Errorf("k = 0: %v", got)
	}
	if got := DescribeClusters(nil, []int{0}, 2, 0); !reflect.DeepEqual(got, []string{"unknown", "unknown"}) {
		t.Errorf("nil frame: %v", got)
	}
	f := &Frame{Columns: []Column{{Name: "x", Num: []float64{1, 2, 3}}}}
	if got := DescribeClusters(f, []int{0, 1}, 2, 0); got[0] != "unknown" {
		t.Errorf("label count mismatch: %v", got)
	}
	// Identical rows: every cluster sits at the population median.
	same := &Frame{Columns: []Column{{Name: "x", Num: []float64{4, 4, 4, 4}}}}
	if got := DescribeClusters(same, []int{0, 0, 1, 1}, 2, 0); !reflect.DeepEqual(got, []string{"typical", "typical"}) {
		t.Errorf("identical rows: %v", got)
	}
	// A feature missing for a whole cluster is skipped; NaN and Inf stay out of the population.
	g := &Frame{Columns: []Column{
		{Name: "x", Num: []float64{math.NaN(), math.NaN(), 1, 2, math.Inf(1)}},
		{Name: "y", Num: []float64{10, 10, 1, 1, 1}},
	}}
	if got := DescribeClusters(g, []int{0, 0, 1, 1, 1}, 2, 0); !reflect.DeepEqual(got, []string{"y high", "y low"}) {
		t.Errorf("missing values: %v", got)
	}
	// Many clusters take the sorted-population path; it must agree with the direct count.
	many := &Frame{Columns: []Column{{Name: "x", Num: make([]float64, 40)}}}
	manyLabels := make([]int, 40)
	for i := range manyLabels {
		many.Columns[0].Num[i] = float64(i / 2)
		manyLabels[i] = i / 2
	}
	got := DescribeClusters(many, manyLabels, 20, 0)
	if got[0] != "x low" || got[10] != "typical" || got[19] != "x high" {
		t.Errorf("20 clusters: %q", got)
	}
	for _, medians := range [][]float64{{0, 3.5, 19}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 3.5, 19}} {
		b, e, n := populationCounts(many.Columns[0].Num, medians, make([]float64, 40))
		for c, m := range medians {
			wantB, wantE := 0, 0
			for _, v := range many.Columns[0].Num {
				if v < m {
					wantB++
				} else if v == m {
					wantE++
				}
			}
			if b[c] != wantB || e[c] != wantE || n != 40 {
				t.Errorf("median %v: below %d equal %d of %d, want %d %d of 40", m, b[c], e[c], n, wantB, wantE)
			}
		}
	}
	// A single row.
	if got := DescribeClusters(&Frame{Columns: []Column{{Name: "x", Num: []float64{1}}}}, []int{0}, 1, 0); got[0] != "typical" {
		t.Errorf("one row: %v", got)
	}
}
