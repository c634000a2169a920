package destinations

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
)

// PostgresConfig is a destination's postgres: block. The DSN is read from the environment variable it
// names, never from the spec, so the spec can be committed without a password in it.
type PostgresConfig struct {
	DSNEnv string `yaml:"dsn_env" json:"dsn_env"`
	// Table is [schema.]table; created (with its schema) when missing.
	Table string `yaml:"table" json:"table"`
	// Exits is delete (the default) or flag (exited_at set, the row kept).
	Exits string `yaml:"exits" json:"exits"`
}

// Exits of a PostgreSQL destination.
const (
	ExitsDelete = "delete"
	ExitsFlag   = "flag"
)

// Postgres delivers to a PostgreSQL table. One table can hold several audiences: its key is (audience,
// entity). Columns (created when the table is missing):
//
//	audience    TEXT         the audience's name
//	entity      TEXT         the entity's key, as text
//	"group"     TEXT         treatment or control
//	version     BIGINT       the audience version that last wrote the row
//	delivery_id TEXT         the delivery that last wrote the row
//	updated_at  TIMESTAMPTZ  when that delivery committed
//	exited_at   TIMESTAMPTZ  NULL for a member; when it exited, with exits: flag
//
// Beside it, <table>_segrun_deliveries records each delivery applied (delivery_id primary key, audience,
// version, mode, upserted, exited, delivered_at); a delivery whose id is there is not applied again.
type Postgres struct {
	Name   string // the destination's name in the spec, for errors
	Config PostgresConfig
	// Getenv reads the DSN's variable; os.Getenv when nil.
	Getenv func(string) string
}

// Deliver applies d in one transaction: the rows are copied (COPY) into a temporary table, then upserted
// and the exits deleted or flagged by set statements, and the delivery id recorded; a failure anywhere
// rolls all of it back.
func (p *Postgres) Deliver(ctx context.Context, d Delivery) (Result, error) {
	var res Result
	table, err := p.tableIdent()
	if err != nil {
		return res, err
	}
	exits := p.Config.Exits
	if exits == "" {
		exits = ExitsDelete
	}
	if exits != ExitsDelete && exits != ExitsFlag {
		return res, fmt.Errorf("destination %s: exits: %q is neither delete nor flag", p.Name, exits)
	}
	if d.Mode != ModeFull && d.Mode != ModeChanges {
		return res, fmt.Errorf("destination %s: mode %q is neither full nor changes", p.Name, d.Mode)
	}
	getenv := p.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if p.Config.DSNEnv == "" {
		return res, fmt.Errorf("destination %s: postgres: dsn_env names no environment variable", p.Name)
	}
	dsn := getenv(p.Config.DSNEnv)
	if dsn == "" {
		return res, fmt.Errorf("destination %s: environment variable %s (its postgres dsn_env) is not set", p.Name, p.Config.DSNEnv)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		// pgx's message can carry the DSN's password: say which server by the variable instead.
		return res, fmt.Errorf("destination %s: connecting to the PostgreSQL server of %s: %s", p.Name, p.Config.DSNEnv, redact(err, dsn))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := p.ensureTables(ctx, conn, table); err != nil {
		return res, fmt.Errorf("destination %s: creating %s: %w", p.Name, p.Config.Table, err)
	}
	res, err = p.apply(ctx, conn, table, exits, d)
	if err != nil {
		return Result{}, fmt.Errorf("destination %s: delivery %s to %s: %w (nothing was applied)", p.Name, d.ID, p.Config.Table, err)
	}
	return res, nil
}

// tableIdent splits Table into its schema and name.
func (p *Postgres) tableIdent() (pgx.Identifier, error) {
	parts := strings.Split(p.Config.Table, ".")
	if p.Config.Table == "" || len(parts) > 2 || slicesContainsEmpty(parts) {
		return nil, fmt.Errorf("destination %s: postgres: table %q is not [schema.]table", p.Name, p.Config.Table)
	}
	return pgx.Identifier(parts), nil
}

func slicesContainsEmpty(s []string) bool {
	for _, x := range s {
		if x == "" {
			return true
		}
	}
	return false
}

// deliveriesIdent is the table of applied deliveries beside table.
func deliveriesIdent(table pgx.Identifier) pgx.Identifier {
	out := append(pgx.Identifier{}, table...)
	out[len(out)-1] += "_segrun_deliveries"
	return out
}

func (p *Postgres) ensureTables(ctx context.Context, conn *pgx.Conn, table pgx.Identifier) error {
	if len(table) == 2 {
		if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{table[0]}.Sanitize()); err != nil {
			return err
		}
	}
	_, err := conn.Exec(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
		audience TEXT NOT NULL,
		entity TEXT NOT NULL,
		"group" TEXT NOT NULL,
		version BIGINT NOT NULL,
		delivery_id TEXT NOT NULL,
		updated_at TIMESTAMPTZ NOT NULL,
		exited_at TIMESTAMPTZ,
		PRIMARY KEY (audience, entity))`, table.Sanitize()))
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
		delivery_id TEXT PRIMARY KEY,
		audience TEXT NOT NULL,
		version BIGINT NOT NULL,
		mode TEXT NOT NULL,
		upserted BIGINT NOT NULL,
		exited BIGINT NOT NULL,
		delivered_at TIMESTAMPTZ NOT NULL)`, deliveriesIdent(table).Sanitize()))
	return err
}

// errStaleVersion refuses a version older than one the table already holds: applying its changes (or
// its members) would take the table back in time.
var errStaleVersion = errors.New("a later version of the audience was already delivered")

func (p *Postgres) apply(ctx context.Context, conn *pgx.Conn, table pgx.Identifier, exits string, d Delivery) (res Result, err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return res, err
	}
	defer func() {
		if err != nil {
			tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	deliveries := deliveriesIdent(table).Sanitize()
	// Recording the id first makes a concurrent delivery of the same id wait on its primary key until this
	// one commits, then find it there.
	tag, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO %s (delivery_id, audience, version, mode, upserted, exited, delivered_at)
		VALUES ($1, $2, $3, $4, 0, 0, now()) ON CONFLICT (delivery_id) DO NOTHING`, deliveries), d.ID, d.Audience, d.Version, d.Mode)
	if err != nil {
		return res, err
	}
	if tag.RowsAffected() == 0 {
		tx.Rollback(ctx)
		return Result{AlreadyApplied: true}, nil
	}
	var later int64
	if err := tx.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE audience = $1 AND version > $2`, deliveries), d.Audience, d.Version).Scan(&later); err != nil {
		return res, err
	}
	if later > 0 {
		return res, fmt.Errorf("version %d: %w", d.Version, errStaleVersion)
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE segrun_stage (entity TEXT NOT NULL, "group" TEXT NOT NULL, event TEXT NOT NULL) ON COMMIT DROP`); err != nil {
		return res, err
	}
	var rowErr error
	next, stop := iter.Pull2(d.Rows)
	defer stop()
	src := pgx.CopyFromFunc(func() ([]any, error) {
		r, err, ok := next()
		if !ok {
			return nil, nil
		}
		if err != nil {
			rowErr = err
			return nil, err
		}
		if r.Event == "" {
			r.Event = EventMember
		}
		return []any{r.Entity, r.Group, r.Event}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"segrun_stage"}, []string{"entity", "group", "event"}, src); err != nil {
		if rowErr != nil {
			return res, fmt.Errorf("reading the rows: %w", rowErr)
		}
		return res, err
	}
	// A temporary table has no statistics until analysed: without them the planner took the stage for a
	// few rows and ran the exits' NOT IN/EXCEPT as a loop over the table, 17 s for 30,000 customers.
	if _, err := tx.Exec(ctx, "ANALYZE segrun_stage"); err != nil {
		return res, err
	}
	// An entity with an entry and an exit in the same version moved groups: it stays, in its new one.
	tag, err = tx.Exec(ctx, fmt.Sprintf(`INSERT INTO %s AS t (audience, entity, "group", version, delivery_id, updated_at, exited_at)
		SELECT DISTINCT ON (entity) $1, entity, "group", $2, $3, now(), NULL::timestamptz FROM segrun_stage WHERE event <> 'exited' ORDER BY entity
		ON CONFLICT (audience, entity) DO UPDATE SET "group" = EXCLUDED."group", version = EXCLUDED.version,
			delivery_id = EXCLUDED.delivery_id, updated_at = EXCLUDED.updated_at, exited_at = NULL`, table.Sanitize()),
		d.Audience, d.Version, d.ID)
	if err != nil {
		return res, err
	}
	res.Upserted = tag.RowsAffected()
	// Who exits: in mode full, every member of the audience the delivery does not list; in mode changes,
	// the exited that did not also enter.
	exiting := `NOT EXISTS (SELECT 1 FROM segrun_stage s WHERE s.entity = t.entity)`
	if d.Mode == ModeChanges {
		exiting = `t.entity IN (SELECT entity FROM segrun_stage WHERE event = 'exited'
			EXCEPT SELECT entity FROM segrun_stage WHERE event <> 'exited')`
	}
	stmt := fmt.Sprintf(`DELETE FROM %s t WHERE t.audience = $1 AND %s`, table.Sanitize(), exiting)
	args := []any{d.Audience}
	if exits == ExitsFlag {
		stmt = fmt.Sprintf(`UPDATE %s t SET exited_at = now(), version = $2, delivery_id = $3, updated_at = now()
			WHERE t.audience = $1 AND t.exited_at IS NULL AND %s`, table.Sanitize(), exiting)
		args = append(args, d.Version, d.ID)
	}
	tag, err = tx.Exec(ctx, stmt, args...)
	if err != nil {
		return res, err
	}
	res.Exited = tag.RowsAffected()
	if _, err := tx.Exec(ctx, fmt.Sprintf(`UPDATE %s SET upserted = $2, exited = $3 WHERE delivery_id = $1`, deliveries), d.ID, res.Upserted, res.Exited); err != nil {
		return res, err
	}
	if err := tx.Commit(ctx); err != nil {
		return res, err
	}
	return res, nil
}

// redact removes the DSN's password from err's message.
func redact(err error, dsn string) string {
	msg := err.Error()
	if cfg, perr := pgx.ParseConfig(dsn); perr == nil && cfg.Password != "" {
		msg = strings.ReplaceAll(msg, cfg.Password, "***")
	}
	return msg
}
