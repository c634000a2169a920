package store

import (
	"context"
	stdsql "database/sql"
	"encoding/json"
	"errors"
)

// Models' versions (schema version 6): each published run keeps, per model, its method, the test metrics
// and the fitted model (the encoding and the coefficients), as JSON the runner writes and reads
// (runner/model.go), so `segrun models` shows them and `refit: never` scores with the stored model. This
// file holds all of it: the table, the migration adding it, and the store's writes and reads of it.

const modelVersionsDDL = `CREATE TABLE IF NOT EXISTS segrun_store.model_versions (
		run_id BIGINT NOT NULL,
		model VARCHAR NOT NULL,
		method VARCHAR NOT NULL,
		metrics JSON,
		model_json JSON)`

// A new store gets the table with the rest of the schema.
func init() { storeDDL = append(storeDDL, modelVersionsDDL) }

// migrate5to6 adds the models' table, inside the caller's transaction. Earlier runs had no models.
func (s *Store) migrate5to6(ctx context.Context) error { return s.db.Exec(ctx, modelVersionsDDL) }

// ModelVersion is one model as a run published it: its report (metrics, coefficients) and the fitted model,
// both JSON the runner encodes.
type ModelVersion struct {
	Run    int64
	Model  string
	Method string
	Report json.RawMessage
	Fitted json.RawMessage
}

// publishModels writes a run's models, inside Publish's transaction.
func (s *Store) publishModels(ctx context.Context, run int64, models []ModelVersion) error {
	if len(models) > 0 && s.version > 0 && s.version < 6 {
		return errors.New("this store's schema predates models: open it for writing to upgrade it")
	}
	for _, m := range models {
		if err := s.db.Exec(ctx, `INSERT INTO segrun_store.model_versions VALUES (?, ?, ?, ?, ?)`,
			run, m.Model, m.Method, string(m.Report), string(m.Fitted)); err != nil {
			return err
		}
	}
	return nil
}

// ModelVersions lists the models run published (0: the latest published run), in name order.
func (s *Store) ModelVersions(ctx context.Context, run int64) ([]ModelVersion, error) {
	if s.version != 0 && s.version < 6 {
		return nil, nil // a store from before models: none
	}
	rows, err := s.db.Query(ctx, `SELECT m.run_id, m.model, m.method, coalesce(m.metrics::VARCHAR, 'null'), coalesce(m.model_json::VARCHAR, 'null')
		FROM segrun_store.model_versions m JOIN segrun_store.runs r USING (run_id)
		WHERE r.status = ? AND m.run_id = CASE WHEN ? = 0 THEN (SELECT max(run_id) FROM segrun_store.runs WHERE status = ?) ELSE ? END
		ORDER BY m.model`, StatusPublished, run, StatusPublished, run)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ModelVersion
	for rows.Next() {
		var m ModelVersion
		var report, fitted string
		if err := rows.Scan(&m.Run, &m.Model, &m.Method, &report, &fitted); err != nil {
			return nil, err
		}
		m.Report, m.Fitted = json.RawMessage(report), json.RawMessage(fitted)
		out = append(out, m)
	}
	return out, rows.Err()
}

// LatestModel is model as the latest published run up to run (inclusive) kept it; nil when none has.
func (s *Store) LatestModel(ctx context.Context, run int64, model string) (*ModelVersion, error) {
	if s.version != 0 && s.version < 6 {
		return nil, nil
	}
	var m ModelVersion
	var report, fitted string
	err := s.db.QueryRow(ctx, `SELECT m.run_id, m.model, m.method, coalesce(m.metrics::VARCHAR, 'null'), coalesce(m.model_json::VARCHAR, 'null')
		FROM segrun_store.model_versions m JOIN segrun_store.runs r USING (run_id)
		WHERE r.status = ? AND m.model = ? AND m.run_id <= ? ORDER BY m.run_id DESC LIMIT 1`, StatusPublished, model, run).
		Scan(&m.Run, &m.Model, &m.Method, &report, &fitted)
	if errors.Is(err, stdsql.ErrNoRows) {
		return nil, nil
	}
	m.Report, m.Fitted = json.RawMessage(report), json.RawMessage(fitted)
	return &m, err
}
