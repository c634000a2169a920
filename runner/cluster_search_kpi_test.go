package runner

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// kpiSearchData: customers in three groups that a and b separate (moderately), two groups that c separates
// sharply, and noise d; each customer's orders' amounts follow the a/b group alone (means 10, 50, 200), with
// several orders per customer so the KPI's table has many rows per entity.
func kpiSearchData(n int) (customers, orders string) {
	rng := rand.New(rand.NewPCG(11, 3))
	var cb, ob strings.Builder
	cb.WriteString("customer_id,a,b,c,d\n")
	ob.WriteString("customer_id,amount\n")
	centres := [][2]float64{{0, 0}, {4, 0}, {2, 4}}
	for i := 0; i < n; i++ {
		g := i % 3
		fmt.Fprintf(&cb, "%d,%.4f,%.4f,%.4f,%.4f\n", i, centres[g][0]+rng.NormFloat64(), centres[g][1]+rng.NormFloat64(),
			float64(rng.IntN(2))*20+0.5*rng.NormFloat64(), rng.NormFloat64())
		for o := 0; o < 1+i%4; o++ {
			fmt.Fprintf(&ob, "%d,%.2f\n", i, []float64{10, 50, 200}[g]*(0.8+0.4*rng.Float64()))
		}
	}
	return cb.String(), ob.String()
}

const kpiSearchSpec = `version: 1
name: shop
entity: customer_id
sources:
  customers:
    path: data/customers.csv
  orders:
    path: data/orders.csv
segmentations:
  by_silhouette:
    from: customers
    cluster:
      method: kmeans
      features: [a, b, c, d]
      k: {min: 2, max: 3}
      seed: 1
      search: {method: exhaustive, min_share: 0.05}
  by_spend_exhaustive:
    from: customers
    cluster:
      method: kmeans
      features: [a, b, c, d]
      k: {min: 2, max: 3}
      seed: 1
      search: {method: exhaustive, objective: {kpi: spend}, min_share: 0.05}
  by_spend_genetic:
    from: customers
    cluster:
      method: kmeans
      features: [a, b, c, d]
      k: {min: 2, max: 3}
      seed: 1
      search: {method: genetic, objective: {kpi: spend}, min_share: 0.05, population: 8, generations: 4}
  by_spend_sampled:
    from: customers
    cluster:
      method: kmeans
      features: [a, b, c, d]
      k: {min: 2, max: 3}
      seed: 1
      search: {method: exhaustive, objective: {kpi: spend}, min_share: 0.05, sample: 300}
kpis:
  spend:
    from: orders
    value: avg(amount)
`

// A search whose objective is a KPI's spread (objective: {kpi: spend}) picks the features that separate the
// KPI (a, b), where silhouette picks the sharpest split (c) that says nothing of it; the genetic search
// finds the exhaustive search's best in fewer evaluations; the KPI's table is read by the search, so the
// plan shows it as the segmentation's input.
func TestClusterSearchByKPISpread(t *testing.T) {
	customers, orders := kpiSearchData(900)
	f := newFixture(t, kpiSearchSpec, orders)
	f.write("data/customers.csv", customers)
	res := f.mustRun("2026-01-01", nil)
	best := map[string][]string{}
	objective, evaluations := map[string]float64{}, map[string]int{}
	for _, s := range res.Segmentations {
		if s.Cluster == nil || s.Cluster.Search == nil {
			t.Fatalf("%s: no search report", s.Name)
		}
		sr := s.Cluster.Search
		best[s.Name], objective[s.Name], evaluations[s.Name] = sr.Best.Features, sr.Best.Objective, sr.Evaluations
		if s.Name != "by_silhouette" && sr.Objective != "kpi_spread(spend)" {
			t.Errorf("%s: objective %q", s.Name, sr.Objective)
		}
	}
	if slices.Contains(best["by_silhouette"], "a") || !slices.Contains(best["by_silhouette"], "c") {
		t.Errorf("silhouette's best is on %v; the data were made for c to win it", best["by_silhouette"])
	}
	// by_spend_sampled searches a third of the rows: the sample's rows must meet their own orders.
	for _, name := range []string{"by_spend_exhaustive", "by_spend_genetic", "by_spend_sampled"} {
		if !slices.ContainsFunc(best[name], func(x string) bool { return x == "a" || x == "b" }) || slices.Contains(best[name], "c") {
			t.Errorf("%s's best is on %v; want a and/or b, which separate spend, without c", name, best[name])
		}
	}
	if !slices.Equal(best["by_spend_genetic"], best["by_spend_exhaustive"]) || objective["by_spend_genetic"] != objective["by_spend_exhaustive"] {
		t.Errorf("genetic best %v (%.6g), exhaustive %v (%.6g)", best["by_spend_genetic"], objective["by_spend_genetic"], best["by_spend_exhaustive"], objective["by_spend_exhaustive"])
	}
	if evaluations["by_spend_genetic"] >= evaluations["by_spend_exhaustive"] {
		t.Errorf("genetic search evaluated %d candidates, exhaustive %d", evaluations["by_spend_genetic"], evaluations["by_spend_exhaustive"])
	}
	// The published KPI values of the best segmentation, per segment.
	var n, sum, ss float64
	var vals, members []float64
	for _, v := range res.KPIs {
		if v.Segmentation == "by_spend_exhaustive" && v.Segment != "" && v.Value != nil {
			vals, members = append(vals, *v.Value), append(members, float64(v.Members))
		}
	}
	for i, v := range vals {
		n += members[i]
		sum += members[i] * v
	}
	for i, v := range vals {
		ss += members[i] * (v - sum/n) * (v - sum/n)
	}
	// Every row is in the search's sample here, so the objective of the best is the published KPI's spread:
	// the search's per-candidate SQL and the KPI step agree.
	if got, want := objective["by_spend_exhaustive"], math.Sqrt(ss/n); math.Abs(got-want) > 1e-9*want {
		t.Errorf("the search's spread %.12g, the published KPI values' %.12g", got, want)
	}
	t.Logf("best by silhouette %v, by spend %v (spread %.3f on the sample; published KPI's spread %.3f); evaluations genetic %d, exhaustive %d",
		best["by_silhouette"], best["by_spend_exhaustive"], objective["by_spend_exhaustive"], math.Sqrt(ss/n), evaluations["by_spend_genetic"], evaluations["by_spend_exhaustive"])
	if res.Validation == nil || res.Validation.Graph == nil {
		t.Fatal("no validation graph")
	}
	if deps := res.Validation.Graph.Deps("by_spend_genetic"); !slices.Contains(deps, "orders") {
		t.Errorf("by_spend_genetic reads %v, not the KPI's table orders", deps)
	}
}

// A search by a KPI's spread is decided by the KPI's aggregate too: changing it changes the searching
// segmentation's definition hash, and no other's.
func TestKPISearchDefinitionHashFollowsTheKPI(t *testing.T) {
	customers, orders := kpiSearchData(30)
	hashes := func(specText string) map[string]string {
		f := newFixture(t, specText, orders)
		f.write("data/customers.csv", customers)
		v, err := Validate(context.Background(), f.spec, ValidateOptions{AsOf: date("2026-01-01")})
		if err != nil || !v.Valid() {
			t.Fatalf("validate: %v %v", err, v.Diagnostics)
		}
		return v.Plan.DefinitionHashes
	}
	base := hashes(kpiSearchSpec)
	edited := hashes(strings.Replace(kpiSearchSpec, "value: avg(amount)", "value: max(amount)", 1))
	for name, changes := range map[string]bool{"by_silhouette": false, "by_spend_exhaustive": true, "by_spend_genetic": true, "by_spend_sampled": true} {
		if (base[name] != edited[name]) != changes {
			t.Errorf("%s's definition hash changed %v, want %v", name, base[name] != edited[name], changes)
		}
	}
}
