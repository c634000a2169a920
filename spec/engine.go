package spec

import (
	"fmt"
	"os"
)

// Engine says where features run: nil (or no block) is DuckDB in process, the default.
type Engine struct {
	Postgres *PostgresEngine `yaml:"postgres"`
}

// PostgresEngine runs features inside a PostgreSQL server (sql/postgres). The connection string is read
// from an environment variable, never written in the spec.
type PostgresEngine struct {
	DSNEnv string `yaml:"dsn_env"`
}

// DefaultDSNEnv is the environment variable engine postgres reads when dsn_env is not given.
const DefaultDSNEnv = "SEGRUN_PG_DSN"

// IsPostgres reports whether the spec runs on PostgreSQL.
func (s *Spec) IsPostgres() bool { return s.Engine != nil && s.Engine.Postgres != nil }

// PostgresDSNEnv is the variable holding engine postgres's connection string.
func (s *Spec) PostgresDSNEnv() string {
	if s.IsPostgres() && s.Engine.Postgres.DSNEnv != "" {
		return s.Engine.Postgres.DSNEnv
	}
	return DefaultDSNEnv
}

// PostgresDSN returns engine postgres's connection string from the environment, or an error naming the
// variable when it is unset (a run-time error: validate works without it, offline).
func (s *Spec) PostgresDSN() (string, error) {
	env := s.PostgresDSNEnv()
	if dsn := os.Getenv(env); dsn != "" {
		return dsn, nil
	}
	return "", fmt.Errorf("engine postgres: the environment variable %s is not set; it must hold the server's connection string (the spec names the variable, never the string)", env)
}

// engine checks sources against the engine: DuckDB reads files (path:), PostgreSQL reads tables of its
// database (table:). Files are not loaded into PostgreSQL (no COPY FROM of files yet).
func (c *checker) engine() {
	pg := c.s.IsPostgres()
	for _, e := range c.s.Sources {
		path := StepPointer("source", e.Key)
		src := e.Value
		switch {
		case src.Table != "" && len(src.Path) > 0:
			c.s.MarkBroken(path)
			c.errorAtKey(path, "source.path_and_table", fmt.Sprintf("source %s has both path (files) and table (a table of engine postgres's database); give one", e.Key), "")
		case src.Table != "" && !pg:
			c.s.MarkBroken(path)
			c.errorAt(path+"/table", "source.table_engine", fmt.Sprintf("source %s reads table %s, which needs engine: {postgres: {dsn_env: ...}}; on DuckDB (the default) a source is files (path:)", e.Key, src.Table), "")
		case src.Table == "" && len(src.Path) > 0 && pg:
			c.s.MarkBroken(path)
			c.errorAt(path+"/path", "source.file_engine", fmt.Sprintf("source %s reads files, but engine postgres reads sources from tables or views of its database (table: schema.name); load the files into PostgreSQL first (COPY)", e.Key), "")
		case src.Table != "" && (src.Format != "" || len(src.Options) > 0):
			c.errorAtKey(path, "source.table_options", fmt.Sprintf("source %s is a table: format and options are for files", e.Key), "")
		}
	}
}
