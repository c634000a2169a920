// Package clv is the clv segmentation method: from a transactions table (a row per purchase) it builds
// each customer's frequency, recency, age and mean repeat value in DuckDB, fits BG/NBD and Gamma-Gamma by
// maximum likelihood (algorithms), predicts P(alive), expected purchases over a horizon, expected value
// and discounted CLV, and assigns value tiers of the CLV as segments. The predictions are the result
// table's columns, for later features and segmentations to read.
package clv

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	engine "github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

func init() {
	// The block's shape is the pipeline schema's ($defs/clv), the single source of the spec's shape.
	methods.RegisterWithBlock(spec.MethodBlock{Name: "clv", Schema: []byte(`{"$ref": "#/$defs/clv"}`)}, method{})
}

type method struct{}

// predictionColumns are the result's columns after the summary's.
var predictionColumns = []string{"p_alive", "expected_purchases", "expected_value", "clv"}

// resultColumns are the result table's columns after the entity and segment, every one DOUBLE.
func resultColumns() []sql.Column {
	var out []sql.Column
	for _, c := range append(slices.Clone(summaryColumns), predictionColumns...) {
		out = append(out, sql.Column{Name: c, Type: "DOUBLE"})
	}
	return out
}

func (method) Label(spec.Segmentation) string { return "clv" }

// ReadsRunVars is false: no rules read the input's columns, so an input column named as_of shadows
// nothing (the run's as_of is read from the run's vars).
func (method) ReadsRunVars() bool { return false }

// ReadsTransactions: the input has a row per purchase.
func (method) ReadsTransactions() bool { return true }

// Check holds the block's columns to the input (time a date or timestamp, amount numeric) and its tiers
// to increasing lower bounds. The result's columns do not depend on the block, so they are returned even
// when it is wrong: later steps are typed against them and report nothing twice.
func (method) Check(env methods.CheckEnv) []sql.Column {
	at := env.Pointer() + "/clv"
	seg := env.Segmentation()
	if seg.Profile != nil {
		env.ErrorAt(env.Pointer()+"/profile", "clv.profile", "a clv segmentation's input has a row per purchase, so profile: cannot describe its customers; profile a segmentation that reads this one's result instead", "")
	}
	if seg.Multi {
		env.ErrorAt(env.Pointer()+"/multi", "clv.multi", "a clv segmentation puts each customer in one value tier; multi: is for rules", "")
	}
	if env.BrokenWithin(at) {
		return resultColumns()
	}
	node, _ := seg.Block("clv")
	b, err := decodeBlock(node)
	if err != nil {
		env.ErrorAt(at, "clv.block", "clv: "+err.Error(), "")
		return resultColumns()
	}
	input := env.Input()
	if i := slices.IndexFunc(input, func(c sql.Column) bool { return c.Name == b.Time }); i < 0 {
		methods.MissingColumn(env, at+"/time", b.Time)
	} else if typ := input[i].Type; typ != "DATE" && !strings.HasPrefix(typ, "TIMESTAMP") {
		env.ErrorAt(at+"/time", "segmentation.type", fmt.Sprintf("column %q of %s is %s; clv's time must be a DATE or TIMESTAMP (cast it in SQL)", b.Time, seg.From, typ), "")
	}
	methods.NumericColumn(env, at+"/amount", b.Amount)
	hasTiers, hasThresholds := env.Exists(at+"/tiers"), env.Exists(at+"/thresholds")
	switch {
	case !hasTiers && !hasThresholds:
		env.ErrorAt(at, "clv.tiers", "clv needs its value tiers: tiers: {NAME: quantile, ...} (where each tier starts, by quantile of predicted CLV) or thresholds: {NAME: CLV, ...}", "")
	case hasTiers && hasThresholds:
		env.ErrorAt(at+"/thresholds", "clv.tiers", "clv has both tiers: and thresholds:; the tiers are one or the other", "")
	default:
		tiers, err := b.tierList()
		if err != nil {
			env.ErrorAt(at+"/"+b.tierKey(), "clv.tiers", err.Error(), "")
			break
		}
		for k, t := range tiers {
			if k > 0 && t.from <= tiers[k-1].from {
				env.ErrorAt(fmt.Sprintf("%s/%s/%s", at, b.tierKey(), t.name), "clv.tiers", fmt.Sprintf(
					"tier %s starts at %v, not above %s's %v: list the tiers from the lowest value up, each starting higher", t.name, t.from, tiers[k-1].name, tiers[k-1].from), "")
			}
			if t.name == spec.PopulationSegment {
				env.ErrorAt(fmt.Sprintf("%s/%s/%s", at, b.tierKey(), t.name), "segment.reserved", spec.ReservedSegmentMessage(strings.TrimPrefix(env.Pointer(), "/segmentations/"), t.name), "")
			}
			if seg.Else == t.name {
				env.ErrorAt(env.Pointer()+"/else", "segment.duplicate", fmt.Sprintf("else segment %q is also a tier", t.name), "")
			}
		}
	}
	return resultColumns()
}

func (method) Run(ctx context.Context, env methods.Env) error {
	return env.WithArrow(ctx, func(a *sql.Arrow) error { return run(ctx, env, duckSide{a: a, env: env}) })
}

// side is where a clv run reads its counts and summaries and writes its result: DuckDB in process
// (duckSide) or an engine (engineSide, engine.go). Everything between, the fits, predictions and tiers,
// is the same Go on both, so the same summaries give the same result.
type side interface {
	dialect() dialect
	// counts reads inputSQL's one row.
	counts(ctx context.Context, query string) ([]float64, error)
	// summary reads a summarySQL query's rows in entity order (column 0 a key, then the summary's
	// columns, then holdout's if asked for); final is the as-of summary the result is written from.
	summary(ctx context.Context, query string, holdout, final bool) (*summary, error)
	// write writes the result table from the final summary, its predictions and tier codes.
	write(ctx context.Context, s *summary, pred algorithms.CLVPrediction, codes []int16, names []string) error
}

func run(ctx context.Context, env methods.Env, io side) error {
	seg := env.Segmentation()
	node, ok := seg.Block("clv")
	if !ok {
		return fmt.Errorf("segmentation %s: no clv block, which validation checked", env.Name())
	}
	b, err := decodeBlock(node)
	if err != nil {
		return fmt.Errorf("segmentation %s: %w", env.Name(), err)
	}
	tiers, err := b.tierList()
	if err != nil {
		return fmt.Errorf("segmentation %s: %w", env.Name(), err)
	}
	asOf, ok := asOfDate(env.Vars())
	if !ok {
		return fmt.Errorf("segmentation %s: the run has no as_of date", env.Name())
	}
	workers := methods.Workers(env.Threads())
	rep := &methods.CLVReport{Unit: b.Unit, Horizon: b.Horizon, DiscountRate: b.DiscountRate}
	env.Report().CLV = rep
	name, entity, from, d := env.Name(), env.Entity(), seg.From, io.dialect()
	counts, err := io.counts(ctx, inputSQL(d, b, from, entity, asOf))
	if err != nil {
		return err
	}
	env.Version().Entities, rep.SkippedRows = int64(counts[0]), int64(counts[1])
	if b.Holdout > 0 {
		if err := holdoutCheck(ctx, io, env, b, rep, asOf, workers); err != nil {
			return err
		}
	}
	start := time.Now()
	s, err := io.summary(ctx, summarySQL(d, b, from, entity, asOf, asOf, false), false, true)
	if err != nil {
		return err
	}
	defer s.release()
	env.Log().Debug("clv summary", "segmentation", name, "customers", s.c.Len(), "seconds", time.Since(start).Seconds())
	if s.c.Len() == 0 {
		return env.Fail(fmt.Sprintf("%s has no purchase before %s (a row with a %s and a %s of 0 or more)", from, asOf.Format(time.DateOnly), b.Time, b.Amount))
	}
	start = time.Now()
	bg, gg, err := fit(env, s.c, rep, workers)
	if err != nil {
		return err
	}
	pred, err := algorithms.PredictCLV(s.c, bg, gg, b.Horizon, b.DiscountRate, workers)
	if err != nil {
		return env.Fail("clv predictions: " + err.Error())
	}
	env.Log().Debug("clv fit", "segmentation", name, "seconds", time.Since(start).Seconds())
	codes, names := assignTiers(b, tiers, seg.Else, pred.CLV, rep)
	rep.Mean = map[string]float64{"p_alive": mean(pred.PAlive), "expected_purchases": mean(pred.ExpectedPurchases),
		"expected_value": mean(pred.ExpectedValue), "clv": mean(pred.CLV)}
	env.Version().Segments = names
	env.SetModel(map[string]any{"bgnbd": bg, "gamma_gamma": gg, "unit": b.Unit, "tiers": rep.Tiers})
	return io.write(ctx, s, pred, codes, names)
}

// duckSide is DuckDB in process: the summaries read through its Arrow interface, the result written
// from Arrow batches.
type duckSide struct {
	a   *sql.Arrow
	env methods.Env
}

func (duckSide) dialect() dialect { return dialect{} }

func (s duckSide) counts(_ context.Context, query string) ([]float64, error) {
	return readFloats(s.a, query, 2)
}

func (s duckSide) summary(_ context.Context, query string, holdout, _ bool) (*summary, error) {
	return readSummary(s.a, query, holdout)
}

func (s duckSide) write(_ context.Context, sum *summary, pred algorithms.CLVPrediction, codes []int16, names []string) error {
	return writeResult(s.a, s.env, sum, pred, codes, names)
}

// fit fits both models on the summary, filling the report; a summary the models cannot describe fails the
// segmentation (exit 1) saying why.
func fit(env methods.Env, c algorithms.CLVCustomers, rep *methods.CLVReport, workers int) (algorithms.BGNBD, algorithms.GammaGamma, error) {
	rep.Customers = c.Len()
	for _, x := range c.Frequency {
		if x > 0 {
			rep.Repeat++
		}
	}
	bg, ll, err := algorithms.FitBGNBD(c.RFT, workers)
	if err != nil {
		return bg, algorithms.GammaGamma{}, env.Fail("BG/NBD: " + err.Error())
	}
	rep.BGNBD = methods.CLVFit{Params: map[string]float64{"r": bg.R, "alpha": bg.Alpha, "a": bg.A, "b": bg.B}, LogLikelihood: ll, Customers: c.Len()}
	gg, gll, used, err := algorithms.FitGammaGamma(c.Frequency, c.Monetary, workers)
	if err != nil {
		return bg, gg, env.Fail("Gamma-Gamma: " + err.Error())
	}
	rep.GammaGamma = methods.CLVFit{Params: map[string]float64{"p": gg.P, "q": gg.Q, "v": gg.V}, LogLikelihood: gll, Customers: used}
	if gg.Q <= 1 {
		return bg, gg, env.Fail(fmt.Sprintf("Gamma-Gamma: q = %.4g is not above 1, so the mean value of a customer without a repeat purchase is infinite; the repeat values vary too much across customers for this model", gg.Q))
	}
	return bg, gg, nil
}

// holdoutCheck fits BG/NBD on the purchases before the calibration end (b.Holdout units before the as-of
// date) and compares its predicted holdout purchases with the actual ones, by calibration frequency.
func holdoutCheck(ctx context.Context, io side, env methods.Env, b block, rep *methods.CLVReport, asOf time.Time, workers int) error {
	days := float64(b.Holdout) * unitDays[b.Unit]
	calEnd := asOf.AddDate(0, 0, -int(math.Round(days)))
	length := math.Round(days) / unitDays[b.Unit]
	s, err := io.summary(ctx, summarySQL(io.dialect(), b, env.Segmentation().From, env.Entity(), calEnd, asOf, true), true, false)
	if err != nil {
		return err
	}
	defer s.release()
	if s.c.Len() == 0 {
		return env.Fail(fmt.Sprintf("holdout: no purchase before the calibration end %s (%d %ss before %s)", calEnd.Format(time.DateOnly), b.Holdout, b.Unit, asOf.Format(time.DateOnly)))
	}
	bg, ll, err := algorithms.FitBGNBD(s.c.RFT, workers)
	if err != nil {
		return env.Fail(fmt.Sprintf("holdout: BG/NBD on the calibration period (before %s): %s", calEnd.Format(time.DateOnly), err))
	}
	rep.Holdout = &methods.CLVHoldout{CalibrationEnd: calEnd.Format(time.DateOnly), Units: length,
		BGNBD:   methods.CLVFit{Params: map[string]float64{"r": bg.R, "alpha": bg.Alpha, "a": bg.A, "b": bg.B}, LogLikelihood: ll, Customers: s.c.Len()},
		Buckets: algorithms.HoldoutCheck(s.c.RFT, s.holdout, bg, length)}
	for _, k := range rep.Holdout.Buckets {
		if !isFinite(k.Predicted) {
			return env.Fail(fmt.Sprintf("holdout: the predicted purchases of customers with frequency %d are %v", k.Frequency, k.Predicted))
		}
	}
	return nil
}

// assignTiers gives each customer the code of their tier (-1: below the first, no segment unless else:)
// and returns the segment names (the tiers, else last), recording each tier's lower bound.
func assignTiers(b block, tiers []tier, elseSegment string, clv []float64, rep *methods.CLVReport) ([]int16, []string) {
	from := make([]float64, len(tiers))
	var qs []float64
	for k, t := range tiers {
		from[k] = t.from
		qs = append(qs, t.from)
	}
	if b.byQuantile() {
		from = algorithms.QuantileCuts(clv, qs)
	}
	names := make([]string, len(tiers))
	for k, t := range tiers {
		names[k] = t.name
		ct := methods.CLVTier{Segment: t.name, From: from[k]}
		if b.byQuantile() {
			ct.Quantile = &qs[k]
		}
		rep.Tiers = append(rep.Tiers, ct)
	}
	below := int16(-1)
	if elseSegment != "" {
		below = int16(len(names))
		names = append(names, elseSegment)
	}
	codes := make([]int16, len(clv))
	for i, v := range clv {
		if t := algorithms.Tier(v, from); t >= 0 {
			codes[i] = int16(t)
		} else {
			codes[i] = below
		}
	}
	return codes, names
}

// writeResult writes the result table: the entity, its tier, the summary and the predictions.
func writeResult(a *sql.Arrow, env methods.Env, s *summary, pred algorithms.CLVPrediction, codes []int16, names []string) error {
	values := [][]float64{s.c.Frequency, s.c.Recency, s.c.T, s.c.Monetary, pred.PAlive, pred.ExpectedPurchases, pred.ExpectedValue, pred.CLV}
	colNames := append(slices.Clone(summaryColumns), predictionColumns...)
	reader, release, err := codedReader(s.batches, colNames, values, codes, false)
	if err != nil {
		return err
	}
	defer release()
	sel := fmt.Sprintf("%s, %s AS segment, %s", sql.Ident(env.Entity()), methods.SegmentCase("segrun_code", methods.Ordinals(len(names)), names), methods.IdentList(colNames))
	return a.CreateTable(env.Name(), reader, sel, "segrun_code >= 0")
}

// asOfDate is the run's as_of.
func asOfDate(vars []engine.Var) (time.Time, bool) {
	for _, v := range vars {
		if v.Name == engine.AsOf {
			t, ok := v.Value.(time.Time)
			return t, ok
		}
	}
	return time.Time{}, false
}

// readFloats reads the n columns of a query's single row as numbers.
func readFloats(a *sql.Arrow, query string, n int) ([]float64, error) {
	batches, _, err := methods.ReadBatches(a, query)
	if err != nil {
		return nil, err
	}
	defer methods.Release(batches)
	out := make([]float64, n)
	for _, b := range batches {
		if b.NumRows() == 0 {
			continue
		}
		for c := range n {
			if err := engine.FloatsInto(b.Column(c), out[c:c+1]); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// codedReader reads the summary's batches with columns of its own beside the entity, as
// methods.WithColumns joins them: the float64 columns names (values, one per row of the batches) and the
// tier codes as segrun_code, first when codesFirst (the engine's pushed table) or last (the result table
// DuckDB writes). release frees the columns once the reader has been read.
func codedReader(batches []arrow.RecordBatch, names []string, values [][]float64, codes []int16, codesFirst bool) (reader array.RecordReader, release func(), err error) {
	codeField := arrow.Field{Name: "segrun_code", Type: arrow.PrimitiveTypes.Int16}
	var fields []arrow.Field
	if codesFirst {
		fields = append(fields, codeField)
	}
	for _, n := range names {
		fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Float64})
	}
	codeAt := 0
	if !codesFirst {
		codeAt = len(fields)
		fields = append(fields, codeField)
	}
	cols := make([][]arrow.Array, len(fields))
	off := 0
	for _, rec := range batches {
		n := int(rec.NumRows())
		c := 0
		for i := range fields {
			if i == codeAt {
				cols[i] = append(cols[i], methods.Int16Array(codes[off:off+n]))
				continue
			}
			cols[i] = append(cols[i], methods.Float64Array(values[c][off:off+n]))
			c++
		}
		off += n
	}
	freeCols := func() {
		for _, cs := range cols {
			for _, c := range cs {
				c.Release()
			}
		}
	}
	reader, err = methods.WithColumns(batches, 0, fields, cols)
	if err != nil {
		freeCols()
		return nil, nil, err
	}
	return reader, func() { reader.Release(); freeCols() }, nil
}
