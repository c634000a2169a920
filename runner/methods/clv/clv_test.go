package clv_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/segrun/segrun/cli"
	_ "github.com/segrun/segrun/runner" // the built-in methods, this one among them
)

// cdnowPath is the CDNOW sample beside the project (../shared, never copied into the repository).
const cdnowPath = "../../../../shared/datasets/cdnow/CDNOW_sample.txt"

// cdnowCSV writes the CDNOW sample as a CSV of purchases (customer_id, ordered_at, cds, amount) into dir.
func cdnowCSV(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Open(cdnowPath)
	if err != nil {
		t.Skipf("CDNOW sample not available (%v): the CLV reference test needs ../shared/datasets/cdnow", err)
	}
	defer f.Close()
	var b strings.Builder
	b.WriteString("customer_id,ordered_at,cds,amount\n")
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 5 {
			continue
		}
		d := fs[2]
		var id int
		fmt.Sscan(strings.TrimLeft(fs[1], "0"), &id)
		fmt.Fprintf(&b, "%d,%s-%s-%s,%s,%s\n", id, d[:4], d[4:6], d[6:], fs[3], fs[4])
	}
	if err := os.WriteFile(filepath.Join(dir, "sales.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func segrun(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = cli.Run(args, &o, &e)
	return o.String(), e.String(), code
}

const cdnowSpec = `version: 1
name: cdnow
entity: customer_id
sources:
  sales:
    path: sales.csv
segmentations:
  value_clv:
    from: sales
    clv: {time: ordered_at, amount: amount, unit: week, horizon: 52, discount_rate: 0.01,
          tiers: {low: 0, mid: 0.5, high: 0.8, top: 0.95}}
  alive:
    from: sample
    rules:
      - segment: likely_alive
        when: p_alive >= 0.5 && clv > 0 && age > 0
exports:
  - segmentation: alive
    path: alive.csv
features:
  predicted:
    sql: select customer_id, frequency, recency, age, monetary_value, p_alive, expected_purchases, expected_value, clv from value_clv
`

type golden struct {
	Customers int                `json:"customers"`
	BGNBD     map[string]float64 `json:"bgnbd"`
	GG        map[string]float64 `json:"gamma_gamma"`
	Sample    []map[string]float64
	Holdout   []map[string]float64 `json:"holdout"`
}

// The whole method on CDNOW, through DuckDB's summary, against the reference script's golden: the
// calibration period's fit as of 1997-10-01 (the published BG/NBD and Gamma-Gamma), every sampled
// customer's summary and predictions as a later feature reads them, and, as of 1998-07-01 with 39 weeks
// held out, the holdout check's table.
func TestCLVOnCDNOWMatchesTheReference(t *testing.T) {
	raw, err := os.ReadFile("../../../algorithms/testdata/golden/clv_cdnow.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cdnowCSV(t, dir)
	// A rules segmentation over a later feature of the predictions: the result's columns are readable.
	spec := cdnowSpec + `  sample:
    sql: select * from predicted where customer_id in (` + sampleIDs(g) + `)
`
	specPath := filepath.Join(dir, "cdnow.yaml")
	if err := os.WriteFile(specPath, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := segrun(t, "validate", specPath); code != cli.ExitOK {
		t.Fatalf("validate: exit %d\n%s", code, stderr)
	}
	stdout, stderr, code := segrun(t, "run", specPath, "--as-of", "1997-10-01")
	if code != cli.ExitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	stdout, stderr, code = segrun(t, "show", "value_clv", specPath, "--format", "json")
	if code != cli.ExitOK {
		t.Fatalf("show: exit %d\n%s", code, stderr)
	}
	var shown struct {
		Entities int64 `json:"entities"`
		Summary  struct {
			CLV struct {
				Customers int `json:"customers"`
				BGNBD     struct {
					Params map[string]float64 `json:"params"`
					LL     float64            `json:"log_likelihood"`
				} `json:"bgnbd"`
				GG struct {
					Params map[string]float64 `json:"params"`
					LL     float64            `json:"log_likelihood"`
				} `json:"gamma_gamma"`
				Holdout *struct {
					Buckets []map[string]float64 `json:"buckets"`
				} `json:"holdout"`
			} `json:"clv"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(stdout), &shown); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	c := shown.Summary.CLV
	if c.Customers != g.Customers || shown.Entities != int64(g.Customers) {
		t.Errorf("%d customers (%d entities), the reference %d", c.Customers, shown.Entities, g.Customers)
	}
	for _, k := range []string{"r", "alpha", "a", "b"} {
		if !close(c.BGNBD.Params[k], g.BGNBD[k], 1e-4) {
			t.Errorf("BG/NBD %s = %.6g, the reference %.6g", k, c.BGNBD.Params[k], g.BGNBD[k])
		}
	}
	if !close(c.BGNBD.LL, g.BGNBD["log_likelihood"], 1e-8) {
		t.Errorf("BG/NBD log-likelihood %.8g, the reference %.8g", c.BGNBD.LL, g.BGNBD["log_likelihood"])
	}
	for _, k := range []string{"p", "q", "v"} {
		if !close(c.GG.Params[k], g.GG[k], 1e-3) {
			t.Errorf("Gamma-Gamma %s = %.6g, the reference %.6g", k, c.GG.Params[k], g.GG[k])
		}
	}
	// The later segmentation read each sampled customer's p_alive and clv.
	exported, err := os.ReadFile(filepath.Join(dir, "alive.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range g.Sample {
		if c["p_alive"] >= 0.5 && c["clv"] > 0 && c["T"] > 0 {
			want = append(want, fmt.Sprintf("%d,likely_alive", int(c["customer"])))
		}
	}
	got := strings.Split(strings.TrimSpace(string(exported)), "\n")[1:]
	slices.Sort(got)
	slices.SortFunc(want, func(a, b string) int { return strings.Compare(a, b) })
	if !slices.Equal(got, want) || len(want) == 0 || len(want) == len(g.Sample) {
		t.Errorf("alive (p_alive >= 0.5) exported %v, the reference's sample says %v", got, want)
	}
}

func sampleIDs(g golden) string {
	var ids []string
	for _, s := range g.Sample {
		ids = append(ids, fmt.Sprint(int(s["customer"])))
	}
	return strings.Join(ids, ", ")
}

func close(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(math.Abs(want), 1e-12)
}
