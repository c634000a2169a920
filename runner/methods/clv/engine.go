package clv

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// A clv segmentation on an engine (methods.EngineRunner). The summaries are the engine's work: the
// purchase days (a GROUP BY customer and day, which a table sharded by customer runs on its shards) and
// each customer's frequency, recency, age and mean repeat value, by summarySQL in the engine's dialect,
// into a table of the run numbered in entity order. The fits need every customer's summary, so the
// summaries cross to segrun by binary COPY: four doubles and the row's number per customer (and, with
// holdout:, the calibration period's five doubles). The predictions cannot be SQL equal to Go's: BG/NBD's
// conditional expectation is a Gauss hypergeometric series summed term by term until it converges
// (algorithms.PredictCLV), and PostgreSQL's exp, ln and power are its C library's, which may differ from
// Go's in the last bit, enough to move a customer across a tier's quantile. So segrun predicts and tiers
// in Go, as on DuckDB, and pushes the predictions back by binary COPY FROM: the row's number, its tier's
// code and four doubles per customer. The result table is the join of the summary table with them,
// written in the engine. docs/engines.md ("CLV on an engine") gives the sizes.

// CheckOnEngine has nothing to refuse: every clv block runs on an engine.
func (method) CheckOnEngine(methods.CheckEnv, string) {}

func (method) RunOnEngine(ctx context.Context, env methods.EngineEnv) error {
	io := &engineSide{env: env, summaryTable: "segrun_clv_" + env.Name(), predictionTable: "segrun_clv_predicted_" + env.Name()}
	defer io.drop(context.WithoutCancel(ctx))
	return run(ctx, env, io)
}

// engineSide is a clv run's reads and writes on an engine.
type engineSide struct {
	env methods.EngineEnv
	// summaryTable holds the final summary, numbered; predictionTable what segrun pushed back.
	summaryTable, predictionTable string
	created                       []string
}

func (s *engineSide) dialect() dialect {
	return engineDialect(s.env.Engine(), s.env.Input(), s.env.Entity(), s.env.Segmentation())
}

// engineDialect is the summary's dialect on engine for an input (its entity's and amount's types).
func engineDialect(engine string, input []sql.Column, entity string, seg spec.Segmentation) dialect {
	typ := func(col string) string {
		if i := slices.IndexFunc(input, func(c sql.Column) bool { return c.Name == col }); i >= 0 {
			return input[i].Type
		}
		return ""
	}
	var amount string
	if node, ok := seg.Block("clv"); ok {
		if b, err := decodeBlock(node); err == nil {
			amount = typ(b.Amount)
		}
	}
	ent := typ(entity)
	return dialect{postgres: engine == "postgres",
		textEntity:    ent == "VARCHAR" || strings.HasPrefix(ent, "VARCHAR("),
		integerAmount: slices.Contains([]string{"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}, amount)}
}

func (s *engineSide) counts(ctx context.Context, query string) ([]float64, error) {
	out := make([]float64, 2)
	if err := s.env.QueryRow(ctx, query).Scan(&out[0], &out[1]); err != nil {
		return nil, fmt.Errorf("segmentation %s: counting the purchases: %w", s.env.Name(), err)
	}
	return out, nil
}

// numbered is a summary query's rows with segrun_row, their number in entity order, first.
func (s *engineSide) numbered(query string) string {
	return fmt.Sprintf("SELECT row_number() OVER (ORDER BY %s) AS segrun_row, segrun_s.* FROM (%s) segrun_s",
		s.dialect().orderEntity("segrun_s."+sql.Ident(s.env.Entity())), query)
}

// summary pulls a summary's numbers in entity order, keyed by segrun_row. The final one is kept in the
// engine as summaryTable, for the result to join its entities and summary columns from.
func (s *engineSide) summary(ctx context.Context, query string, holdout, final bool) (*summary, error) {
	cols := append([]string{"segrun_row"}, summaryColumns...)
	if holdout {
		cols = append(cols, "holdout")
	}
	from := "(" + s.numbered(query) + ") segrun_n"
	if final {
		if err := s.env.CreateTableAs(ctx, s.summaryTable, s.numbered(query)); err != nil {
			return nil, fmt.Errorf("segmentation %s: the customers' summary: %w", s.env.Name(), err)
		}
		s.created = append(s.created, s.summaryTable)
		from = sql.Ident(s.summaryTable)
	}
	batches, err := s.env.Pull(ctx, "SELECT "+methods.IdentList(cols)+" FROM "+from+" ORDER BY segrun_row")
	if err != nil {
		return nil, fmt.Errorf("segmentation %s: pulling the customers' summary: %w", s.env.Name(), err)
	}
	return summaryOf(batches, holdout)
}

// write pushes the predictions and tier codes back, keyed by segrun_row, and writes the result table as
// the summary table joined with them, customers below the first tier (without else:) left out.
func (s *engineSide) write(ctx context.Context, sum *summary, pred algorithms.CLVPrediction, codes []int16, names []string) error {
	values := [][]float64{pred.PAlive, pred.ExpectedPurchases, pred.ExpectedValue, pred.CLV}
	reader, release, err := codedReader(sum.batches, predictionColumns, values, codes, true)
	if err != nil {
		return err
	}
	defer release()
	s.created = append(s.created, s.predictionTable)
	bytes, err := s.env.Push(ctx, s.predictionTable, reader)
	if err != nil {
		return fmt.Errorf("segmentation %s: writing the predictions back: %w", s.env.Name(), err)
	}
	s.env.Log().Debug("clv predictions pushed", "segmentation", s.env.Name(), "customers", len(codes), "bytes", bytes)
	segment := "CASE p.segrun_code"
	for i, n := range names {
		segment += fmt.Sprintf(" WHEN %d THEN %s", i, sql.Literal(n))
	}
	segment += " END"
	sel := []string{"s." + sql.Ident(s.env.Entity()), segment + " AS segment"}
	for _, c := range summaryColumns {
		sel = append(sel, "s."+sql.Ident(c))
	}
	for _, c := range predictionColumns {
		sel = append(sel, "p."+sql.Ident(c))
	}
	q := fmt.Sprintf("SELECT %s FROM %s s JOIN %s p ON p.segrun_row = s.segrun_row WHERE p.segrun_code >= 0",
		strings.Join(sel, ", "), sql.Ident(s.summaryTable), sql.Ident(s.predictionTable))
	if err := s.env.CreateTableAs(ctx, s.env.Name(), q); err != nil {
		return fmt.Errorf("segmentation %s: writing the result: %w", s.env.Name(), err)
	}
	return nil
}

// drop drops the tables the run made on the way (the run's schema is dropped at the end anyway; these go
// now so that a long run does not keep them).
func (s *engineSide) drop(ctx context.Context) {
	for _, t := range s.created {
		s.env.Exec(ctx, "DROP TABLE IF EXISTS "+sql.Ident(t))
	}
}

// EngineSQL is the statements counting seg's input and computing its customers' summary as of asOf on
// engine postgres (before it is numbered), for tests to see where they run on a sharded setup.
func EngineSQL(seg spec.Segmentation, input []sql.Column, entity string, asOf time.Time) (counts, summary string, err error) {
	node, ok := seg.Block("clv")
	if !ok {
		return "", "", fmt.Errorf("no clv block")
	}
	b, err := decodeBlock(node)
	if err != nil {
		return "", "", err
	}
	d := engineDialect("postgres", input, entity, seg)
	return inputSQL(d, b, seg.From, entity, asOf), summarySQL(d, b, seg.From, entity, asOf, asOf, false), nil
}
