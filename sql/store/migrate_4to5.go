package store

import "context"

// migrate4to5 adds the KPI values each version computed (kpi_values), inside the caller's transaction.
// Earlier versions computed none. The comparison view is created with the membership views, when the
// next version is published.
func (s *Store) migrate4to5(ctx context.Context) error {
	return s.db.Exec(ctx, kpiValuesDDL)
}
