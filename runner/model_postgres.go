package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/runner/methods/cluster"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/postgres"
)

// Models on engine postgres (docs/engines.md, "Models on an engine"): the point-in-time features are
// recomputed inside the server (buildPointInTime), the training rows are pulled with binary COPY and the
// model is fitted in Go, as on DuckDB, and the score table is scored inside the server by the model as SQL
// (modelScoreSQL): what crosses is the training rows and the fitted model, never a score per entity.

// Models are typed by validation on engine postgres: their SQL (the label window's, the split's test_after)
// is PostgreSQL's there. Set here rather than in postgresTyped's literal, which other kinds also extend.
func init() { postgresTyped[KindModel] = true }

// DefaultModelSampleRows is how many training rows a model fits on when its engine is not DuckDB and the
// spec gives no sample_rows: the rows are pulled out of the server to be fitted in Go, and 100,000 rows of
// a few dozen doubles are some 10 MB, where every customer of a warehouse (10 million) would be a
// gigabyte; a model's test metrics and fit are steady long before that (a class of 1% still has 1,000
// rows). The same as a clustering's (cluster.DefaultSampleRows), by the same hash of seed and entity.
const DefaultModelSampleRows = cluster.DefaultSampleRows

// modelSampleSQL is a seeded sample of at most rows of table's rows (cluster.SampleSQL: the same rows on
// DuckDB and PostgreSQL, by a hash of the split's seed and the entity), with the columns the model reads.
func modelSampleSQL(entity string, m spec.Model, table string, rows int) string {
	var cols []string
	for _, c := range append([]string{m.Label, m.Split.By}, m.Features...) {
		if c != "" && c != entity && !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	return cluster.SampleSQL(table, entity, cols, m.Split.Seed, rows)
}

// noteSample records the cap on the training rows when they reached it (the table had more).
func (r *ModelReport) noteSample(cap, rows int) {
	if cap > 0 && rows >= cap {
		r.SampleRows = cap
	}
}

// asOfSQL is how the run's SQL reads as_of: getvariable('as_of') on DuckDB, the scalar subquery over the
// run's one-row vars table on PostgreSQL.
func asOfSQL(s *spec.Spec) string {
	if s.IsPostgres() {
		return postgres.VarSQL("as_of")
	}
	return "getvariable('as_of')"
}

// runModelOnEngine fits the model in Go on the training rows pulled from the engine (unless stored, the
// refit: never model, is given: then nothing is pulled) and scores the score table inside the engine.
func (e *execution) runModelOnEngine(ctx context.Context, name string, m spec.Model, trainTable string, kinds map[string]string, stored *StoredModel, rep *ModelReport, regression, numericLabel bool) (int64, error) {
	pg, ok := e.db.(*postgres.DB)
	if !ok {
		return 0, fmt.Errorf("model %s: the engine's workspace is not PostgreSQL's", name)
	}
	step := "model " + name
	textEntity := e.textEntity(m.From)
	fitted := stored
	if fitted == nil {
		sample := m.SampleRows
		if sample == 0 {
			sample = DefaultModelSampleRows
		}
		q := modelRowsQuery(true, e.s.Entity, textEntity, m, trainTable, kinds, true, regression, sample)
		r, err := pg.PullArrow(ctx, q)
		if err != nil {
			return 0, sqlFailure(step, "reading "+trainTable+": ", err, q)
		}
		batches, _, err := methods.RetainAll(r)
		r.Release()
		if err != nil {
			return 0, sqlFailure(step, "reading "+trainTable+": ", err, q)
		}
		train, err := decodeModelRows(batches, e.s.Entity, m, trainTable, kinds, true)
		if err != nil {
			return 0, err
		}
		fitted, err = e.fitModel(m, train, rep, regression, numericLabel)
		rep.noteSample(sample, len(train.keys))
		train.release()
		if err != nil {
			return 0, err
		}
	}
	score := m.ScoreTable()
	if err := e.checkFinite(ctx, name, m, score, kinds); err != nil {
		return 0, err
	}
	q, err := modelScoreSQL(name, e.s.Entity, e.textEntity(score), score, kinds, fitted)
	if err != nil {
		return 0, err
	}
	if err := e.db.CreateTableAs(ctx, name, q); err != nil {
		return 0, sqlFailure(step, "scoring "+score+": ", err, "")
	}
	var rows int64
	if err := e.db.QueryRow(ctx, "SELECT count(*) FROM "+sql.Ident(name)).Scan(&rows); err != nil {
		return 0, err
	}
	rep.Scored = rows
	return rows, nil
}

// textEntity says whether the entity column of table is text (ordered by its bytes on PostgreSQL, as on
// DuckDB, so that both fit the rows in the same order and break decile ties alike).
func (e *execution) textEntity(table string) bool {
	i := slices.IndexFunc(e.v.Columns[table], func(c sql.Column) bool { return c.Name == e.s.Entity })
	return i >= 0 && modelColumnKind(e.v.Columns[table][i].Type) == colText
}

// checkFinite refuses, as reading the rows into Go does (readModelRows), a score table with an infinite
// number in a feature: standardised, it would score as the largest value, where Go stops with this error.
func (e *execution) checkFinite(ctx context.Context, name string, m spec.Model, table string, kinds map[string]string) error {
	var feats, items []string
	for _, f := range m.Features {
		if kinds[f] != colNumber {
			continue
		}
		col := "CAST(" + sql.Ident(f) + " AS DOUBLE PRECISION)"
		feats = append(feats, f)
		items = append(items, fmt.Sprintf("min(CASE WHEN %[1]s = CAST('Infinity' AS DOUBLE PRECISION) OR %[1]s = CAST('-Infinity' AS DOUBLE PRECISION) THEN CAST(%[2]s AS VARCHAR) END)", col, sql.Ident(e.s.Entity)))
	}
	if len(items) == 0 {
		return nil
	}
	vals := make([]*string, len(items))
	ptrs := make([]any, len(items))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	q := "SELECT " + strings.Join(items, ", ") + " FROM " + sql.Ident(table)
	if err := e.db.QueryRow(ctx, q).Scan(ptrs...); err != nil {
		return sqlFailure("model "+name, "checking "+table+" for infinite numbers: ", postgres.MapError(err, q), q)
	}
	for i, v := range vals {
		if v != nil {
			return &Failure{Msg: fmt.Sprintf("feature %s of %s has an infinite value (%s %s): a model needs finite numbers; cap or filter it in the SQL that computes it",
				feats[i], table, e.s.Entity, *v)}
		}
	}
	return nil
}
