// Package rfm is the rfm segmentation method: recency, frequency and monetary value scored into quantile
// bins (algorithms.RFMScores), then segments assigned by rules over r_score, f_score and m_score: the
// spec's own rules, or the named grid. Rows missing a value get a NULL score, so the rules skip them and
// the summary counts them.
package rfm

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	rulesmethod "github.com/segrun/segrun/runner/methods/rules"
	engine "github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

func init() { methods.Register("rfm", method{}) }

type method struct{}

var scoreColumns = []string{"r_score", "f_score", "m_score"}

func (method) Label(spec.Segmentation) string { return "rfm" }

func (method) ReadsRunVars() bool { return true }

// Check holds the three measures to numeric columns of the input and types the rules over the scores.
func (method) Check(env methods.CheckEnv) []sql.Column {
	seg := env.Segmentation()
	for _, f := range []struct{ key, col string }{{"recency", seg.RFM.Recency}, {"frequency", seg.RFM.Frequency}, {"monetary", seg.RFM.Monetary}} {
		methods.NumericColumn(env, env.Pointer()+"/rfm/"+f.key, f.col)
	}
	ruleEnv := scoreRuleEnv(env.Input(), env.Entity(), env.Vars())
	var out []sql.Column
	for _, x := range ruleEnv.Extra {
		out = append(out, sql.Column{Name: x.Name, Type: x.Type})
	}
	rulesmethod.Check(env, ruleEnv)
	return out
}

func (method) Run(ctx context.Context, env methods.Env) error {
	seg := env.Segmentation()
	cfg := seg.RFM
	bins := cfg.Bins
	if bins == 0 {
		bins = 5
	}
	name, entity := env.Name(), env.Entity()
	scored := "segrun_rfm_" + name
	err := env.WithArrow(ctx, func(a *sql.Arrow) error {
		batches, _, err := methods.ReadBatches(a, fmt.Sprintf("SELECT %s, %s FROM %s", sql.Ident(entity),
			methods.IdentList([]string{cfg.Recency, cfg.Frequency, cfg.Monetary}), sql.Ident(seg.From)))
		if err != nil {
			return err
		}
		defer methods.Release(batches)
		if len(batches) == 0 { // no rows: an empty scored table, for the rules to find nothing in
			return a.Exec(fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT %s, %s, NULL::BIGINT AS r_score, NULL::BIGINT AS f_score, NULL::BIGINT AS m_score FROM %s WHERE false",
				sql.Ident(scored), sql.Ident(entity), methods.IdentList([]string{cfg.Recency, cfg.Frequency, cfg.Monetary}), sql.Ident(seg.From)))
		}
		n := 0
		for _, b := range batches {
			n += int(b.NumRows())
		}
		var cols [3][]float64
		for c := range cols {
			cols[c] = make([]float64, n)
			offset := 0
			for _, b := range batches {
				if err := engine.FloatsInto(b.Column(1+c), cols[c][offset:]); err != nil {
					return fmt.Errorf("segmentation %s: %w", name, err)
				}
				offset += int(b.NumRows())
			}
		}
		r, f, m, err := algorithms.RFMScores(cols[0], cols[1], cols[2], bins)
		if err != nil {
			var de *algorithms.DataError
			if errors.As(err, &de) { // it names the role (monetary); the user knows the column by its name
				de.Column = map[string]string{"recency": cfg.Recency, "frequency": cfg.Frequency, "monetary": cfg.Monetary}[de.Column]
			}
			return env.Fail(err.Error())
		}
		scores := [3][]int{r, f, m}
		arrays := make([][]arrow.Array, 3)
		offset := 0
		for _, b := range batches {
			n := int(b.NumRows())
			for c := range scores {
				arrays[c] = append(arrays[c], scoreArray(scores[c][offset:offset+n]))
			}
			offset += n
		}
		defer func() {
			for _, as := range arrays {
				for _, x := range as {
					x.Release()
				}
			}
		}()
		fields := make([]arrow.Field, 3)
		for c, name := range scoreColumns {
			fields[c] = arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64, Nullable: true}
		}
		reader, err := methods.WithColumns(batches, 0, fields, arrays)
		if err != nil {
			return err
		}
		defer reader.Release()
		return a.CreateTable(scored, reader, "*", "")
	})
	if err != nil {
		return err
	}
	defer env.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+sql.Ident(scored))
	rs, err := scoreRules(seg, bins, env.Input(), entity, env.Vars())
	if err != nil {
		return err
	}
	return rulesmethod.Apply(ctx, env, rs, scored, scoreColumns)
}

// scoreRules compiles the rules that name an RFM segmentation's segments over its scores: the spec's own,
// or the default grid for its number of bins. In Go and on an engine alike.
func scoreRules(seg spec.Segmentation, bins int, input []sql.Column, entity string, vars []engine.Var) (*engine.Set, error) {
	list := seg.Rules
	if len(list) == 0 {
		grid, err := algorithms.RFMGridFor(bins)
		if err != nil {
			return nil, err
		}
		for _, g := range grid {
			list = append(list, spec.Rule{Segment: g.Segment, When: g.Rule()})
		}
	}
	return rulesmethod.Compile(list, seg.Else, seg.Multi, scoreRuleEnv(input, entity, vars))
}

// scoreRuleEnv is what an RFM segmentation's rules may read: the entity and the scores, the columns of
// the table they are computed in. Validation and the run use the one environment, so a rule over another
// column of the input is a validation error at its line, not a failed run.
func scoreRuleEnv(input []sql.Column, entity string, vars []engine.Var) *engine.Env {
	env := &engine.Env{Vars: vars}
	if i := slices.IndexFunc(input, func(c sql.Column) bool { return c.Name == entity }); i >= 0 {
		env.Columns = append(env.Columns, engine.Column{Name: input[i].Name, Type: input[i].Type})
	}
	for _, c := range scoreColumns {
		env.Extra = append(env.Extra, engine.Column{Name: c, Type: "BIGINT"})
	}
	return env
}

// scoreArray makes an Arrow column of scores, NULL where the score is 0 (a missing input value).
func scoreArray(s []int) arrow.Array {
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.Reserve(len(s))
	for _, v := range s {
		if v == 0 {
			b.AppendNull()
		} else {
			b.UnsafeAppend(int64(v))
		}
	}
	return b.NewArray()
}
