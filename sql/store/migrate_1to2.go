package store

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"strings"
)

// migrate1to2 rewrites a version 1 store's memberships, a table of intervals with the segmentation and
// segment as text, as version 2's coded intervals under a memberships view with the same columns, inside
// the caller's transaction: the store is upgraded whole or not at all.
func (s *Store) migrate1to2(ctx context.Context) error {
	var typ string
	err := s.db.QueryRow(ctx, `SELECT data_type FROM duckdb_columns()
		WHERE database_name = ? AND schema_name = 'main' AND table_name = 'memberships' AND column_name = 'entity'`, Catalog).Scan(&typ)
	if errors.Is(err, stdsql.ErrNoRows) {
		return nil // no version was published yet: the first one creates version 2's tables
	} else if err != nil {
		return err
	}
	stmts := []string{segmentCodesDDL, intervalsDDL,
		`INSERT INTO segrun_store.segment_codes
			SELECT row_number() OVER (ORDER BY segmentation, segment)::INTEGER, segmentation, segment
			FROM (SELECT DISTINCT segmentation, segment FROM segrun_store.memberships)`,
		// In run order, as publishing appends them: zone maps then skip most of the table for one run.
		`INSERT INTO segrun_store.membership_intervals
			SELECT m.entity, c.code, m.valid_from_run, m.valid_to_run
			FROM segrun_store.memberships m JOIN segrun_store.segment_codes c USING (segmentation, segment)
			ORDER BY m.valid_from_run, c.code, m.entity`,
		`DROP TABLE segrun_store.memberships`,
	}
	for _, q := range stmts {
		if err := s.db.Exec(ctx, strings.ReplaceAll(q, "ENTITY_TYPE", typ)); err != nil {
			return fmt.Errorf("upgrading from schema version 1: %w", err)
		}
	}
	return nil
}
