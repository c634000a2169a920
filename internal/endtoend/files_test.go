package endtoend

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// snapshot maps each regular file under dir (slash-separated, relative) to a hash of its content.
func snapshot(dir string) (map[string]string, error) {
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	return files, err
}

// isStore says whether a file is a DuckDB store, dumped on its own (store.golden).
func isStore(name string) bool { return strings.HasSuffix(name, ".duckdb") }

// dumpFiles writes every file the commands created, changed or removed, other than stores: text files
// whole, Parquet files as their schema and rows read by DuckDB, anything else as its size. A stray file
// (a temporary export, a leftover write-ahead log) shows up here too.
func dumpFiles(dir string, before map[string]string, m *masker) (string, error) {
	after, err := snapshot(dir)
	if err != nil {
		return "", err
	}
	var names []string
	for name, hash := range after {
		if !isStore(name) && before[name] != hash {
			names = append(names, name)
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var out strings.Builder
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		b, err := os.ReadFile(path)
		switch {
		case os.IsNotExist(err):
			fmt.Fprintf(&out, "== %s: removed\n\n", name)
		case err != nil:
			return "", err
		case strings.HasSuffix(name, ".parquet"):
			text, err := dumpParquet(path, m)
			if err != nil {
				return "", fmt.Errorf("%s: %w", name, err)
			}
			fmt.Fprintf(&out, "== %s (Parquet, read back)\n%s\n", name, text)
		case strings.HasSuffix(name, ".wal") || !utf8.Valid(b):
			fmt.Fprintf(&out, "== %s: present (binary)\n\n", name)
		default:
			fmt.Fprintf(&out, "== %s\n%s\n", name, m.text(string(b)))
		}
	}
	return out.String(), nil
}

// dumpParquet reads a Parquet file back with DuckDB: its columns and types, then its rows in file order.
func dumpParquet(path string, m *masker) (string, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return "", err
	}
	defer db.Close()
	d := &storeDump{db: db, m: m}
	lit := "'" + strings.ReplaceAll(path, "'", "''") + "'"
	_, schema := d.query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(" + lit + "))")
	cols, rows := d.query("SELECT * FROM read_parquet(" + lit + ")")
	if d.err != nil {
		return "", d.err
	}
	var out strings.Builder
	for _, c := range schema {
		fmt.Fprintf(&out, "column %s %s\n", c[0], c[1])
	}
	out.WriteString(strings.Join(cols, ",") + "\n")
	for _, r := range rows {
		out.WriteString(strings.Join(r, ",") + "\n")
	}
	return out.String(), nil
}
