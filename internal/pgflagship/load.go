// Package pgflagship is the flagship pipeline (examples/pipelines/retail.yaml) on PostgreSQL: it loads
// the demo's generated data into PostgreSQL, one server or a coordinator with postgres_fdw shards
// (internal/pgtest), and reads the features of the two flagship specs, retail.yaml in DuckDB's dialect
// and retail_postgres.yaml in PostgreSQL's, so that its tests can prove each feature gives the same table
// on DuckDB, on one PostgreSQL server and on the shards (docs/engines.md, "The flagship in PostgreSQL's
// dialect").
package pgflagship

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
	"github.com/segrun/segrun/examples"
	"github.com/segrun/segrun/internal/pgtest"
)

// Table is one of the flagship's source tables: its CSV file (as `segrun demo` writes it) and its columns
// in the file's order, typed as DuckDB reads the file with the flagship's declared columns (retail.yaml's
// sources: BIGINT ids, TIMESTAMP, DECIMAL(12,2) amounts, DATE, VARCHAR, BOOLEAN), and as DuckDB's CSV
// sniffer types the one column the spec does not declare (birth_year: BIGINT).
type Table struct {
	Name, File string
	// Columns are PostgreSQL column definitions, comma-separated.
	Columns string
	// DuckDBTypes are the types DuckDB reads the file's columns with, by column: the spec's declared ones.
	DuckDBTypes map[string]string
}

// Tables are the flagship's sources, as retail_postgres.yaml reads them (public.orders, ...).
var Tables = []Table{{
	Name: "orders", File: examples.OrdersFile,
	Columns:     "customer_id bigint NOT NULL, order_id bigint NOT NULL, ordered_at timestamp NOT NULL, amount numeric(12,2) NOT NULL",
	DuckDBTypes: map[string]string{"customer_id": "BIGINT", "order_id": "BIGINT", "ordered_at": "TIMESTAMP", "amount": "DECIMAL(12,2)"},
}, {
	Name: "customers", File: examples.CustomersFile,
	Columns: "customer_id bigint NOT NULL, signup_date date, country text, channel text, birth_year bigint, email_opt_in boolean, email text",
	DuckDBTypes: map[string]string{"customer_id": "BIGINT", "signup_date": "DATE", "country": "VARCHAR", "channel": "VARCHAR",
		"email_opt_in": "BOOLEAN", "email": "VARCHAR"},
}, {
	Name: "campaign_orders", File: examples.CampaignFile,
	Columns:     "customer_id bigint NOT NULL, ordered_at timestamp NOT NULL, amount numeric(12,2) NOT NULL",
	DuckDBTypes: map[string]string{"customer_id": "BIGINT", "ordered_at": "TIMESTAMP", "amount": "DECIMAL(12,2)"},
}}

// Generate writes the demo's data into dir as `segrun demo` does (examples.GenerateRetail and
// GenerateCampaign, with the demo's default seed), for the given number of customers.
func Generate(dir string, customers int) (examples.RetailStats, error) {
	stats, err := examples.GenerateRetail(dir, examples.RetailOptions{Customers: customers, Seed: examples.DefaultRetailSeed})
	if err != nil {
		return stats, err
	}
	if _, err := examples.GenerateCampaign(dir, stats.Customers, examples.DefaultRetailSeed); err != nil {
		return stats, err
	}
	return stats, nil
}

// TablesSQL creates the flagship's tables in schema (public for retail_postgres.yaml).
func TablesSQL(schema string) []string {
	var stmts []string
	for _, t := range Tables {
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE %s.%s (%s)", schema, t.Name, t.Columns))
	}
	return stmts
}

// LoadPlain creates the flagship's tables in schema on the server conn is connected to and copies the
// CSV files of dir (Generate's) into them with COPY, then ANALYZEs them.
func LoadPlain(ctx context.Context, conn *pgx.Conn, dir, schema string) error {
	for _, q := range TablesSQL(schema) {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	for _, t := range Tables {
		if err := copyFile(ctx, conn, filepath.Join(dir, t.File), schema+"."+t.Name); err != nil {
			return err
		}
	}
	return analyze(ctx, conn, schema)
}

// LoadSharded loads dir's files into the sharded fixture: orders and customers, the per-customer tables
// pgtest shards by customer_id, onto the shards (pgtest.Sharded.LoadCSV), and the campaign's orders,
// which no feature reads, into a plain table in public on the coordinator. The sharded tables' columns
// are pgtest.ShardedTables', the same as Tables' but for customers.birth_year (integer there), which no
// feature reads.
func LoadSharded(ctx context.Context, sh *pgtest.Sharded, dir string) error {
	for _, t := range pgtest.ShardedTables {
		f, err := os.Open(filepath.Join(dir, t.Name+".csv"))
		if err != nil {
			return err
		}
		err = sh.LoadCSV(ctx, t.Name, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("loading %s onto the shards: %w", t.Name, err)
		}
	}
	conn, err := pgx.Connect(ctx, sh.Coordinator.DSN)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, t := range Tables {
		if t.Name != "campaign_orders" {
			continue
		}
		if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE TABLE public.%s (%s)", t.Name, t.Columns)); err != nil {
			return err
		}
		if err := copyFile(ctx, conn, filepath.Join(dir, t.File), "public."+t.Name); err != nil {
			return err
		}
	}
	// The coordinator's own statistics of the partitioned parents; the shards' are LoadCSV's.
	return analyze(ctx, conn, "public")
}

// copyFile copies a CSV file with a header line into table.
func copyFile(ctx context.Context, conn *pgx.Conn, path, table string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return CopyCSV(ctx, conn, f, table)
}

// CopyCSV copies CSV text with a header line, the table's columns in order, into table.
func CopyCSV(ctx context.Context, conn *pgx.Conn, csv io.Reader, table string) error {
	if _, err := conn.PgConn().CopyFrom(ctx, csv, fmt.Sprintf("COPY %s FROM STDIN (FORMAT csv, HEADER true)", table)); err != nil {
		return fmt.Errorf("loading %s: %w", table, err)
	}
	return nil
}

func analyze(ctx context.Context, conn *pgx.Conn, schema string) error {
	for _, t := range Tables {
		if _, err := conn.Exec(ctx, fmt.Sprintf("ANALYZE %s.%s", schema, t.Name)); err != nil {
			return err
		}
	}
	return nil
}
