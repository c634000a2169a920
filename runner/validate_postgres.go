package runner

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/postgres"
)

// validationWorkspace is the engine validation types SQL on: DuckDB in memory, or for engine postgres
// the server named by the spec's dsn_env (a run schema of its own, dropped at the end), or, with that
// variable unset, postgres.Offline: PostgreSQL's parser without a server (syntax and table references
// checked, nothing typed).
func validationWorkspace(ctx context.Context, s *spec.Spec) (sql.Workspace, error) {
	if !s.IsPostgres() {
		return sql.Open(ctx, "", sql.Options{Threads: 1, MemoryLimit: "512MB"})
	}
	if os.Getenv(s.PostgresDSNEnv()) == "" {
		return postgres.Offline{}, nil
	}
	now := time.Now()
	return postgres.OpenEnv(ctx, s.PostgresDSNEnv(), "validate_"+strconv.Itoa(os.Getpid())+"_"+strconv.FormatInt(now.UnixNano(), 36))
}

// postgresTyped are the step kinds validation types on engine postgres so far: sources (tables of the
// database) and features. The others (segmentations, KPIs, models...) are listed as skipped until the
// engine's wiring builds their SQL for PostgreSQL.
var postgresTyped = map[string]bool{KindSource: true, KindFeature: true, KindSegmentation: true, KindAudience: true, KindKPI: true}

// typeTableSource types a source that is a table or view of engine postgres's database: its columns as
// the server describes them, checked against the declared contract (each declared column must exist, with
// the declared type when one is given). Like a file source's, its columns become an empty stand-in table
// of the validation's run schema, which features are typed against. Offline, the declared columns stand
// in.
func (c *validator) typeTableSource(name, path string, src spec.Source) ([]sql.Column, error) {
	var declared []sql.Column
	for _, e := range src.Columns {
		typ := strings.ToUpper(strings.TrimSpace(e.Value.Type))
		if typ == "" {
			typ = "VARCHAR"
		}
		if _, err := postgres.PGType(typ); err != nil {
			c.errorAt(path+"/columns/"+pointerToken(e.Key)+"/type", "source.type", fmt.Sprintf("%q is not a type engine postgres knows by DuckDB's name (BIGINT, DOUBLE, VARCHAR, DATE, TIMESTAMP, DECIMAL(18,2)...)", e.Value.Type), "")
			return nil, nil
		}
		declared = append(declared, sql.Column{Name: e.Key, Type: typ})
	}
	if _, ok := c.db.(postgres.Offline); ok {
		if len(declared) == 0 {
			c.unknown[name] = fmt.Sprintf("engine postgres has no connection and source %s declares no columns", name)
			c.skip("source %s: columns unknown without a connection (set %s, or declare them under columns:)", name, c.s.PostgresDSNEnv())
			return nil, nil
		}
		c.skip("source %s: table %s not described (no connection); its declared columns are taken as its complete list", name, src.Table)
		return declared, nil
	}
	table := qualified(src.Table)
	cols, err := c.db.Describe(c.ctx, "SELECT * FROM "+table)
	if err != nil {
		se, ok := err.(*sql.Error)
		if !ok {
			return nil, err
		}
		if se.Class() != sql.StatementError {
			// the server's problem (a missing grant, a lost connection, a lock held elsewhere): exit 3
			return nil, fmt.Errorf("source %s: table %s: %w", name, src.Table, err)
		}
		c.errorAt(path+"/table", "source.read", fmt.Sprintf("source %s: table %s: %s", name, src.Table, se.Msg), "")
		return nil, nil
	}
	if pg, ok := c.db.(*postgres.DB); ok {
		if err := pg.CheckReadable(c.ctx, table, src.Table); err != nil {
			return nil, fmt.Errorf("source %s: table %s: %w", name, src.Table, err) // a missing grant, a lock: exit 3
		}
	}
	for _, d := range declared {
		for _, col := range cols {
			if col.Name == d.Name && !strings.EqualFold(col.Type, d.Type) && d.Type != "VARCHAR" {
				c.errorAt(path+"/columns/"+pointerToken(d.Name)+"/type", "source.column_type",
					fmt.Sprintf("source %s: column %s is %s in table %s, declared %s", name, d.Name, col.Type, src.Table, d.Type), "")
				return nil, nil
			}
		}
	}
	return c.applyContract(name, path, cols, declared), nil
}

// qualified quotes a [schema.]name as PostgreSQL reads it: each part its own identifier, lower-cased as
// an unquoted name would be.
func qualified(table string) string {
	parts := strings.Split(table, ".")
	for i, p := range parts {
		parts[i] = sql.Ident(strings.ToLower(p))
	}
	return strings.Join(parts, ".")
}

// engineMethods refuses, on engine postgres, each segmentation whose method has no engine form
// (methods.EngineRunner: rules, rfm, cluster, clv), at its method block: it would compute in Go over every row.
// What a method that has one cannot translate (a rule, dbscan) its CheckOnEngine reports when the
// segmentation is typed (typeSegmentation).
func (c *validator) engineMethods() {
	if !c.s.IsPostgres() {
		return
	}
	for _, e := range c.s.Segmentations {
		path := spec.StepPointer(KindSegmentation, e.Key)
		m, ok := methods.Lookup(e.Value.Method())
		if !ok || c.s.IsBroken(path) {
			continue
		}
		if _, ok := m.(methods.EngineRunner); !ok {
			at := path + "/" + e.Value.Method()
			if !c.s.Doc.Exists(at) {
				at = path
			}
			c.errorAt(at, "segmentation.engine", methods.UnsupportedOnEngine(e.Value.Method(), "postgres"), "")
		}
	}
}

// engineCheckUntyped runs a segmentation method's engine check when its input cannot be typed (offline,
// without a connection): what it can tell from the spec alone (dbscan) is still an error at its line;
// rules, which need their columns' types, are checked when typed.
func (c *validator) engineCheckUntyped(kind, name, path string) {
	if kind != KindSegmentation || !c.s.IsPostgres() {
		return
	}
	seg, _ := c.s.Segmentations.Get(name)
	if m, ok := methods.Lookup(seg.Method()); ok {
		if er, ok := m.(methods.EngineRunner); ok {
			er.CheckOnEngine(segCheckEnv{c: c, path: path, seg: seg}, "postgres")
		}
	}
}
