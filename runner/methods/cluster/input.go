package cluster

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// clusterInput is the segmentation's input rows as Arrow batches plus the features as a Frame.
type clusterInput struct {
	batches []arrow.RecordBatch
	frame   *algorithms.Frame
	// prev holds each row's cluster id in the previous version, or Noise when it had none.
	prev []int
	// was holds what each row was in the previous version: a cluster id, prevNone, prevNoise or
	// prevOther; joined says whether the read looked the previous version up at all.
	was    []int32
	joined bool
}

// What a row of the clustering's input was in the previous version, besides a cluster id.
const (
	prevNone  = -1 // no segment
	prevNoise = -2 // the noise segment
	prevOther = -3 // a segment the previous model does not name
)

// readClusterInput pulls the entity, the features and each entity's previous segment in one query, in
// entity order: DuckDB's parallel operators return rows in an order that varies from run to run, and
// seeded choices (k-means++ seeds, samples) pick rows by position, so without a fixed order the same data
// and seed could give different clusters.
func readClusterInput(a *sql.Arrow, j *job, prevIDs map[string]int) (*clusterInput, error) {
	cl := j.seg.Cluster
	base := j.env.BaseRun()
	q := fmt.Sprintf(`SELECT f.%[1]s, %[2]s, %[6]s AS segrun_prev FROM %[3]s f
		LEFT JOIN (SELECT entity, segment FROM %[4]s WHERE segmentation = %[5]s) p
		ON p.entity = f.%[1]s
		ORDER BY f.%[1]s`,
		sql.Ident(j.entity), prefixed("f.", cl.Features), sql.Ident(j.seg.From), store.MembershipsAsOf(base), sql.Literal(j.name), previousID(prevIDs))
	joined := true
	if base == 0 || len(prevIDs) == 0 { // the first version: there are no memberships to read yet
		q = fmt.Sprintf(`SELECT %[1]s, %[2]s, %[4]d::INTEGER AS segrun_prev FROM %[3]s ORDER BY %[1]s`, sql.Ident(j.entity), methods.IdentList(cl.Features),
			sql.Ident(j.seg.From), prevNone)
		joined = false
	}
	batches, _, err := methods.ReadBatches(a, q)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, b := range batches {
		n += int(b.NumRows())
	}
	frame, err := frameOf(j, batches, n)
	if err != nil {
		methods.Release(batches)
		return nil, err
	}
	in := &clusterInput{batches: batches, frame: frame, prev: make([]int, n), was: make([]int32, n), joined: joined}
	offset := 0
	for _, b := range batches {
		prev, ok := b.Column(1 + len(cl.Features)).(*array.Int32)
		if !ok {
			methods.Release(batches)
			return nil, fmt.Errorf("segmentation %s: previous clusters read as %s", j.name, b.Column(1+len(cl.Features)).DataType())
		}
		for i, id := range prev.Int32Values() {
			in.was[offset+i] = id
			in.prev[offset+i] = max(int(id), algorithms.Noise) // matching and stability see no cluster
		}
		offset += prev.Len()
	}
	return in, nil
}

// frameOf reads the features of a clustering, columns 1.. of batches (column 0 is the entity), as a
// Frame of n rows.
func frameOf(j *job, batches []arrow.RecordBatch, n int) (*algorithms.Frame, error) {
	frame := &algorithms.Frame{}
	for c, name := range j.seg.Cluster.Features {
		col := algorithms.Column{Name: name}
		if len(batches) > 0 && isTextArrow(batches[0].Column(1+c)) {
			col.Text, col.Null = make([]string, n), make([]bool, n)
		} else {
			col.Num = make([]float64, n)
		}
		offset := 0
		seen := map[string]string{}
		for _, b := range batches {
			arr := b.Column(1 + c)
			if col.Text != nil {
				textInto(arr, col.Text[offset:], col.Null[offset:], seen)
			} else if err := rules.FloatsInto(arr, col.Num[offset:]); err != nil {
				return nil, fmt.Errorf("segmentation %s, column %s: %w", j.name, name, err)
			}
			offset += arr.Len()
		}
		frame.Columns = append(frame.Columns, col)
	}
	return frame, nil
}

// previousID is the SQL that turns the previous version's segment (p.segment) into its cluster id, or
// Noise for none: DuckDB does it as it joins, so a million names are not decoded and looked up in Go.
func previousID(prevIDs map[string]int) string {
	names := slices.Sorted(maps.Keys(prevIDs))
	var b strings.Builder
	fmt.Fprintf(&b, "CASE WHEN p.segment IS NULL THEN %d", prevNone)
	for _, n := range names {
		fmt.Fprintf(&b, " WHEN p.segment = %s THEN %d", sql.Literal(n), prevIDs[n])
	}
	fmt.Fprintf(&b, " WHEN p.segment = %s THEN %d ELSE %d END::INTEGER", sql.Literal(spec.NoiseSegment), prevNoise, prevOther)
	return b.String()
}

func prefixed(prefix string, cols []string) string {
	out := ""
	for i, c := range cols {
		if i > 0 {
			out += ", "
		}
		out += prefix + sql.Ident(c)
	}
	return out
}

func isTextArrow(a arrow.Array) bool {
	switch a.(type) {
	case *array.String, *array.Boolean:
		return true
	}
	_, _, ok := rules.Enum(a)
	return ok
}

// textInto reads a text (boolean, ENUM) Arrow column into out and its NULL mask into nulls. The strings
// are copies, interned in seen (one per distinct value, shared across a column's batches): Arrow's Value
// points into the batch's buffers, which are released when the step ends, while the fitted model keeps
// the one-hot categories until it is published, and a frame must not outlive the memory of its values.
func textInto(a arrow.Array, out []string, nulls []bool, seen map[string]string) {
	own := func(v string) string {
		if s, ok := seen[v]; ok {
			return s
		}
		s := strings.Clone(v)
		seen[s] = s
		return s
	}
	for i := range a.Len() {
		if a.IsNull(i) {
			nulls[i] = true
			continue
		}
		switch x := a.(type) {
		case *array.String:
			out[i] = own(x.Value(i))
		case *array.Boolean:
			out[i] = strconv.FormatBool(x.Value(i))
		default:
			if d, names, ok := rules.Enum(a); ok {
				out[i] = own(names.Value(d.GetValueIndex(i)))
			}
		}
	}
}
