package cluster

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/internal/enginetest"
)

// TestMeasureAssignmentSQL measures, on a large generated input, how many rows the SQL assignment labels
// differently from Go: the exact replay, the replay with log1p, and for comparison the textbook formula
// (argmin of Σ (x - c)², summed left to right), which is what "nearest centroid in SQL" usually means. It
// logs the counts and the times; docs/engines.md quotes them. It runs only when SEGRUN_MEASURE_ROWS is set
// (a row count), as it takes minutes:
//
//	SEGRUN_MEASURE_ROWS=1000000 go test -tags duckdb_arrow ./runner/methods/cluster -run TestMeasureAssignmentSQL -v
func TestMeasureAssignmentSQL(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SEGRUN_MEASURE_ROWS"))
	if n == 0 {
		t.Skip("set SEGRUN_MEASURE_ROWS to measure")
	}
	// Three integer-valued features with many exact ties, and one with cents.
	gen := fmt.Sprintf(`CREATE TABLE big AS SELECT id, CAST((id * 7919) %% 97 AS DOUBLE PRECISION) AS a,
		CAST((id * 104729) %% 31 + (id %% 3) * 20 AS BIGINT) AS b, CAST((id * 1299709) %% 100003 AS DOUBLE PRECISION) / 100 AS c,
		CAST((id * 15485863) %% 7 AS DOUBLE PRECISION) AS e,
		CAST(id %% 11 AS DOUBLE PRECISION) AS s, CAST((id * 7919) %% 11 AS DOUBLE PRECISION) AS u FROM (SELECT CAST(i AS BIGINT) AS id FROM generate_series(1, %d) AS g(i)) ids`, n)
	for _, e := range enginetest.Both(t) {
		e.Exec(t, gen)
		start := time.Now()
		rows := e.Query(t, "SELECT id, a, b, c, e, s, u FROM big ORDER BY id")
		t.Logf("%s: read %d rows into Go in %.1f s", e.Name, len(rows), time.Since(start).Seconds())
		frame := &algorithms.Frame{}
		for j, name := range []string{"a", "b", "c", "e", "s", "u"} {
			col := algorithms.Column{Name: name, Num: make([]float64, len(rows))}
			for i, r := range rows {
				switch v := r[j+1].(type) {
				case float64:
					col.Num[i] = v
				case int64:
					col.Num[i] = float64(v)
				}
			}
			frame.Columns = append(frame.Columns, col)
		}
		for _, c := range []struct {
			name     string
			prep     algorithms.PrepSpec
			k        int
			features []string
		}{
			// A symmetric 11×11 grid: k-means puts centroids symmetrically, so whole rows of the grid lie
			// on the bisectors, equidistant in exact arithmetic and decided by rounding alone.
			{"symmetric grid, scale none k=2", algorithms.PrepSpec{Scale: "none"}, 2, []string{"s", "u"}},
			{"symmetric grid, standard k=4", algorithms.PrepSpec{}, 4, []string{"s", "u"}},
			{"symmetric grid, standard pca=2 k=3", algorithms.PrepSpec{PCA: &algorithms.PCASpec{Components: 2}}, 3, []string{"s", "u"}},
			{"standard k=8", algorithms.PrepSpec{}, 8, []string{"a", "b", "c", "e"}},
			{"standard pca=2 k=5", algorithms.PrepSpec{PCA: &algorithms.PCASpec{Components: 2}}, 5, []string{"a", "b", "c", "e"}},
			{"log1p k=6", algorithms.PrepSpec{Transform: map[string][]algorithms.Transform{"b": {{Kind: "log1p"}}, "c": {{Kind: "log1p"}}}}, 6, []string{"a", "b", "c", "e"}},
		} {
			sample := algorithms.Subframe(frame, c.features)
			for i := range sample.Columns {
				sample.Columns[i].Num = sample.Columns[i].Num[:min(n, DefaultSampleRows)]
			}
			prep, X, _, err := algorithms.FitPrep(sample, c.prep)
			if err != nil {
				t.Fatal(err)
			}
			cl, err := algorithms.Cluster(X, algorithms.ClusterSpec{Method: "kmeans", K: c.k, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			m := &storedModel{Prep: prep, Model: cl.Model, Segments: map[int]string{}}
			for l := range cl.K {
				m.IDs = append(m.IDs, l)
				m.Segments[l] = "c" + strconv.Itoa(l)
			}
			start := time.Now()
			Xall, labels, _, _, err := assignWithModel(m, algorithms.Subframe(frame, c.features))
			if err != nil {
				t.Fatal(err)
			}
			goSeconds := time.Since(start).Seconds()
			q, err := AssignmentSQL(m.Prep, m.Model, m.IDs, m.Segments, "big", "id")
			if err != nil {
				t.Fatal(err)
			}
			start = time.Now()
			e.Exec(t, "CREATE TABLE assigned AS "+q)
			sqlSeconds := time.Since(start).Seconds()
			flips := func(table string) int {
				got := e.Query(t, "SELECT id, cluster FROM "+table)
				wrong := 0
				for _, r := range got {
					if r[1].(int64) != int64(labels[r[0].(int64)-1]) {
						wrong++
					}
				}
				return wrong
			}
			exact := flips("assigned")
			// The textbook formula over the same prepared features.
			scored, _, _, _ := scoredSQL(m.Prep, m.Model, "big", "id")
			inner := scored[strings.Index(scored, "FROM (")+len("FROM (") : strings.LastIndex(scored, ") segrun_features")]
			d := Xall.Cols
			x := names("segrun_x", d)
			if m.Prep.PCA != nil {
				x = names("segrun_p", d)
			}
			dist := make([]string, c.k)
			for j := range dist {
				terms := make([]string, d)
				for mm := range d {
					terms[mm] = fmt.Sprintf("(%[1]s - %[2]s) * (%[1]s - %[2]s)", x[mm], float8(m.Model.Centroids.Data[j*d+mm]))
				}
				dist[j] = leftSum(terms)
			}
			e.Exec(t, fmt.Sprintf("CREATE TABLE textbook AS SELECT id, %s AS cluster FROM (SELECT id, %s FROM (%s) f) s",
				firstExtreme("LEAST", names("segrun_d", c.k)), aliased(dist, "segrun_d"), inner))
			textbook := flips("textbook")
			// Rows essentially equidistant: the two least scores within 1e-9 of the scores' scale.
			terms := algorithms.NearestCentroidTerms(m.Model.Centroids)
			near := 0
			for i := range Xall.Rows {
				sc := algorithms.NearestScores(terms, Xall.Row(i))
				slices.Sort(sc)
				if sc[1]-sc[0] <= 1e-9*(1+math.Abs(sc[0])) {
					near++
				}
			}
			t.Logf("%s %s, %d rows (%d within 1e-9 of a tie): exact replay %d labels differ from Go, textbook formula %d; SQL %.2f s, Go Apply+Predict %.2f s",
				e.Name, c.name, n, near, exact, textbook, sqlSeconds, goSeconds)
			e.Exec(t, "DROP TABLE assigned")
			e.Exec(t, "DROP TABLE textbook")
		}
	}
}
