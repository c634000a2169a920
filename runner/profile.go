package runner

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// profileTopValues is how many of a text column's most frequent values each segment's profile lists.
const profileTopValues = 5

// profileColumns splits the columns seg's profiles describe into numbers and texts: those its profile:
// names, in its order, or every numeric column but the entity, in the input's.
func profileColumns(seg spec.Segmentation, entity string, input []sql.Column) (numbers, texts []string) {
	if seg.Profile == nil {
		for _, c := range input {
			if c.Name != entity && methods.IsNumeric(c.Type) {
				numbers = append(numbers, c.Name)
			}
		}
		return numbers, nil
	}
	for _, name := range seg.Profile {
		i := slices.IndexFunc(input, func(c sql.Column) bool { return c.Name == name })
		switch {
		case i < 0: // validation refuses it
		case methods.IsNumeric(input[i].Type):
			numbers = append(numbers, name)
		default:
			texts = append(texts, name)
		}
	}
	return numbers, texts
}

// profileRows is the SQL of the rows profiles aggregate: every segment's members joined to their input
// row, then every input row again as the population (pop). The profiled columns are renamed c0, c1, ...
// (texts cast to VARCHAR) so that no input column's name can collide with segrun's.
func (e *execution) profileRows(result, input string, numbers, texts []string) string {
	var cols, popCols []string
	for i, c := range numbers {
		cols = append(cols, fmt.Sprintf("i.%s::DOUBLE AS c%d", sql.Ident(c), i))
		popCols = append(popCols, fmt.Sprintf("%s::DOUBLE AS c%d", sql.Ident(c), i))
	}
	for i, c := range texts {
		cols = append(cols, fmt.Sprintf("i.%s::VARCHAR AS t%d", sql.Ident(c), i))
		popCols = append(popCols, fmt.Sprintf("%s::VARCHAR AS t%d", sql.Ident(c), i))
	}
	list, popList := "", ""
	if len(cols) > 0 {
		list, popList = ", "+strings.Join(cols, ", "), ", "+strings.Join(popCols, ", ")
	}
	ent := sql.Ident(e.s.Entity)
	return fmt.Sprintf(`SELECT false AS pop, r.segment AS seg%[4]s FROM %[1]s r JOIN %[2]s i ON r.%[3]s = i.%[3]s
		UNION ALL SELECT true, NULL%[5]s FROM %[2]s`, sql.Ident(result), sql.Ident(input), ent, list, popList)
}

// profile describes each segment of segmentation name's result in its input's columns against the whole
// input, with one aggregate over the result joined to its input (and a second for text columns): a few
// rows per segment come back.
func (e *execution) profile(ctx context.Context, name string, seg spec.Segmentation) (*methods.Profiles, error) {
	start := time.Now()
	numbers, texts := profileColumns(seg, e.s.Entity, e.v.Columns[seg.From])
	rows := e.profileRows(name, seg.From, numbers, texts)
	p := &methods.Profiles{Numbers: numbers, Texts: texts}
	if err := e.profileNumbers(ctx, p, rows); err != nil {
		return nil, fmt.Errorf("segmentation %s: profiles: %w", name, err)
	}
	if len(texts) > 0 {
		if err := e.profileTexts(ctx, p, rows); err != nil {
			return nil, fmt.Errorf("segmentation %s: profiles: %w", name, err)
		}
	}
	e.log.Debug("profiled", "segmentation", name, "numbers", len(numbers), "texts", len(texts), "seconds", time.Since(start).Seconds())
	return p, nil
}

// profileNumbers reads each segment's and the population's size and numeric columns' statistics.
func (e *execution) profileNumbers(ctx context.Context, p *methods.Profiles, rows string) error {
	aggs, reads := []string{"count(*) AS n"}, []string{"n"}
	for i := range p.Numbers {
		aggs = append(aggs, fmt.Sprintf("avg(c%[1]d) AS m%[1]d, stddev_samp(c%[1]d) AS s%[1]d, quantile_cont(c%[1]d, [0.1, 0.5, 0.9]) AS q%[1]d", i))
		reads = append(reads, fmt.Sprintf("m%[1]d, q%[1]d[2], q%[1]d[1], q%[1]d[3], s%[1]d", i))
	}
	// The segment's own type orders the rows (an ENUM's order is its segments').
	query := fmt.Sprintf(`SELECT pop, seg::VARCHAR, %s FROM (SELECT pop, seg, %s FROM (%s) GROUP BY pop, seg) ORDER BY pop DESC, seg`,
		strings.Join(reads, ", "), strings.Join(aggs, ", "), rows)
	res, err := e.db.Query(ctx, query)
	if err != nil {
		return err
	}
	defer res.Close()
	for res.Next() {
		var pop bool
		var segment *string
		var size int64
		stats := make([][5]*float64, len(p.Numbers)) // mean, median, p10, p90, sd
		dest := []any{&pop, &segment, &size}
		for i := range stats {
			for j := range stats[i] {
				dest = append(dest, &stats[i][j])
			}
		}
		if err := res.Scan(dest...); err != nil {
			return err
		}
		sp := methods.SegmentProfile{Size: size}
		if segment != nil {
			sp.Segment = *segment
		}
		if len(p.Numbers) > 0 {
			sp.Numbers = map[string]methods.NumberProfile{}
		}
		for i, col := range p.Numbers {
			s := stats[i]
			sp.Numbers[col] = methods.NumberProfile{Mean: finite(s[0]), Median: finite(s[1]), P10: finite(s[2]), P90: finite(s[3]), SD: finite(s[4])}
		}
		if pop {
			p.Population = sp
		} else {
			p.Segments = append(p.Segments, sp)
		}
	}
	if err := res.Err(); err != nil {
		return err
	}
	p.Population.Share = 1
	for i := range p.Segments {
		s := &p.Segments[i]
		s.Share = ratio(float64(s.Size), float64(p.Population.Size))
		for col, n := range s.Numbers {
			if pm := p.Population.Numbers[col].Mean; n.Mean != nil && pm != nil {
				n.Lift = finite(ptr(*n.Mean / *pm))
				s.Numbers[col] = n
			}
		}
	}
	return nil
}

// profileTexts reads each segment's and the population's most frequent values of the text columns,
// with each value's count in the population for its lift.
func (e *execution) profileTexts(ctx context.Context, p *methods.Profiles, rows string) error {
	long := make([]string, len(p.Texts))
	for i := range p.Texts {
		long[i] = fmt.Sprintf("SELECT pop, seg, %[1]d AS col, t%[1]d AS v FROM r", i)
	}
	query := fmt.Sprintf(`WITH r AS (%s),
		counts AS (SELECT pop, seg, col, v, count(*) AS n FROM (%s) WHERE v IS NOT NULL GROUP BY ALL)
		SELECT c.pop, c.seg::VARCHAR, c.col, c.v, c.n, p.n FROM counts c JOIN counts p ON p.pop AND p.col = c.col AND p.v = c.v
		QUALIFY row_number() OVER (PARTITION BY c.pop, c.seg, c.col ORDER BY c.n DESC, c.v) <= %d
		ORDER BY c.pop DESC, c.seg, c.col, c.n DESC, c.v`, rows, strings.Join(long, " UNION ALL "), profileTopValues)
	res, err := e.db.Query(ctx, query)
	if err != nil {
		return err
	}
	defer res.Close()
	bySegment := map[string]*methods.SegmentProfile{}
	for i := range p.Segments {
		bySegment[p.Segments[i].Segment] = &p.Segments[i]
	}
	popSize := float64(p.Population.Size)
	for res.Next() {
		var pop bool
		var segment *string
		var col int
		var value string
		var n, popN int64
		if err := res.Scan(&pop, &segment, &col, &value, &n, &popN); err != nil {
			return err
		}
		sp := &p.Population
		if !pop {
			if segment == nil || bySegment[*segment] == nil { // every segment's size was read first
				return fmt.Errorf("a text value of segment %v, which has no size", segment)
			}
			sp = bySegment[*segment]
		}
		if sp.Texts == nil {
			sp.Texts = map[string][]methods.TextValue{}
		}
		share := ratio(float64(n), float64(sp.Size))
		name := p.Texts[col]
		sp.Texts[name] = append(sp.Texts[name], methods.TextValue{Value: value, Share: share, Lift: ratio(share, ratio(float64(popN), popSize))})
	}
	return res.Err()
}

// finite drops a statistic JSON cannot hold (NaN or infinite, from such values in the data).
func finite(x *float64) *float64 {
	if x == nil || math.IsNaN(*x) || math.IsInf(*x, 0) {
		return nil
	}
	return x
}

func ptr(x float64) *float64 { return &x }

// ratio is a / b, or 0 when b is 0 (an empty input).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
