package runner

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// profileTopValues is how many of a text column's most frequent values each segment's profile lists.
const profileTopValues = 5

// profileProbeRows is how many of a result's first rows are paired with its input's before a profile
// reads them by position (a variable: a test sets 0 to make the read itself find a result out of order).
var profileProbeRows = 4096

// profileDefaultColumns caps the numeric columns a segmentation without profile: has profiled: each
// column costs about as much as another (at 1M customers, some 30 ms of CPU per column and segmentation),
// so a wide input (a feature table of 200 columns, say) would cost a run seconds for a table nobody reads.
// The first ones in the input's order are profiled; profile: names others.
const profileDefaultColumns = 12

// profileColumns splits the columns seg's profiles describe into numbers and texts: those its profile:
// names, in its order, or (profile: omitted) the input's numeric columns but the entity, in the input's
// order, at most profileDefaultColumns of them; left is how many numeric columns the cap left out.
func profileColumns(seg spec.Segmentation, entity string, input []sql.Column) (numbers, texts []string, left int) {
	if seg.Profile == nil {
		for _, c := range input {
			if c.Name == entity || !methods.IsNumeric(c.Type) {
				continue
			}
			if len(numbers) == profileDefaultColumns {
				left++
				continue
			}
			numbers = append(numbers, c.Name)
		}
		return numbers, nil, left
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
	return numbers, texts, 0
}

// profiled reports whether seg's versions store profiles: unless its profile: is an empty list.
func profiled(seg spec.Segmentation) bool {
	return seg.Profile == nil || len(seg.Profile) > 0
}

// profileRows is the SQL of the rows profiles describe: every segment's members joined to their input
// row, then every input row again as the population (pop). The profiled columns are renamed c0, c1, ...
// (numbers as doubles, texts t0, t1, ... as text) so that no input column's name can collide with
// segrun's. On engine postgres the segment and the population's NULL are text too (DuckDB keeps the
// segment's ENUM, whose codes order the segments).
func (e *execution) profileRows(result, input string, numbers, texts []string) string {
	double, segment, none := "DOUBLE", "r.segment", "NULL"
	if e.s.IsPostgres() {
		double, segment, none = "DOUBLE PRECISION", "CAST(r.segment AS VARCHAR)", "CAST(NULL AS VARCHAR)"
	}
	var cols, popCols []string
	for i, c := range numbers {
		cols = append(cols, fmt.Sprintf("CAST(i.%s AS %s) AS c%d", sql.Ident(c), double, i))
		popCols = append(popCols, fmt.Sprintf("CAST(%s AS %s) AS c%d", sql.Ident(c), double, i))
	}
	for i, c := range texts {
		cols = append(cols, fmt.Sprintf("CAST(i.%s AS VARCHAR) AS t%d", sql.Ident(c), i))
		popCols = append(popCols, fmt.Sprintf("CAST(%s AS VARCHAR) AS t%d", sql.Ident(c), i))
	}
	list, popList := "", ""
	if len(cols) > 0 {
		list, popList = ", "+strings.Join(cols, ", "), ", "+strings.Join(popCols, ", ")
	}
	ent := sql.Ident(e.s.Entity)
	return fmt.Sprintf(`SELECT false AS pop, %[6]s AS seg%[4]s FROM %[1]s r JOIN %[2]s i ON r.%[3]s = i.%[3]s
		UNION ALL SELECT true, %[7]s%[5]s FROM %[2]s`, sql.Ident(result), sql.Ident(input), ent, list, popList, segment, none)
}

// profile describes each segment of segmentation name's result in its input's columns against the whole
// input: over the finished result joined to its input, numbers read once as Arrow and summarised in Go,
// text columns counted by one DuckDB aggregate (a few rows per segment come back).
func (e *execution) profile(ctx context.Context, name string, seg spec.Segmentation, resultRows int64) (*methods.Profiles, error) {
	start, cpu := time.Now(), processCPU()
	numbers, texts, left := profileColumns(seg, e.s.Entity, e.v.Columns[seg.From])
	rows := e.profileRows(name, seg.From, numbers, texts)
	p := &methods.Profiles{Numbers: numbers, Texts: texts, Unprofiled: left}
	numbersRead := func() error {
		return e.profileNumbers(ctx, p, name, seg.From, rows, seg.Multi, resultRows, auditsDrift(seg))
	}
	if e.s.IsPostgres() { // in the server: no member's value crosses (profile_postgres.go)
		numbersRead = func() error { return e.profileNumbersInEngine(ctx, p, name, seg.From, rows) }
	}
	if err := numbersRead(); err != nil {
		return nil, fmt.Errorf("segmentation %s: profiles: %w", name, err)
	}
	if len(texts) > 0 {
		if err := e.profileTexts(ctx, p, rows); err != nil {
			return nil, fmt.Errorf("segmentation %s: profiles: %w", name, err)
		}
	}
	e.log.Debug("profiled", "segmentation", name, "numbers", len(numbers), "texts", len(texts), "seconds", time.Since(start).Seconds(),
		"cpu_seconds", processCPU()-cpu)
	return p, nil
}

// populationSummary is an input's size and the summaries of its profiled numeric columns: the same for
// every segmentation of that input profiling the same columns, so it is computed once per run (the
// population is half the rows profiles summarise).
type populationSummary struct {
	size      int64
	summaries []algorithms.Summary
}

// populationKey names an input's population summary of the numeric columns numbers, in their order.
func populationKey(input string, numbers []string) string {
	return input + "\x00" + strings.Join(numbers, "\x00")
}

// profileNumbers reads each segment's and the population's size and summarises their numeric columns.
// DuckDB's quantile aggregates took 0.6 s for three columns of the benchmark's 1M customers (a fifth of
// the run), so DuckDB joins the rows and labels each with its group, and Go summarises them
// (algorithms.Summarize, linear selection) from the Arrow batches.
func (e *execution) profileNumbers(ctx context.Context, p *methods.Profiles, result, input, rows string, multi bool, resultRows int64, keepValues bool) error {
	// The segments in their result's order (the ENUM's codes, which number its segments), with their
	// sizes; a row's group is its segment's code, which needs no text comparison per row.
	// An empty result has no segments, and its segment column is no ENUM (a method writes no names for
	// no rows): enum_code would refuse it.
	segments := "SELECT NULL::INTEGER, NULL::VARCHAR, 0::BIGINT WHERE false"
	if resultRows > 0 {
		segments = fmt.Sprintf(`SELECT code, name, n FROM (SELECT enum_code(segment)::INTEGER AS code,
		segment::VARCHAR AS name, count(*) AS n FROM %s GROUP BY segment) ORDER BY code`, sql.Ident(result))
	}
	res, err := e.db.Query(ctx, segments)
	if err != nil {
		return err
	}
	var sizes []int64
	groupOfCode := map[int32]int32{} // a segment's ENUM code -> its group: 1 + its index in p.Segments
	maxCode := int32(-1)
	for res.Next() {
		var code *int32
		var name *string
		var n int64
		if err := res.Scan(&code, &name, &n); err != nil {
			res.Close()
			return err
		}
		if name == nil || code == nil { // methods leave unassigned entities out of their result: this is a method's bug
			res.Close()
			return fmt.Errorf("%d rows of the result have no segment", n)
		}
		p.Segments = append(p.Segments, methods.SegmentProfile{Segment: *name, Size: n})
		sizes = append(sizes, n)
		groupOfCode[*code] = int32(len(p.Segments))
		maxCode = max(maxCode, *code)
	}
	res.Close()
	if err := res.Err(); err != nil {
		return err
	}
	key := populationKey(input, p.Numbers)
	population, cached := e.populations[key]
	if !cached {
		if err := e.db.QueryRow(ctx, "SELECT count(*) FROM "+sql.Ident(input)).Scan(&population.size); err != nil {
			return err
		}
	}
	p.Population.Size = population.size
	p.Population.Share = 1
	for i := range p.Segments {
		p.Segments[i].Share = ratio(float64(p.Segments[i].Size), float64(p.Population.Size))
	}
	if len(p.Numbers) == 0 {
		return nil
	}
	// Group 0 is the population, 1 + i segment i; each group's values of each column, without NULLs.
	// A cached population's values are not read again.
	groups := append([]int64{p.Population.Size}, sizes...)
	if cached {
		groups[0] = 0
	}
	values := make([][][]float64, len(groups))
	for g, n := range groups {
		values[g] = make([][]float64, len(p.Numbers))
		for c := range p.Numbers {
			values[g][c] = make([]float64, 0, n)
		}
	}
	// codeGroup maps the query's g (an ENUM code + 1, or 0 for no segment) to the row's group.
	codeGroup := make([]int32, maxCode+2)
	for code, g := range groupOfCode {
		codeGroup[code+1] = g
	}
	cols, casts := make([]string, len(p.Numbers)), make([]string, len(p.Numbers))
	for c, name := range p.Numbers {
		cols[c], casts[c] = fmt.Sprintf("c%d", c), fmt.Sprintf("i.%s::DOUBLE AS c%d", sql.Ident(name), c)
	}
	// Every input row is a population row, and a segment's too when it has one. A multi segmentation's
	// entity can be in several segments, so its rows are read as profileRows gives them: the
	// population's, then the segments' (g 0 is the population's alone there).
	everyRowPopulation := !multi
	// The values read are kept for the drift audit when it will want them (profiledValues): every row's,
	// the population's among them, which a cached population's summary or a multi segmentation's read
	// does not give.
	keep := keepValues && !cached && !multi
	query := fmt.Sprintf("SELECT coalesce(enum_code(r.seg)::INTEGER + 1, 0)::INTEGER AS g, %s FROM %s i LEFT JOIN (SELECT %s, segment AS seg FROM %s) r USING (%[3]s)",
		strings.Join(casts, ", "), sql.Ident(input), sql.Ident(e.s.Entity), sql.Ident(result))
	switch {
	case len(p.Segments) == 0:
		query = fmt.Sprintf("SELECT 0::INTEGER AS g, %s FROM %s i", strings.Join(casts, ", "), sql.Ident(input))
	case multi:
		query = fmt.Sprintf("SELECT (CASE WHEN pop THEN 0 ELSE enum_code(seg)::INTEGER + 1 END)::INTEGER AS g, %s FROM (%s)", strings.Join(cols, ", "), rows)
	}
	if cached && len(p.Segments) == 0 {
		query = "" // the population is all there is, and it is summarised
	}
	// A result whose rows are its input's, in the input's order (a rules segmentation's: the rule engine
	// writes them as it reads them), pairs with the input row by row: a POSITIONAL JOIN, two scans
	// instead of a hash join (0.06 s of CPU instead of 0.16 s at 1M customers). Each row's pair is checked
	// (same entity); at the first that differs the read starts again with the hash join.
	var sumSizes int64
	for _, n := range sizes {
		sumSizes += n
	}
	positional := ""
	if !multi && len(p.Segments) > 0 && sumSizes == population.size && population.size > 0 {
		ent := sql.Ident(e.s.Entity)
		positional = fmt.Sprintf("SELECT coalesce(enum_code(r.segment)::INTEGER + 1, 0)::INTEGER AS g, %s, i.%s IS NOT DISTINCT FROM r.%[2]s AS same FROM %s i POSITIONAL JOIN %s r",
			strings.Join(casts, ", "), ent, sql.Ident(input), sql.Ident(result))
	}
	read := func(query string, paired bool) (bool, error) {
		misaligned := false
		err := e.db.WithArrow(ctx, func(a *sql.Arrow) error {
			r, err := a.Query(query)
			if err != nil {
				return err
			}
			defer r.Release()
			for r.Next() {
				rec := r.RecordBatch()
				codes, ok := rec.Column(0).(*array.Int32)
				if !ok {
					return fmt.Errorf("group column is %s", rec.Column(0).DataType())
				}
				if paired {
					same, ok := rec.Column(1 + len(p.Numbers)).(*array.Boolean)
					if !ok {
						return fmt.Errorf("pairing column is %s", rec.Column(1+len(p.Numbers)).DataType())
					}
					for i := range same.Len() {
						if !same.Value(i) || !same.IsValid(i) {
							misaligned = true
							return nil
						}
					}
				}
				for c := range p.Numbers {
					col, ok := rec.Column(1 + c).(*array.Float64)
					if !ok {
						return fmt.Errorf("column %s is %s", p.Numbers[c], rec.Column(1+c).DataType())
					}
					nullable, groupOf := col.NullN() > 0, codes.Int32Values()
					for i, v := range col.Float64Values() {
						if (nullable && !col.IsValid(i)) || v != v { // NULL or NaN
							continue
						}
						code := groupOf[i]
						if code < 0 || int(code) >= len(codeGroup) || (code > 0 && codeGroup[code] == 0) {
							return fmt.Errorf("a row of segment code %d, which has no size", code-1)
						}
						group := codeGroup[code]
						if !cached && (group == 0 || everyRowPopulation) {
							values[0][c] = append(values[0][c], v)
						}
						if group > 0 {
							values[group][c] = append(values[group][c], v)
						}
					}
				}
			}
			return r.Err()
		})
		return misaligned, err
	}
	if positional != "" {
		// A result in another order (a clustering's, by entity) shows it in its first rows: looking at
		// them first spares reading everything twice.
		var differ int64
		ent := sql.Ident(e.s.Entity)
		if err := e.db.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FILTER (WHERE NOT same) FROM (SELECT i.%s IS NOT DISTINCT FROM r.%[1]s AS same FROM %s i POSITIONAL JOIN %s r LIMIT %d)",
			ent, sql.Ident(input), sql.Ident(result), profileProbeRows)).Scan(&differ); err != nil {
			return err
		}
		if differ > 0 {
			positional = ""
		}
	}
	if positional != "" {
		misaligned, err := read(positional, true)
		if err != nil {
			return err
		}
		if misaligned { // what was read is dropped, and read again by entity
			e.log.Debug("profile: result not in its input's order", "segmentation", result)
			for g := range values {
				for c := range values[g] {
					values[g][c] = values[g][c][:0]
				}
			}
		} else {
			query = ""
		}
	}
	if query != "" {
		if _, err := read(query, false); err != nil {
			return err
		}
	}
	// Each group's columns are summarised in parallel (selection is most of the time: 0.13 s of CPU for
	// the benchmark's 1M customers), on as many goroutines as --threads gives DuckDB (0: one per CPU).
	summaries := make([][]algorithms.Summary, len(groups))
	var wg sync.WaitGroup
	workers := e.o.Threads
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	slots := make(chan struct{}, workers)
	for g := range groups {
		summaries[g] = make([]algorithms.Summary, len(p.Numbers))
		if g == 0 && cached {
			copy(summaries[0], population.summaries)
			continue
		}
		for c := range p.Numbers {
			wg.Add(1)
			slots <- struct{}{}
			go func() {
				defer func() { <-slots; wg.Done() }()
				summaries[g][c] = algorithms.Summarize(values[g][c]) // it may reorder them, no more
				if !keep {
					values[g][c] = nil
				}
			}()
		}
	}
	wg.Wait()
	if keep {
		names := make([]string, len(p.Segments))
		for i, sp := range p.Segments {
			names[i] = sp.Segment
		}
		e.profiled = &profiledValues{result: result, numbers: p.Numbers, rows: groups, segments: names, values: values}
	}
	if !cached {
		e.populations[key] = populationSummary{size: population.size, summaries: summaries[0]}
	}
	summarise := func(sp *methods.SegmentProfile, g int) {
		sp.Numbers = map[string]methods.NumberProfile{}
		for c, col := range p.Numbers {
			s := summaries[g][c]
			sp.Numbers[col] = methods.NumberProfile{Mean: finite(&s.Mean), Median: finite(&s.Median), P10: finite(&s.P10), P90: finite(&s.P90), SD: finite(&s.SD)}
		}
	}
	summarise(&p.Population, 0)
	for i := range p.Segments {
		s := &p.Segments[i]
		summarise(s, i+1)
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
	query := e.profileTextsSQL(rows, len(p.Texts))
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
