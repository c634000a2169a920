package rfm

import (
	"context"
	"fmt"

	"github.com/segrun/segrun/runner/methods"
	rulesmethod "github.com/segrun/segrun/runner/methods/rules"
	"github.com/segrun/segrun/sql"
)

// CheckOnEngine refuses, at their positions, the segmentation's own rules over the scores that have no
// SQL form on engine (the named grid always has one).
func (method) CheckOnEngine(env methods.CheckEnv, engine string) {
	rulesmethod.CheckOnEngineNamed(env, scoreRuleEnv(env.Input(), env.Entity(), env.Vars()), engine)
}

// RunOnEngine scores and segments inside the engine, as Run does in Go: the ±Inf check (one row of
// counts), the scores as one statement into a table of the run (ScoresSQL, the tie rule of
// algorithms.RFMScores), then the segment rules (the spec's, or the named grid) as SQL over that table,
// whose one statistics row gives the rules' matches and NULL skips. Only counts cross.
func (method) RunOnEngine(ctx context.Context, env methods.EngineEnv) error {
	seg := env.Segmentation()
	cfg := seg.RFM
	bins := cfg.Bins
	if bins == 0 {
		bins = 5
	}
	name, entity := env.Name(), env.Entity()
	var counts [3]int64
	q := InfinitiesSQL(seg.From, cfg.Recency, cfg.Frequency, cfg.Monetary)
	if err := env.QueryRow(ctx, q).Scan(&counts[0], &counts[1], &counts[2]); err != nil {
		return fmt.Errorf("segmentation %s: checking for infinite values: %w", name, err)
	}
	if err := InfinitiesError(cfg.Recency, cfg.Frequency, cfg.Monetary, counts); err != nil {
		return env.Fail(err.Error())
	}
	scores, err := ScoresSQL(seg.From, entity, cfg.Recency, cfg.Frequency, cfg.Monetary, bins)
	if err != nil {
		return err
	}
	scored := "segrun_rfm_" + name
	if err := env.CreateTableAs(ctx, scored, scores); err != nil {
		return fmt.Errorf("segmentation %s: scoring: %w", name, err)
	}
	defer env.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+sql.Ident(scored))
	rs, err := scoreRules(seg, bins, env.Input(), entity, env.Vars())
	if err != nil {
		return err
	}
	return rulesmethod.ApplyInEngine(ctx, env, rs, scored, scoreColumns)
}
