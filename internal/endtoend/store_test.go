package endtoend

import (
	"database/sql"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// dumpStore writes a canonical dump of the store at path, opened read-only after the commands finished:
// its tables and columns, settings, runs, segmentation versions with their stored summaries and models,
// segment statistics, transitions, memberships as intervals and the change log. Rows are sorted; clock
// times, durations and the version are masked; JSON payloads are pretty-printed with sorted keys and
// rounded floats.
func dumpStore(path string, m *masker) (string, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return "", err
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // the ATTACH belongs to one connection's database instance; keep to one
	// The store's views name their tables as segrun_store.<table>, so it is attached under that name.
	if _, err := db.Exec("ATTACH '" + strings.ReplaceAll(path, "'", "''") + "' AS segrun_store (READ_ONLY)"); err != nil {
		return "", err
	}
	d := &storeDump{db: db, m: m}
	d.section("tables", `SELECT table_name, list(column_name || ' ' || data_type ORDER BY column_index)::VARCHAR AS columns
		FROM duckdb_columns() WHERE database_name = 'segrun_store' GROUP BY table_name ORDER BY table_name`)
	d.section("segrun_meta", `SELECT key, value FROM segrun_store.segrun_meta ORDER BY key`)
	d.runs()
	d.versions()
	d.section("segments", `SELECT run_id, segmentation, segment, size, share, entered, exited, stayed, description
		FROM segrun_store.segments ORDER BY run_id, segmentation, segment`)
	d.section("transitions", `SELECT run_id, segmentation, from_segment, to_segment, entities
		FROM segrun_store.transitions ORDER BY run_id, segmentation, from_segment NULLS FIRST, to_segment NULLS FIRST`)
	// KPI values, with the comparison view's difference and ratio; only in stores that have some, so the
	// other cases' goldens stay as they were.
	var kpis int
	if err := db.QueryRow(`SELECT count(*) FROM duckdb_tables() WHERE database_name = 'segrun_store' AND table_name = 'kpi_values'`).Scan(&kpis); err == nil && kpis > 0 {
		if err := db.QueryRow(`SELECT count(*) FROM segrun_store.kpi_values`).Scan(&kpis); err == nil && kpis > 0 {
			d.section("kpi_values", `SELECT run_id, segmentation, kpi, segment, position, value, members, description, format
				FROM segrun_store.kpi_values ORDER BY run_id, segmentation, kpi, position, segment`)
			d.section("kpi_comparison", `SELECT run_id, segmentation, kpi, segment, value, population_value, difference, ratio, members, population_members
				FROM segrun_store.kpi_comparison ORDER BY run_id, segmentation, kpi, segment`)
		}
	}
	// segrun measure's results (store schema 7), only in stores that have some; measured_at is a clock time.
	var measured int
	if err := db.QueryRow(`SELECT count(*) FROM duckdb_tables() WHERE database_name = 'segrun_store' AND table_name = 'measurements'`).Scan(&measured); err == nil && measured > 0 {
		if err := db.QueryRow(`SELECT count(*) FROM segrun_store.measurements`).Scan(&measured); err == nil && measured > 0 {
			// A few of the result's fields, as numbers the dump rounds: the JSON text itself carries DuckDB's
			// parallel sums and variances to their last bit, which vary from run to run.
			d.section("measurements", `SELECT run_id, audience, outcome, window_days, metric, (result->>'$.events')::BIGINT AS events,
				(result->>'$.overall.treatment.members')::BIGINT AS treated, (result->>'$.overall.control.members')::BIGINT AS held_out,
				(result->>'$.overall.lift.absolute.value')::DOUBLE AS lift, (result->>'$.overall.lift.absolute.low')::DOUBLE AS low,
				(result->>'$.overall.lift.absolute.high')::DOUBLE AS high, (result->>'$.overall.lift.p_value')::DOUBLE AS p_value,
				json_array_length(result->'$.segments') AS segments
				FROM segrun_store.measurements ORDER BY run_id, audience, outcome, window_days`)
		}
	}
	d.section("memberships", `SELECT segmentation, entity, segment, valid_from_run, valid_to_run
		FROM segrun_store.memberships ORDER BY segmentation, entity, valid_from_run, segment`)
	d.section("changes", `SELECT run_id, segmentation, entity, segment, event
		FROM segrun_store.changes ORDER BY run_id, segmentation, entity, event DESC, segment`)
	return d.out.String(), d.err
}

type storeDump struct {
	db  *sql.DB
	m   *masker
	out strings.Builder
	err error
}

// query runs q and returns its column names and rows, each value formatted.
func (d *storeDump) query(q string) ([]string, [][]string) {
	if d.err != nil {
		return nil, nil
	}
	rows, err := d.db.Query(q)
	if err != nil {
		d.err = fmt.Errorf("%s: %w", q, err)
		return nil, nil
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			d.err = err
			return nil, nil
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = d.value(v)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		d.err = err
	}
	return cols, out
}

func (d *storeDump) value(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case float64:
		return formatFloat(v)
	case float32:
		return formatFloat(float64(v))
	case time.Time:
		if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 && v.Nanosecond() == 0 {
			return v.Format(time.DateOnly)
		}
		return d.m.text(v.Format("2006-01-02 15:04:05"))
	case []byte:
		return d.m.text(string(v))
	case string:
		return d.m.text(v)
	}
	return d.m.text(fmt.Sprint(v))
}

// absent says, under the heading, that a table or view does not exist: a store holds the tables keyed by
// entity (memberships and the views over them) only once a first version is published.
func (d *storeDump) absent(name string) bool {
	if d.err != nil {
		return true
	}
	var n int
	if d.err = d.db.QueryRow(`SELECT count(*) FROM (SELECT table_name AS name, database_name FROM duckdb_tables()
		UNION ALL SELECT view_name, database_name FROM duckdb_views()) WHERE database_name = 'segrun_store' AND name = ?`, name).Scan(&n); d.err != nil {
		return true
	}
	if n == 0 {
		fmt.Fprintf(&d.out, "== %s: absent\n\n", name)
	}
	return n == 0
}

// section writes a query's rows as an aligned table under a heading.
func (d *storeDump) section(title, q string) {
	if title != "tables" && d.absent(title) {
		return
	}
	cols, rows := d.query(q)
	if d.err != nil {
		return
	}
	fmt.Fprintf(&d.out, "== %s (%d rows)\n", title, len(rows))
	tw := tabwriter.NewWriter(&d.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(cols, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	d.out.WriteString("\n")
}

// runs writes each run as a block: its columns, then its JSON payloads pretty-printed.
func (d *storeDump) runs() {
	if d.absent("runs") {
		return
	}
	cols, rows := d.query(`SELECT run_id, pipeline, status, as_of, run_key, spec_hash, segrun_version, started_at, published_at,
		replaced_by, vars::VARCHAR AS vars, sources::VARCHAR AS sources, steps::VARCHAR AS steps
		FROM segrun_store.runs ORDER BY run_id`)
	d.blocks("runs", cols, rows, map[string]bool{"vars": true, "sources": true, "steps": true},
		map[string]bool{"segrun_version": true, "started_at": true, "published_at": true})
}

// versions writes each segmentation version with its stored summary and model.
func (d *storeDump) versions() {
	if d.absent("segmentation_versions") {
		return
	}
	cols, rows := d.query(`SELECT run_id, segmentation, method, entities, assigned, summary::VARCHAR AS summary, model::VARCHAR AS model
		FROM segrun_store.segmentation_versions ORDER BY run_id, segmentation`)
	d.blocks("segmentation_versions", cols, rows, map[string]bool{"summary": true, "model": true}, nil)
}

// blocks writes one block per row: "column: value" lines, JSON columns pretty-printed and indented.
func (d *storeDump) blocks(title string, cols []string, rows [][]string, jsonCols, masked map[string]bool) {
	if d.err != nil {
		return
	}
	fmt.Fprintf(&d.out, "== %s (%d rows)\n", title, len(rows))
	if len(rows) == 0 {
		d.out.WriteString("\n")
	}
	for _, r := range rows {
		for i, c := range cols {
			v := r[i]
			switch {
			case masked[c] && v != "NULL":
				v = "<masked>"
			case jsonCols[c] && v != "NULL":
				v = strings.TrimSuffix(indent(d.m.jsonText(v), "    "), "\n")
				fmt.Fprintf(&d.out, "  %s:\n%s\n", c, v)
				continue
			}
			fmt.Fprintf(&d.out, "  %s: %s\n", c, v)
		}
		d.out.WriteString("\n")
	}
}
