package methods_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/segrun/segrun/cli"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// The method seam, proved: a method registered from this file alone (its spec block with its schema, and
// its runner side) is validated, run, published and shown like a built-in one. No other file knows it.
func init() {
	methods.RegisterWithBlock(spec.MethodBlock{Name: "first_letter", Schema: []byte(`{"type": "object",
		"properties": {"column": {"type": "string"}}, "required": ["column"], "additionalProperties": false}`)},
		firstLetter{})
	// A block spec knows but no method registered for: segrun's own mistake, not the spec's.
	spec.RegisterMethodBlock(spec.MethodBlock{Name: "no_method", Schema: []byte(`{"type": "object"}`)})
}

// firstLetter segments entities by the first letter of a text column.
type firstLetter struct{}

type firstLetterBlock struct {
	Column string `yaml:"column"`
}

func (firstLetter) Label(spec.Segmentation) string { return "first_letter" }
func (firstLetter) ReadsRunVars() bool             { return false }

func (firstLetter) Check(env methods.CheckEnv) []sql.Column {
	at := env.Pointer() + "/first_letter"
	if env.BrokenWithin(at) {
		return nil // the block's schema found it wrong, and said where
	}
	var b firstLetterBlock
	seg := env.Segmentation()
	if node, ok := seg.Block("first_letter"); !ok || node.Decode(&b) != nil {
		env.ErrorAt(at, "first_letter.block", "first_letter needs {column: NAME}", "")
		return nil
	}
	input := env.Input()
	i := slices.IndexFunc(input, func(c sql.Column) bool { return c.Name == b.Column })
	switch {
	case i < 0:
		methods.MissingColumn(env, at+"/column", b.Column)
	case !rules.IsText(input[i].Type):
		env.ErrorAt(at+"/column", "segmentation.type", fmt.Sprintf("column %q is %s; first_letter reads text", b.Column, input[i].Type), "")
	}
	return nil
}

func (firstLetter) Run(ctx context.Context, env methods.Env) error {
	var b firstLetterBlock
	seg := env.Segmentation()
	if node, ok := seg.Block("first_letter"); !ok || node.Decode(&b) != nil {
		return fmt.Errorf("segmentation %s: no first_letter block, which validation checked", env.Name())
	}
	from := sql.Ident(env.Segmentation().From)
	return env.WithArrow(ctx, func(a *sql.Arrow) error {
		batches, _, err := methods.ReadBatches(a, fmt.Sprintf("SELECT %s, %s FROM %s", sql.Ident(env.Entity()), sql.Ident(b.Column), from))
		if err != nil {
			return err
		}
		defer methods.Release(batches)
		if len(batches) == 0 {
			return a.Exec(fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT %s, NULL::VARCHAR AS segment FROM %s WHERE false",
				sql.Ident(env.Name()), sql.Ident(env.Entity()), from))
		}
		var names []string
		codes := make([]arrow.Array, len(batches))
		for bi, rec := range batches {
			col := rec.Column(1)
			c := make([]int16, col.Len())
			for i := range c {
				c[i] = -1 // no text, no letter, no segment
				if col.IsNull(i) {
					continue
				}
				if r, _ := utf8.DecodeRuneInString(col.ValueStr(i)); r != utf8.RuneError {
					letter := strings.ToLower(string(r))
					if !slices.Contains(names, letter) {
						names = append(names, letter)
					}
					c[i] = int16(slices.Index(names, letter))
				}
			}
			codes[bi] = methods.Int16Array(c)
		}
		defer func() {
			for _, c := range codes {
				c.Release()
			}
		}()
		env.Version().Segments = slices.Sorted(slices.Values(names))
		env.Report().Notes = append(env.Report().Notes, fmt.Sprintf("%d letters", len(names)))
		reader, err := methods.WithColumns(batches, 0, []arrow.Field{{Name: "segrun_code", Type: arrow.PrimitiveTypes.Int16}}, [][]arrow.Array{codes})
		if err != nil {
			return err
		}
		defer reader.Release()
		return a.CreateTable(env.Name(), reader, fmt.Sprintf("%s, %s AS segment", sql.Ident(env.Entity()),
			methods.SegmentCase("segrun_code", methods.Ordinals(len(names)), names)), "segrun_code >= 0")
	})
}

const toySpec = `version: 1
name: toy
entity: id
sources:
  people:
    path: people.csv
segmentations:
  initials:
    from: people
    first_letter: {column: COLUMN}
`

func segrun(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = cli.Run(args, &o, &e)
	return o.String(), e.String(), code
}

func TestAMethodRegisteredFromATestRunsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "people.csv"), []byte("id,name,age\n1,alice,30\n2,bob,41\n3,Anna,25\n4,carl,52\n5,,60\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	specPath := filepath.Join(dir, "toy.yaml")
	write := func(block string) {
		if err := os.WriteFile(specPath, []byte(strings.Replace(toySpec, "{column: COLUMN}", block, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []struct{ block, want string }{
		{"{colum: name}", `toy.yaml:10:20: error: unknown key "colum"`}, // the block's schema: an unknown key, at its line and column
		{"{column: nmae}", `did you mean "name"?`},                      // the method's own check, against the input's columns
		{"{column: age}", `column "age" is BIGINT; first_letter reads text`},
	} {
		write(bad.block)
		if _, stderr, code := segrun(t, "validate", specPath); code != cli.ExitInvalid || !strings.Contains(stderr, bad.want) {
			t.Errorf("validate with first_letter: %s: exit %d, want %d and %q:\n%s", bad.block, code, cli.ExitInvalid, bad.want, stderr)
		}
	}
	write("{column: name}")
	if _, stderr, code := segrun(t, "validate", specPath); code != cli.ExitOK {
		t.Fatalf("validate: exit %d\n%s", code, stderr)
	}
	stdout, stderr, code := segrun(t, "run", specPath, "--as-of", "2024-06-30")
	if code != cli.ExitOK || !strings.Contains(stdout, "published version 1") || !strings.Contains(stdout, "initials (first_letter)") {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	stdout, stderr, code = segrun(t, "show", "initials", specPath, "--format", "csv")
	if code != cli.ExitOK {
		t.Fatalf("show: exit %d\n%s", code, stderr)
	}
	// Entity 5 has no name, so no letter: no segment.
	if want := "segment,size,share,description\na,2,0.400000,\nb,1,0.200000,\nc,1,0.200000,\n"; stdout != want {
		t.Errorf("show:\n%s\nwant:\n%s", stdout, want)
	}
}

// A spec block registered without its method is segrun's bug: validation says which block (exit 3), and
// does not panic drawing the plan, which names each segmentation's method before any is typed.
func TestABlockWithoutAMethodIsNamed(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "people.csv"), []byte("id,name\n1,alice\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	specPath := filepath.Join(dir, "toy.yaml")
	if err := os.WriteFile(specPath, []byte(strings.Replace(toySpec, "first_letter: {column: COLUMN}", "no_method: {}", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := segrun(t, "validate", specPath)
	if want := "segmentation initials: no method is registered for its no_method block"; code != cli.ExitEnvironment || !strings.Contains(stderr, want) {
		t.Errorf("validate: exit %d, want %d and %q:\n%s", code, cli.ExitEnvironment, want, stderr)
	}
}
