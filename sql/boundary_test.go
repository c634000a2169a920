package sql

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Package sql is the engine boundary: it is the only package that imports duckdb-go, so a second engine
// (PostgreSQL) replaces one package, not code spread over the runner. Tests may import it (they check
// DuckDB's own behaviour).
func TestOnlySQLImportsDuckDB(t *testing.T) {
	eachModuleFile(t, parser.ImportsOnly, func(rel string, f *ast.File) {
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/duckdb/") && filepath.Dir(rel) != "sql" {
				t.Errorf("%s imports %s: only package sql talks to DuckDB (give sql a method instead)", rel, p)
			}
		}
	})
}

// The rest of segrun holds its engine as a Workspace: only sql.Open's callers see the concrete *sql.DB,
// and they keep it as a Workspace, so a second engine needs no change outside package sql (and its store).
func TestOnlySQLNamesItsDB(t *testing.T) {
	const sqlPath = "github.com/segrun/segrun/sql"
	eachModuleFile(t, 0, func(rel string, f *ast.File) {
		alias := ""
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == sqlPath {
				alias = "sql"
				if imp.Name != nil {
					alias = imp.Name.Name
				}
			}
		}
		if alias == "" {
			return
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if s, ok := n.(*ast.SelectorExpr); ok && s.Sel.Name == "DB" {
				if x, ok := s.X.(*ast.Ident); ok && x.Name == alias {
					t.Errorf("%s names %s.DB: hold the engine as a sql.Workspace", rel, alias)
				}
			}
			return true
		})
	})
}

// eachModuleFile parses every Go file of the module outside tests, testdata and vendor, and hands it to fn
// with its path relative to the module's root.
func eachModuleFile(t *testing.T, mode parser.Mode, fn func(rel string, f *ast.File)) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the module's root is not the parent of sql/: %v", err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, mode)
		if err != nil {
			return err
		}
		checked++
		rel, _ := filepath.Rel(root, path)
		fn(rel, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d files: the walk missed the module", checked)
	}
}
