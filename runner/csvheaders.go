package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/segrun/segrun/sql"
)

// csvHeadersDisagree says how the files of one CSV source disagree on their columns, or "" when they all
// have the same columns in the same order. Given several files, DuckDB's CSV reader takes the first file's
// schema and fits the others to it: with different column orders it reads the declared types as VARCHAR
// (or positionally, with columns:), so a disagreement is refused unless the source reads every file by
// its own header (union_by_name). Each file is described with the user's options: a file DuckDB cannot
// describe is left to the read, which reports it.
func csvHeadersDisagree(ctx context.Context, db *sql.DB, files []string, options map[string]any) string {
	if len(files) < 2 || truthy(options["union_by_name"]) {
		return ""
	}
	var first []string
	for i, f := range files {
		cols, err := db.Describe(ctx, "SELECT * FROM "+sql.ReadSQL("csv", []string{f}, options))
		if err != nil {
			return ""
		}
		names := columnNames(cols)
		if i == 0 {
			first = names
			continue
		}
		if !slices.Equal(names, first) {
			return fmt.Sprintf("%s has the columns %s but %s has %s: set union_by_name: true in the source's options to read each file by its header, or write every file with the same header",
				files[0], strings.Join(first, ", "), f, strings.Join(names, ", "))
		}
	}
	return ""
}

// truthy says whether an option's value is true as DuckDB would read it (true, 1, 'true').
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case int:
		return x != 0
	case string:
		return strings.EqualFold(x, "true") || x == "1"
	}
	return false
}

// globFiles expands paths and globs the way DuckDB's readers will, in the order they read them.
func globFiles(ctx context.Context, db *sql.DB, paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		rows, err := db.Query(ctx, "SELECT file FROM glob(?) ORDER BY file", p)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var f string
			if err := rows.Scan(&f); err != nil {
				rows.Close()
				return nil, err
			}
			files = append(files, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return files, nil
}
