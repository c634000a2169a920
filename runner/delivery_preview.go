package runner

import (
	"context"
	"fmt"
	"strings"

	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// Dry-run previews: what each destination would receive, row by row, without writing anywhere. A file's
// rows are made by the query that writes it (its columns, personal ones hashed as they would be written,
// entities without consent left out); a table's or webhook's are the entity, group and event it would be
// sent. The rows come from the run's workspace, since a dry run publishes nothing: every member (mode
// full), or what entered and exited against the latest version (mode changes).

// DefaultPreviewRows is how many rows per destination segrun run --dry-run shows unless told.
const DefaultPreviewRows = 5

// previewDeliveries fills Columns and Preview of each planned delivery: the first o.PreviewRows rows,
// every row when it is negative.
func (e *execution) previewDeliveries(ctx context.Context) error {
	for i := range e.res.Deliveries {
		dl := &e.res.Deliveries[i]
		d, _ := e.s.Destinations.Get(dl.Destination)
		rows := e.previewRows(dl.Audience, dl.Mode == "changes")
		var q string
		if externalDestination(dl.Destination, d) != nil {
			ev := "'member'"
			if dl.Mode == "changes" {
				ev = "r.event"
			}
			q = fmt.Sprintf("SELECT r.segrun_entity::VARCHAR AS entity, r.segment::VARCHAR AS %s, %s AS event FROM (%s) r ORDER BY r.segrun_entity%s",
				sql.Ident(DestinationColumnGroup), ev, rows, map[bool]string{true: ", r.event DESC", false: ""}[dl.Mode == "changes"])
		} else {
			q = e.fileDeliveryQuery(rows, dl.Destination, d)
		}
		if e.o.PreviewRows > 0 {
			q += fmt.Sprintf(" LIMIT %d", e.o.PreviewRows)
		}
		cols, vals, err := arrowStrings(ctx, e.db, q)
		if err != nil {
			return fmt.Errorf("audience %s: previewing destination %s: %w", dl.Audience, dl.Destination, err)
		}
		dl.Columns, dl.Preview = cols, vals
		if dl.Preview == nil {
			dl.Preview = [][]string{}
		}
	}
	return nil
}

// previewRows selects an audience's rows as a delivery reads them (segrun_entity, segment and, for
// changes, event) from the workspace: its members, or its entered and exited against the base version.
func (e *execution) previewRows(audience string, changes bool) string {
	members := fmt.Sprintf("SELECT %s AS segrun_entity, segment::VARCHAR AS segment FROM %s", sql.Ident(e.s.Entity), sql.Ident(audience))
	if !changes {
		return members
	}
	before := fmt.Sprintf("SELECT * FROM (%s) WHERE false", members)
	if e.base != nil {
		before = fmt.Sprintf("SELECT entity AS segrun_entity, segment::VARCHAR AS segment FROM %s WHERE segmentation = %s",
			store.MembershipsAsOf(e.base.ID), sql.Literal(audience))
	}
	return fmt.Sprintf("SELECT *, 'entered' AS event FROM (%s EXCEPT %s) UNION ALL SELECT *, 'exited' AS event FROM (%s EXCEPT %s)",
		members, before, before, members)
}

// arrowStrings reads q's rows as text (NULL as ""), through Arrow batches.
func arrowStrings(ctx context.Context, db sql.Workspace, q string) ([]string, [][]string, error) {
	var cols []string
	var out [][]string
	err := db.WithArrow(ctx, func(a *sql.Arrow) error {
		r, err := a.Query(q)
		if err != nil {
			return err
		}
		defer r.Release()
		for _, f := range r.Schema().Fields() {
			cols = append(cols, f.Name)
		}
		for r.Next() {
			rec := r.RecordBatch()
			for i := range int(rec.NumRows()) {
				row := make([]string, rec.NumCols())
				for j := range row {
					if c := rec.Column(j); c.IsValid(i) {
						row[j] = strings.Clone(c.ValueStr(i))
					}
				}
				out = append(out, row)
			}
		}
		return r.Err()
	})
	return cols, out, err
}
