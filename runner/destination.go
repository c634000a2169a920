package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/segrun/segrun/internal/destinations"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// Destinations: an audience's members delivered to files after each published run (destinations: in the
// spec, listed by the audience's destinations:). A file is written as exports are (beside its name, then
// renamed into place) and recorded in the store's exports table (segmentation: the audience, path: the
// file), so a failure exits 4 with the version published. Personal columns are hashed unless the
// destination says pii: clear; entities without consent never leave (their columns are NULL in an exit
// row, the only row they can have). PostgreSQL tables and webhooks come later, as other kinds of
// destination beside path:.

// DestinationColumnGroup is the column a destination writes an audience's group (treatment or control) in.
const DestinationColumnGroup = "group"

// Delivery is what a run delivered, or a dry run would deliver, to one destination.
type Delivery struct {
	Audience    string `json:"audience"`
	Destination string `json:"destination"`
	Path        string `json:"path"`
	Mode        string `json:"mode"`
	// Rows are the rows written: every member (full), or the run's entered and exited (changes).
	Rows    int64 `json:"rows"`
	Written bool  `json:"written"`
	// Status is the delivery's in the store's deliveries table: ok, failed, partial, or skipped (a table or
	// webhook that had received the same content, from a forced rerun say).
	Status string `json:"status,omitempty"`
	// Columns and Preview are, in a dry run, the columns the destination would receive and its first
	// rows (RunOptions.PreviewRows), as they would be sent: personal columns hashed, entities without
	// consent left out of a file.
	Columns []string   `json:"columns,omitempty"`
	Preview [][]string `json:"preview,omitempty"`
	// entered and exited split Rows in mode changes, for the deliveries table.
	entered, exited int64
}

// recordFileDelivery records the writing of a file destination (failed, when err) in the deliveries table.
func (e *execution) recordFileDelivery(ctx context.Context, run int64, dl Delivery, path string, started time.Time, err error) error {
	rec := store.DeliveryRecord{ID: destinations.DeliveryID(dl.Audience, run, dl.Destination), Audience: dl.Audience, Destination: dl.Destination,
		Target: path, Run: run, RunKey: e.o.RunKey, Mode: dl.Mode, Status: store.DeliveryOK, Via: ViaRun, Started: started, Finished: time.Now().UTC()}
	if dl.Mode == destinations.ModeChanges {
		rec.Entered, rec.Exited = &dl.entered, &dl.exited
	} else {
		rec.Members = &dl.Rows
	}
	if err != nil {
		rec.Status, rec.Error = store.DeliveryFailed, err.Error()
		rec.Entered, rec.Exited, rec.Members = nil, nil, nil
	}
	return e.store.RecordDelivery(context.WithoutCancel(ctx), rec)
}

// destinationColumns are the columns a destination writes, by default the entity and the group.
func destinationColumns(s *spec.Spec, d spec.Destination) []string {
	if len(d.Columns) == 0 {
		return []string{s.Entity, DestinationColumnGroup}
	}
	return d.Columns
}

func destinationMode(d spec.Destination) string {
	if d.Mode == "" {
		return "full"
	}
	return d.Mode
}

// audienceSideTables are the tables a destination's other columns come from, in the order they are
// looked in: the audience's from (where: reads it; by default its first included segmentation's input)
// and its consent table.
func audienceSideTables(s *spec.Spec, a spec.Audience) []string {
	var out []string
	if from := audienceFrom(s, a); from != "" {
		out = append(out, from)
	}
	if a.Consent != nil && !slices.Contains(out, a.Consent.From) {
		out = append(out, a.Consent.From)
	}
	return out
}

// typeDestinations checks that each of an audience's destinations can write its columns, and refuses
// personal columns in clear for an audience without consent.
func (c *validator) typeDestinations(name, path string, a spec.Audience, owner map[string]string) {
	side := audienceSideTables(c.s, a)
	for i, dn := range a.Destinations {
		d, ok := c.s.Destinations.Get(dn)
		if !ok || owner[dn] != name {
			continue // reported by the spec's checks
		}
		if destinationKind(d) != "file" {
			c.typeExternalDestination(name, dn, d)
			continue
		}
		dpath := spec.Pointer("destinations", dn)
		available := []string{c.s.Entity, DestinationColumnGroup}
		var personal []string
		for j, col := range destinationColumns(c.s, d) {
			if col == c.s.Entity {
				if c.v.EntityPII != "" {
					personal = append(personal, col)
				}
				continue
			}
			if col == DestinationColumnGroup {
				continue
			}
			found := false
			for _, t := range side {
				cols, known := c.v.Columns[t]
				if !known {
					found = true // its own errors say why
					break
				}
				if slices.ContainsFunc(cols, func(x sql.Column) bool { return x.Name == col }) {
					found = true
					if _, ok := c.v.PII[t][col]; ok {
						personal = append(personal, col)
					}
					break
				}
			}
			if !found {
				for _, t := range side {
					for _, x := range c.v.Columns[t] {
						available = append(available, x.Name)
					}
				}
				sugg := spec.Nearest(col, available)
				c.errorAt(fmt.Sprintf("%s/columns/%d", dpath, j), "destination.column",
					fmt.Sprintf("destination %s of audience %s: no column %q (it can write %s, %s and the columns of %s)%s",
						dn, name, col, c.s.Entity, DestinationColumnGroup, strings.Join(side, " and "), suggestSuffix(sugg)), sugg)
			}
		}
		if d.PII == spec.PIIClear && a.Consent == nil && len(personal) > 0 {
			c.errorAt(fmt.Sprintf("%s/destinations/%d", path, i), "destination.consent",
				fmt.Sprintf("destination %s writes personal columns (%s) in clear, but audience %s has no consent:; entities without consent never leave",
					dn, strings.Join(personal, ", "), name), "")
		}
	}
}

// stageDeliveries writes, for each destination of audience name, the workspace table its file is read
// from after publishing: per entity that consented, the destination's columns other than the group,
// hashed as they must be. Run with the audience, while its inputs are still there. Only the entities a
// file can hold are staged (the members, and the base version's, which may exit): staging every entity
// of the side tables hashed 1M emails for a 52K-member audience, 3.9 s of the flagship at 1M customers.
func (e *execution) stageDeliveries(ctx context.Context, name string, a spec.Audience) error {
	ent := sql.Ident(e.s.Entity)
	side := audienceSideTables(e.s, a)
	for _, dn := range a.Destinations {
		d, _ := e.s.Destinations.Get(dn)
		if destinationKind(d) != "file" {
			continue // delivered from the store: the entity and its group only
		}
		clear := d.PII == spec.PIIClear
		sel := []string{"k." + ent + " AS segrun_entity"}
		joins := ""
		for i, t := range side {
			joins += fmt.Sprintf(" LEFT JOIN %s t%d ON t%d.%s = k.%s", sql.Ident(t), i, i, ent, ent)
		}
		for _, col := range destinationColumns(e.s, d) {
			if col == DestinationColumnGroup || col == e.s.Entity { // written from the row (writeDelivery)
				continue
			}
			for i, t := range side {
				if slices.ContainsFunc(e.v.Columns[t], func(x sql.Column) bool { return x.Name == col }) {
					// A value per entity needs a row per entity: from a table of purchases the file would
					// hold whichever purchase came first as the customer's.
					if err := e.checkedEntities(ctx, "audience "+name, t); err != nil {
						return err
					}
					sel = append(sel, piiColumnSQL(fmt.Sprintf("t%d.%s", i, sql.Ident(col)), col, e.v.PII[t][col], clear, e.s.IsPostgres()))
					break
				}
			}
		}
		keys := []string{fmt.Sprintf("SELECT %s FROM %s", ent, sql.Ident(name))}
		if e.base != nil {
			keys = append(keys, fmt.Sprintf("SELECT entity AS %s FROM %s segrun_base WHERE segmentation = %s", ent, e.store.MembershipsAsOf(e.base.ID), sql.Literal(name)))
		}
		where := ""
		if a.Consent != nil {
			i := slices.Index(side, a.Consent.From)
			where = fmt.Sprintf(" WHERE t%d.%s IS TRUE", i, sql.Ident(a.Consent.Column))
		}
		q := fmt.Sprintf("SELECT DISTINCT ON (segrun_entity) %s FROM (SELECT DISTINCT %s FROM (%s) segrun_keys) k%s%s",
			strings.Join(sel, ", "), ent, strings.Join(keys, " UNION ALL "), joins, where)
		if err := e.db.CreateTableAs(ctx, deliveryTable(dn), q); err != nil {
			return fmt.Errorf("audience %s: staging destination %s: %w", name, dn, err)
		}
	}
	return nil
}

// deliveryTable is the workspace table stageDeliveries writes for destination dn.
func deliveryTable(dn string) string { return spec.ReservedPrefix + "delivery_" + dn }

// planDeliveries lists what each destination of each audience receives from this run: every member, or
// the entered and exited of its version's diff.
func (e *execution) planDeliveries() {
	for _, r := range e.res.Segmentations {
		a, ok := e.s.Audiences.Get(r.Name)
		if !ok || r.Audience == nil || r.Diff == nil {
			continue
		}
		for _, dn := range a.Destinations {
			d, _ := e.s.Destinations.Get(dn)
			rows := r.Diff.Assigned
			if destinationMode(d) == "changes" {
				rows = r.Diff.Entered + r.Diff.Exited
			}
			e.res.Deliveries = append(e.res.Deliveries, Delivery{Audience: r.Name, Destination: dn, Path: destinationLabel(d), Mode: destinationMode(d), Rows: rows,
				entered: r.Diff.Entered, exited: r.Diff.Exited})
		}
	}
}

// deliver writes every planned delivery of version run, each recorded in the store once in place; it
// adds those it could not write to failed (the ExportsError of the exports before it, or a new one).
func (e *execution) deliver(ctx context.Context, run int64, failed error) error {
	var ee *ExportsError
	if !errors.As(failed, &ee) {
		if failed != nil {
			return failed
		}
		ee = &ExportsError{Run: run, Store: e.res.Store, RunKey: e.o.RunKey}
	}
	for i := range e.res.Deliveries {
		dl := &e.res.Deliveries[i]
		d, _ := e.s.Destinations.Get(dl.Destination)
		path := e.s.Path(d.Path)
		err := ctx.Err()
		if ext := externalDestination(dl.Destination, d); ext != nil && err == nil {
			path = destinationLabel(d)
			var rec store.DeliveryRecord
			rec, err = DeliverRecorded(ctx, e.db, e.store, e.s, dl.Audience, run, dl.Destination, ViaRun)
			dl.Status = rec.Status
		} else if err == nil {
			started := time.Now().UTC()
			err = e.writeDelivery(ctx, run, dl.Audience, dl.Destination, d, path)
			err = errors.Join(err, e.recordFileDelivery(ctx, run, *dl, path, started, err))
		}
		if err == nil {
			err = e.store.RecordExport(context.WithoutCancel(ctx), run, dl.Audience, dl.Mode == "changes", path)
		}
		if err != nil {
			if ctx.Err() != nil {
				ee.Interrupted = true
				err = errors.New("not written: interrupted")
			}
			ee.Failed = append(ee.Failed, ExportFailure{Segmentation: dl.Audience, Destination: dl.Destination, Changes: dl.Mode == "changes", Path: path, Error: err.Error()})
			continue
		}
		dl.Written = true
	}
	if len(ee.Failed) > 0 {
		e.res.ExportsFailed = ee.Failed
		return ee
	}
	return nil
}

// writeDelivery writes one destination's file: the members (or the run's changes) of the audience with
// its staged columns, in the order the destination lists them, beside the file and then renamed into
// place.
func (e *execution) writeDelivery(ctx context.Context, run int64, audience, dn string, d spec.Destination, path string) error {
	format, err := exportFormat(path)
	if err != nil {
		return err
	}
	rows := fmt.Sprintf("SELECT %s AS segrun_entity, segment FROM %s", sql.Ident(e.s.Entity), sql.Ident(audience))
	if destinationMode(d) == "changes" {
		rows = fmt.Sprintf("SELECT entity AS segrun_entity, segment, event FROM %s WHERE run_id = %d AND segmentation = %s", e.store.Table("changes"), run, sql.Literal(audience))
	}
	query := e.fileDeliveryQuery(rows, dn, d)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	removeStaleTemps(path)
	tmp := tempName(path, os.Getpid())
	if err := e.copyToFile(ctx, query, tmp, format); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// fileDeliveryQuery selects what the file of destination dn holds, from rows (segrun_entity, segment and,
// in mode changes, event): the destination's columns, personal ones hashed unless it says pii: clear, in
// entity order.
func (e *execution) fileDeliveryQuery(rows, dn string, d spec.Destination) string {
	pg := e.s.IsPostgres()
	var sel []string
	for _, col := range destinationColumns(e.s, d) {
		if col == DestinationColumnGroup {
			sel = append(sel, "r.segment::VARCHAR AS "+sql.Ident(col))
		} else {
			sel = append(sel, "p."+sql.Ident(col))
		}
	}
	if destinationMode(d) == "changes" {
		sel = append(sel, "r.event")
	}
	// An entity without consent has no staged row: its exit row carries its group and event only, and an
	// entity written as itself (a personal one hashed) is written from the row, not the staged table.
	// Under pii: clear, a personal entity without consent (now) is still hashed: its exit row (mode
	// changes) is the one row it can have, written so that the reader drops them, but no clear identifier
	// of someone who withdrew consent leaves after the withdrawal (as segrun export --changes hashes it).
	if i := slices.Index(destinationColumns(e.s, d), e.s.Entity); i >= 0 {
		sel[i] = piiColumnSQL("r.segrun_entity", e.s.Entity, e.v.EntityPII, d.PII == spec.PIIClear, pg)
		if d.PII == spec.PIIClear && e.v.EntityPII != "" && destinationMode(d) == "changes" {
			sel[i] = fmt.Sprintf("CASE WHEN p.segrun_entity IS NULL THEN %s ELSE CAST(r.segrun_entity AS VARCHAR) END AS %s",
				piiHashSQL("r.segrun_entity", e.v.EntityPII, pg), sql.Ident(e.s.Entity))
		}
	}
	return fmt.Sprintf("SELECT %s FROM (%s) r LEFT JOIN %s p ON p.segrun_entity = r.segrun_entity ORDER BY %s%s",
		strings.Join(sel, ", "), rows, sql.Ident(deliveryTable(dn)), entityOrderSQL(pg, "r.segrun_entity", e.v.EntityType),
		map[bool]string{true: ", r.event DESC", false: ""}[destinationMode(d) == "changes"])
}

// undeliveredDestinations are the destinations of the audiences version run published that are not
// recorded as delivered, or whose file is gone.
func (e *execution) undeliveredDestinations(ctx context.Context, run int64) ([]ExportFailure, error) {
	published, err := e.store.Segmentations(ctx, run)
	if err != nil {
		return nil, err
	}
	var out []ExportFailure
	for _, a := range e.s.Audiences {
		if !slices.Contains(published, a.Key) {
			continue
		}
		for _, dn := range a.Value.Destinations {
			d, ok := e.s.Destinations.Get(dn)
			if !ok {
				continue
			}
			if externalDestination(dn, d) != nil {
				ok, err := e.externalDelivered(ctx, run, a.Key, dn)
				if err != nil {
					return nil, err
				}
				if !ok {
					e.redeliver = append(e.redeliver, Delivery{Audience: a.Key, Destination: dn, Path: destinationLabel(d), Mode: destinationMode(d)})
				}
				continue
			}
			path := e.s.Path(d.Path)
			changes := destinationMode(d) == "changes"
			written, err := e.store.ExportWritten(ctx, run, a.Key, changes, path)
			if err != nil {
				return nil, err
			}
			if _, statErr := os.Stat(path); !written || statErr != nil {
				out = append(out, ExportFailure{Segmentation: a.Key, Destination: dn, Changes: changes, Path: path,
					Error: "not delivered: a rerun that publishes nothing cannot make it"})
			}
		}
	}
	return out, nil
}

// externalDelivered says whether the latest attempt at delivering version run of audience to the table or
// webhook dn succeeded (or found its content delivered before). A row the upgrade to schema 8 carried over
// from the exports table names the destination by its label only, and counts: without it, a scheduler's
// retry of the latest run key after the upgrade sent the whole version again under new keys.
func (e *execution) externalDelivered(ctx context.Context, run int64, audience, dn string) (bool, error) {
	recs, err := e.store.Deliveries(ctx, audience, run)
	if err != nil {
		return false, err
	}
	d, _ := e.s.Destinations.Get(dn)
	status := ""
	for _, r := range recs {
		if r.Destination == dn || (r.Via == "migrated" && r.Target == destinationLabel(d)) {
			status = r.Status
		}
	}
	return status == store.DeliveryOK || status == store.DeliverySkipped, nil
}

// redeliverExternal delivers, for a rerun of a run key already published, the tables and webhooks its
// version lacks, from the store: a webhook resumes after the batches its receiver confirmed. Those that
// fail again are added to failed (an ExportsError, exit 4).
func (e *execution) redeliverExternal(ctx context.Context, run int64, failed error) error {
	if len(e.redeliver) == 0 {
		return failed
	}
	var ee *ExportsError
	if !errors.As(failed, &ee) {
		if failed != nil {
			return failed
		}
		ee = &ExportsError{Run: run, Store: e.res.Store, RunKey: e.o.RunKey}
	}
	for _, dl := range e.redeliver {
		rec, err := DeliverRecorded(ctx, e.db, e.store, e.s, dl.Audience, run, dl.Destination, ViaRun)
		dl.Status, dl.Written = rec.Status, err == nil
		switch {
		case rec.Members != nil:
			dl.Rows = *rec.Members
		case rec.Entered != nil:
			dl.Rows = *rec.Entered + *rec.Exited
		}
		e.res.Deliveries = append(e.res.Deliveries, dl)
		if err != nil {
			ee.Failed = append(ee.Failed, ExportFailure{Segmentation: dl.Audience, Destination: dl.Destination, Changes: dl.Mode == "changes", Path: dl.Path, Error: err.Error()})
		}
	}
	if len(ee.Failed) > 0 {
		e.res.ExportsFailed = ee.Failed
		return ee
	}
	return nil
}

// addUndelivered adds the destinations a run key's version lacks to the exports error of its rerun (a
// new one if its exports were all written): the version is published, but not all of it was delivered.
func (e *execution) addUndelivered(run int64, err error) error {
	if len(e.undelivered) == 0 {
		return err
	}
	var ee *ExportsError
	if !errors.As(err, &ee) {
		ee = &ExportsError{Run: run, Store: e.res.Store, RunKey: e.o.RunKey}
	}
	ee.Failed = append(ee.Failed, e.undelivered...)
	e.res.ExportsFailed = ee.Failed
	return ee
}
