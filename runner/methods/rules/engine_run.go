package rules

import (
	"context"

	"github.com/segrun/segrun/runner/methods"
	engine "github.com/segrun/segrun/runner/rules"
)

// The rules method on an engine other than DuckDB (methods.EngineRunner): the rule set runs inside the
// engine as one SQL CASE, and its statistics come back as one row.

func (method) CheckOnEngine(env methods.CheckEnv, engineName string) {
	CheckOnEngineNamed(env, Env(env.Input(), env.Vars()), engineName)
}

func (method) RunOnEngine(ctx context.Context, env methods.EngineEnv) error {
	seg := env.Segmentation()
	rs, err := Compile(seg.Rules, seg.Else, seg.Multi, Env(env.Input(), env.Vars()))
	if err != nil {
		return err
	}
	return ApplyInEngine(ctx, env, rs, seg.From, nil)
}

// CheckOnEngineNamed refuses, at their positions, the rules that cannot run on the named engine.
func CheckOnEngineNamed(env methods.CheckEnv, ruleEnv *engine.Env, engineName string) {
	CheckOnEngine(env, ruleEnv, dialect(engineName))
}

// dialect is the rules' SQL dialect of an engine named as the spec names it.
func dialect(engineName string) engine.Dialect {
	if engineName == "postgres" {
		return engine.Postgres
	}
	return engine.DuckDB
}

// ApplyInEngine writes the segmentation's result table from rs over table inside the engine (the entity,
// segment, and carried columns), and its report's rule statistics from one aggregate row.
func ApplyInEngine(ctx context.Context, env methods.EngineEnv, rs *engine.Set, table string, carry []string) error {
	return ApplyOnEngine(ctx, env, env, rs, table, carry, engine.SQLOptions{Dialect: dialect(env.Engine()), VarsTable: env.VarsTable()})
}
