package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/segrun/segrun/sql"
)

// Analyze parses query with PostgreSQL's own parser (libpg_query through pg_query_go), so it needs no
// server: `segrun validate` uses it offline. The method is Workspace's; AnalyzeSQL is the same without a DB.
func (d *DB) Analyze(ctx context.Context, query string) (*sql.Analysis, error) {
	return AnalyzeSQL(query)
}

// AnalyzeSQL lists what one SELECT statement reads: its tables (CTE names excluded) with their byte
// offsets and the upper bounds the SELECT reading each puts on its columns by a var (analyze_bounds.go), the functions it calls, the table functions in its FROM, and its outermost SELECT list. A
// syntax error is a *sql.Error (kind "Parser", a statement error) at the line and column PostgreSQL's
// parser reports; more than one statement, or one that is not a SELECT, is an error at 1:1.
func AnalyzeSQL(query string) (*sql.Analysis, error) {
	tree, err := pg_query.Parse(query)
	if err != nil {
		return nil, parseError(err, query)
	}
	if len(tree.Stmts) != 1 {
		return nil, sql.NewEngineError("Parser", fmt.Sprintf("a feature must be one SELECT statement; found %d", len(tree.Stmts)), 1, 1, sql.StatementError, nil)
	}
	sel := tree.Stmts[0].GetStmt().GetSelectStmt()
	if sel == nil {
		return nil, sql.NewEngineError("Parser", "a feature must be a single SELECT statement (WITH ... SELECT is fine)", 1, 1, sql.StatementError, nil)
	}
	a := &sql.Analysis{}
	ctes := map[string]bool{}
	walk(sel.ProtoReflect(), func(m proto.Message) {
		switch n := m.(type) {
		case *pg_query.CommonTableExpr:
			ctes[n.Ctename] = true
		case *pg_query.RangeVar:
			a.Tables = append(a.Tables, sql.TableRef{Name: n.Relname, Schema: n.Schemaname, Offset: int(n.Location)})
		case *pg_query.FuncCall:
			a.Functions = append(a.Functions, sql.FunctionRef{Name: funcName(n.Funcname), Offset: int(n.Location)})
		case *pg_query.RangeFunction:
			for _, f := range n.Functions {
				// Each item is a List of the call and its column definitions.
				for _, it := range f.GetList().GetItems() {
					if fc := it.GetFuncCall(); fc != nil {
						a.TableFunctions = append(a.TableFunctions, sql.FunctionRef{Name: funcName(fc.Funcname), Offset: int(fc.Location)})
					}
				}
			}
		}
	})
	bounds := upperBounds(sel)
	for i := range a.Tables {
		a.Tables[i].UpperBounds = bounds[a.Tables[i].Offset]
	}
	a.Tables = slices.DeleteFunc(a.Tables, func(t sql.TableRef) bool { return t.Schema == "" && ctes[t.Name] })
	slices.SortStableFunc(a.Tables, func(x, y sql.TableRef) int { return x.Offset - y.Offset })
	slices.SortStableFunc(a.Functions, func(x, y sql.FunctionRef) int { return x.Offset - y.Offset })
	a.Projections = projections(sel)
	return a, nil
}

// parseError locates a parser error: pg_query's cursor is PostgreSQL's 1-based character position.
func parseError(err error, query string) error {
	var pe *parser.Error
	if !errors.As(err, &pe) {
		return sql.NewEngineError("Parser", err.Error(), 0, 0, sql.StatementError, err)
	}
	line, col := 0, 0
	if pe.Cursorpos > 0 {
		line, col = charPosition(query, pe.Cursorpos)
	}
	return sql.NewEngineError("Parser", pe.Message, line, col, sql.StatementError, err)
}

// funcName is a function's name, lower case, schema-qualified names by their last part (pg_catalog.now
// is now).
func funcName(parts []*pg_query.Node) string {
	name := ""
	for _, p := range parts {
		if s := p.GetString_(); s != nil {
			name = s.Sval
		}
	}
	return strings.ToLower(name)
}

// projections reads the outermost SELECT list; a set operation (UNION) has none of its own.
func projections(sel *pg_query.SelectStmt) []sql.Projection {
	if sel.Op != pg_query.SetOperation_SETOP_NONE {
		return nil
	}
	out := make([]sql.Projection, 0, len(sel.TargetList))
	for _, t := range sel.TargetList {
		rt := t.GetResTarget()
		if rt == nil {
			continue
		}
		p := sql.Projection{Name: rt.Name}
		if cr := rt.Val.GetColumnRef(); cr != nil {
			last := cr.Fields[len(cr.Fields)-1]
			if last.GetAStar() != nil {
				p.Star = true
			} else if s := last.GetString_(); s != nil {
				p.Ref = s.Sval
				if p.Name == "" {
					p.Name = s.Sval
				}
			}
		}
		if p.Name == "" && !p.Star {
			p.Name = "?column?" // PostgreSQL's name for an unnamed expression (a function's is its name)
			if fc := rt.Val.GetFuncCall(); fc != nil {
				p.Name = funcName(fc.Funcname)
			}
		}
		out = append(out, p)
	}
	return out
}

// walk visits every message of a parse tree, depth first.
func walk(m protoreflect.Message, visit func(proto.Message)) {
	visit(m.Interface())
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				walk(l.Get(i).Message(), visit)
			}
		case fd.IsMap():
		case fd.Message() != nil:
			walk(v.Message(), visit)
		}
		return true
	})
}
