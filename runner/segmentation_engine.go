package runner

import (
	"cmp"
	"context"
	stdsql "database/sql"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/postgres"
	"github.com/segrun/segrun/sql/store"
)

// Segmentations computed inside the engine (methods.EngineRunner): always on engine postgres, and on
// DuckDB for a method that asks for it for a segmentation (a clustering fitted on a sample, so that both
// engines fit the same sample alike).

// sampledOnDuckDB is a method whose engine path is also DuckDB's for some segmentations.
type sampledOnDuckDB interface {
	OnDuckDB(seg spec.Segmentation) bool
}

// onEngine is method's engine form when this run computes seg with it.
func (e *execution) onEngine(method methods.Method, seg spec.Segmentation) (methods.EngineRunner, bool) {
	er, ok := method.(methods.EngineRunner)
	if !ok {
		return nil, false
	}
	if e.s.IsPostgres() {
		return er, true
	}
	d, ok := method.(sampledOnDuckDB)
	return er, ok && d.OnDuckDB(seg)
}

// segEngineEnv is methods.EngineEnv over the execution's workspace.
type segEngineEnv struct {
	*segEnv
}

func (j *segEngineEnv) Engine() string {
	if j.e.s.IsPostgres() {
		return "postgres"
	}
	return "duckdb"
}

// VarsTable is "" on DuckDB: vars are its session variables there, and rule SQL writes their values.
func (j *segEngineEnv) VarsTable() string {
	if j.e.s.IsPostgres() {
		return postgres.VarsTable
	}
	return ""
}

func (j *segEngineEnv) CreateTableAs(ctx context.Context, table, query string) error {
	return j.e.db.CreateTableAs(ctx, table, query)
}

func (j *segEngineEnv) QueryRow(ctx context.Context, query string, args ...any) *stdsql.Row {
	return j.e.db.QueryRow(ctx, query, args...)
}

func (j *segEngineEnv) PreviousMemberships() string {
	if j.e.base == nil || j.e.store == nil {
		return ""
	}
	return j.e.store.MembershipsAsOf(j.e.base.ID)
}

// Pull reads a small result as Arrow: binary COPY on PostgreSQL, DuckDB's Arrow interface in process.
func (j *segEngineEnv) Pull(ctx context.Context, query string) ([]arrow.RecordBatch, error) {
	if pg, ok := j.e.db.(*postgres.DB); ok {
		r, err := pg.PullArrow(ctx, query)
		if err != nil {
			return nil, err
		}
		out, _, err := methods.RetainAll(r)
		return out, err
	}
	var out []arrow.RecordBatch
	err := j.e.db.WithArrow(ctx, func(a *sql.Arrow) error {
		var err error
		out, _, err = methods.ReadBatches(a, query)
		return err
	})
	return out, err
}

// Push writes a result computed in Go into the run's workspace: binary COPY FROM on PostgreSQL, an Arrow
// view in process.
func (j *segEngineEnv) Push(ctx context.Context, table string, r array.RecordReader) (int64, error) {
	if pg, ok := j.e.db.(*postgres.DB); ok {
		return pg.PushArrow(ctx, table, r)
	}
	return 0, j.e.db.WithArrow(ctx, func(a *sql.Arrow) error { return a.CreateTable(table, r, "*", "") })
}

// engineDiff is the summary's segment table of a segmentation computed on an engine with no store to
// compare with (engine postgres, outcome computed): each segment's size and share from one GROUP BY in the
// engine, everyone entered, as DuckDB's first version of the same data reports it.
func engineDiff(ctx context.Context, db sql.Workspace, v store.Version) (*store.Diff, error) {
	tbl := sql.Ident(v.Table)
	d := &store.Diff{Segmentation: v.Segmentation, Entities: v.Entities}
	rows, err := db.Query(ctx, "SELECT CAST(segment AS VARCHAR), count(*) FROM "+tbl+" GROUP BY segment")
	if err != nil {
		return nil, fmt.Errorf("segmentation %s: segment sizes: %w", v.Segmentation, err)
	}
	defer rows.Close()
	for rows.Next() {
		var st store.SegmentStat
		if err := rows.Scan(&st.Segment, &st.Size); err != nil {
			return nil, err
		}
		st.Entered = st.Size
		if d.Entities > 0 {
			st.Share = float64(st.Size) / float64(d.Entities)
		}
		st.Description = v.Descriptions[st.Segment]
		d.Segments = append(d.Segments, st)
		d.Assigned += st.Size
		d.Entered += st.Size // a multi segmentation's diff counts (entity, segment) pairs
		d.Transitions = append(d.Transitions, store.Transition{From: "", To: st.Segment, Entities: st.Size})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if v.Multi {
		d.Transitions = nil
		if err := db.QueryRow(ctx, "SELECT count(DISTINCT "+sql.Ident(v.EntityColumn)+") FROM "+tbl).Scan(&d.Assigned); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(d.Segments, func(a, b store.SegmentStat) int {
		return cmp.Or(cmp.Compare(b.Size, a.Size), cmp.Compare(a.Segment, b.Segment))
	})
	slices.SortFunc(d.Transitions, func(a, b store.Transition) int { return cmp.Compare(a.To, b.To) })
	return d, nil
}
