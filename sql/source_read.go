package sql

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zeebo/xxh3"

	"github.com/segrun/segrun/internal/panics"
	"github.com/segrun/segrun/internal/plural"
)

// SourceRead is one source's files being read into the workspace, whichever reader parses them (DuckDB's
// read_csv/parquet/json, or segrun's plain CSV reader: PlainCSV) and whether they are loaded into a table
// or streamed through a view to the one statement that reads them. It owns what every way of reading must
// do, once: fingerprinting the files (in the background, while they are parsed), checking the rows the
// reader rejected, checking that the declared columns came out with their declared types, and, once the
// rows are counted, failing an empty source and handing back the fingerprints.
//
// Problems in the data come back as *ReadProblem; the caller names the step.
type SourceRead struct {
	// Name is the source's relation in the workspace (its table or view).
	Name string
	// Paths are the spec's paths (for messages), Files what they matched.
	Paths, Files []string
	// Rejects says the reader collects the CSV rows that do not parse into RejectsTable(Name) (the user set
	// no error options).
	Rejects bool
	// ForcedNotNull are not_null columns the CSV reader itself enforces: their empty values are parse
	// errors, reported by file and line like any other (see PlanCSV).
	ForcedNotNull map[string]bool
	// Typed says the reader parses the declared columns into their declared types (CSVRead.Typed);
	// otherwise the columns and types are the ones it detected.
	Typed      bool
	AllowEmpty bool

	wg    sync.WaitGroup
	fp    []FileFingerprint
	fpErr error
}

// FileFingerprint identifies one input file by content: xxh3 hashes at several GB/s, so hashing whole
// files costs little next to parsing them.
type FileFingerprint struct {
	Path     string    `json:"path"`
	Bytes    int64     `json:"bytes"`
	Modified time.Time `json:"modified"`
	XXH3     string    `json:"xxh3"`
}

// ReadProblem is a source's data breaking its contract or not being readable as written: the data's (or
// the spec's) to fix, never the machine's.
type ReadProblem struct {
	Msg string
	// Details are extra lines: the rows or values at fault, advice.
	Details []string
}

func (p *ReadProblem) Error() string {
	var b strings.Builder
	b.WriteString(p.Msg)
	for _, d := range p.Details {
		b.WriteString("\n  " + d)
	}
	return b.String()
}

// StartRead begins reading a source: its files are fingerprinted in the background from now on.
func StartRead(name string, paths, files []string, csv CSVRead, allowEmpty bool) *SourceRead {
	r := &SourceRead{Name: name, Paths: paths, Files: files, Rejects: csv.Rejects, ForcedNotNull: csv.ForcedNotNull, Typed: csv.Typed, AllowEmpty: allowEmpty}
	r.wg.Add(1)
	go func() { defer r.wg.Done(); defer panics.ToError(&r.fpErr); r.fp, r.fpErr = fingerprint(files) }()
	return r
}

// Wait waits for the fingerprinting to end.
func (r *SourceRead) Wait() { r.wg.Wait() }

// Finish ends a read whose rows were all read and counted: it fails an empty source (unless it may be
// empty) and a corrupt compressed file, and returns the files' fingerprints.
func (r *SourceRead) Finish(rows int64) ([]FileFingerprint, error) {
	if rows == 0 && !r.AllowEmpty {
		return nil, &ReadProblem{Msg: fmt.Sprintf("no rows in %s (set allow_empty: true if an empty source is normal)", strings.Join(r.Files, ", "))}
	}
	if p := r.CorruptFile(); p != nil {
		return nil, p
	}
	if r.fpErr != nil {
		return nil, fmt.Errorf("fingerprinting files: %w", r.fpErr)
	}
	return r.fp, nil
}

// CorruptFile returns the source's compressed file that does not decompress whole, waiting for the
// check, or nil.
func (r *SourceRead) CorruptFile() *ReadProblem {
	r.wg.Wait()
	var c *corruptFileError
	if errors.As(r.fpErr, &c) {
		return &ReadProblem{Msg: c.Error(), Details: []string{"compress the file again, or copy it whole"}}
	}
	return nil
}

func fingerprint(files []string) ([]FileFingerprint, error) {
	out := make([]FileFingerprint, len(files))
	for i, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		st, err := fh.Stat()
		if err != nil {
			fh.Close()
			return nil, err
		}
		h := xxh3.New()
		if IsGzip(f) {
			// Hashed as it is decompressed: a file that does not decompress whole is reported as such.
			err = gunzipCheck(f, io.TeeReader(fh, h))
			if err == nil {
				_, err = io.Copy(h, fh) // anything after the gzip stream is hashed too
			}
		} else {
			_, err = io.Copy(h, fh)
		}
		fh.Close()
		if err != nil {
			return nil, err
		}
		out[i] = FileFingerprint{Path: f, Bytes: st.Size(), Modified: st.ModTime().UTC(), XXH3: fmt.Sprintf("%016x", h.Sum64())}
	}
	return out, nil
}

// CheckRejects fails the read if the CSV reader rejected rows (a value that does not parse as its declared
// type, an empty value in a not_null column, a row with the wrong number of fields), naming file and line.
// A line is counted once, however often the reader met it (a streamed source read twice by its statement).
func (r *SourceRead) CheckRejects(ctx context.Context, d Workspace) error {
	if !r.Rejects {
		return nil
	}
	// One row per line: a line can break several columns, or be met by several scans.
	lines := fmt.Sprintf(`SELECT file_path, line, first.c, first.k, first.m, first.t FROM (
		SELECT s.file_path, e.line, min({c: coalesce(e.column_name, ''), k: e.error_type::VARCHAR, m: e.error_message, t: coalesce(e.csv_line, '')}) AS first
		FROM %s e JOIN %s s USING (scan_id, file_id) GROUP BY s.file_path, e.line)`, Ident(RejectsTable(r.Name)), Ident(RejectScansTable(r.Name)))
	var n int64
	if err := d.QueryRow(ctx, "SELECT count(*) FROM ("+lines+")").Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	if p := r.CorruptFile(); p != nil { // a torn last line is the file's damage, not a bad row
		return p
	}
	rows, err := d.Query(ctx, "SELECT * FROM ("+lines+") ORDER BY file_path, line LIMIT 5")
	if err != nil {
		return err
	}
	defer rows.Close()
	against := "the columns the reader detected" // nothing declared: the problem is the file's shape or a value
	if r.Typed {
		against = "the declared columns"
	}
	p := &ReadProblem{Msg: fmt.Sprintf("%s %s not parse as %s", plural.Rows(n), plural.Do(n), against)}
	var hint []string
	quoteHinted := false
	for rows.Next() {
		var file, column, kind, msg, line string
		var lineNo int64
		if err := rows.Scan(&file, &lineNo, &column, &kind, &msg, &line); err != nil {
			return err
		}
		if kind == "CAST" && r.ForcedNotNull[column] && !strings.Contains(msg, "Could not convert") {
			// DuckDB names no value when the field was empty (pinned by TestDataProblemsStopTheRunBeforePublishing).
			msg = fmt.Sprintf("column %q is empty, but it is declared not_null", column)
		}
		p.Details = append(p.Details, fmt.Sprintf("%s:%d: %s: %s", file, lineNo, msg, Truncate(line, 120)))
		if kind == "TOO MANY COLUMNS" && strings.ContainsAny(line, `"'`) && !quoteHinted {
			quoteHinted = true
			hint = append(hint, QuoteHint)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	p.Details = append(p.Details, hint...)
	return p
}

// CheckLoadedTypes fails the read if a declared column did not come out of the reader with its declared
// type. Every later step (the rule kernels above all) trusts the contract; a reader that quietly gives up
// on a type (DuckDB reads a column as VARCHAR when files disagree on their headers, or when an option the
// user set overrides the declared types) must stop the run here, not corrupt it later. relation is the
// loaded table or the streamed view.
func (r *SourceRead) CheckLoadedTypes(ctx context.Context, d Workspace, relation string, declared []DeclaredColumn) error {
	var typed []DeclaredColumn
	var casts []string
	for _, c := range declared {
		if c.Type != "" {
			typed = append(typed, c)
			casts = append(casts, fmt.Sprintf("CAST(NULL AS %s) AS %s", c.Type, Ident(c.Name)))
		}
	}
	if len(typed) == 0 {
		return nil
	}
	want, err := d.Describe(ctx, "SELECT "+strings.Join(casts, ", "))
	if err != nil {
		return fmt.Errorf("resolving the declared types: %w", err)
	}
	got, err := d.Describe(ctx, "SELECT * FROM "+Ident(relation))
	if err != nil {
		return fmt.Errorf("describing what was read: %w", err)
	}
	p := &ReadProblem{Msg: "columns were not read as declared"}
	for i, c := range typed {
		j := slices.IndexFunc(got, func(g Column) bool { return g.Name == c.Name })
		switch {
		case j < 0:
			p.Details = append(p.Details, fmt.Sprintf("column %s: not in %s", c.Name, strings.Join(r.Files, ", ")))
		case got[j].Type != want[i].Type:
			p.Details = append(p.Details, fmt.Sprintf("column %s: read from %s as %s, but declared %s", c.Name, strings.Join(r.Files, ", "), got[j].Type, c.Type))
		}
	}
	if len(p.Details) > 0 {
		hint := "an option that sets types or column names overrides the declared columns: check the source's options"
		if len(r.Files) > 1 {
			hint += "; files whose headers disagree are read this way: set union_by_name: true to read each by its header"
		}
		p.Details = append(p.Details, hint)
		return p
	}
	return nil
}

// The DuckDB reader's strategies: from is the reader's table-function call (ReadSQL), with the options
// PlanCSV (or the user) gave it.

// LoadTable loads the source's rows into its workspace table, selecting selectList from the files. The
// error is the reader's, as DuckDB gave it; rejected rows are checked after (CheckRejects).
func (r *SourceRead) LoadTable(ctx context.Context, d Workspace, selectList, from string) error {
	return d.Exec(ctx, fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT %s FROM %s", Ident(r.Name), selectList, from))
}

// StreamView is the statement that makes the source a view over its files, read by the one statement
// that reads it. DuckDB's CSV reader parses only the columns a query reads, so a value that breaks the
// declared type in a column the statement ignores would go unnoticed; the view's filter hashes every
// column (ParseEveryColumn) so the reader parses them all.
func (r *SourceRead) StreamView(from string, columns []Column) string {
	return fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT * FROM %s WHERE %s", Ident(r.Name), from, ParseEveryColumn(columns))
}

// ParseEveryColumn is the filter of a streamed source's view: hash() is never NULL, so no row is dropped,
// but every column is parsed (TestStreamedSourceChecksEveryColumn fails if DuckDB ever optimises this
// away).
func ParseEveryColumn(cols []Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = Ident(c.Name)
	}
	return "hash(" + strings.Join(names, ", ") + ") IS NOT NULL"
}

// CountRows reads the source's relation whole and counts its rows: for a streamed source, a read of its
// files on their own.
func (r *SourceRead) CountRows(ctx context.Context, d Workspace) (int64, error) {
	var rows int64
	err := d.QueryRow(ctx, "SELECT count(*) FROM "+Ident(r.Name)).Scan(&rows)
	return rows, err
}

// Materialize turns a streamed source back into a loaded one: its view's rows into a table of the same
// name. The error is the reader's, as DuckDB gave it.
func (r *SourceRead) Materialize(ctx context.Context, d Workspace) error {
	staging := Ident("segrun_loading_" + r.Name)
	for _, q := range []string{
		fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT * FROM %s", staging, Ident(r.Name)),
		"DROP VIEW " + Ident(r.Name),
		fmt.Sprintf("ALTER TABLE %s RENAME TO %s", staging, Ident(r.Name)),
	} {
		if err := d.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// CastCheck is a declared column loaded by casting, with the marker column that flags values that did not
// cast.
type CastCheck struct{ column, typ, marker string }

// ContractCasts builds the select list that gives declared columns their types. CSV files are parsed
// straight into the declared types (csvTypes); other formats are cast here, and a value that does not cast
// is kept, as text, in a marker column so the failure can show it (CheckCasts).
func (r *SourceRead) ContractCasts(ctx context.Context, d Workspace, from string, declared []DeclaredColumn, csvTypes bool) (string, []CastCheck, error) {
	if csvTypes || len(declared) == 0 {
		return "*", nil, nil
	}
	raw, err := d.Describe(ctx, "SELECT * FROM "+from)
	if err != nil {
		return "", nil, &ReadProblem{Msg: err.Error()}
	}
	var replace, markers []string
	var checks []CastCheck
	for _, c := range declared {
		i := slices.IndexFunc(raw, func(r Column) bool { return r.Name == c.Name })
		if i < 0 || c.Type == "" || strings.EqualFold(raw[i].Type, c.Type) {
			continue
		}
		col := Ident(c.Name)
		marker := "segrun_bad_" + fmt.Sprint(len(checks))
		replace = append(replace, fmt.Sprintf("TRY_CAST(%s AS %s) AS %s", col, c.Type, col))
		markers = append(markers, fmt.Sprintf("CASE WHEN %[1]s IS NOT NULL AND TRY_CAST(%[1]s AS %[2]s) IS NULL THEN CAST(%[1]s AS VARCHAR) END AS %[3]s",
			col, c.Type, marker))
		checks = append(checks, CastCheck{column: c.Name, typ: c.Type, marker: marker})
	}
	if len(replace) == 0 {
		return "*", nil, nil
	}
	return "* REPLACE (" + strings.Join(replace, ", ") + "), " + strings.Join(markers, ", "), checks, nil
}

// CheckCasts fails the read if values did not cast to their declared types, and drops the marker columns.
func (r *SourceRead) CheckCasts(ctx context.Context, d Workspace, checks []CastCheck) error {
	table := Ident(r.Name)
	var problems []string
	for _, c := range checks {
		var n int64
		if err := d.QueryRow(ctx, fmt.Sprintf("SELECT count(%s) FROM %s", c.marker, table)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			sample, err := SampleValues(ctx, d, fmt.Sprintf("SELECT DISTINCT %s FROM %s WHERE %s IS NOT NULL LIMIT 5", c.marker, table, c.marker))
			if err != nil {
				return err
			}
			problems = append(problems, fmt.Sprintf("column %s: %s %s not cast to %s, for example %s", c.column, plural.Values(n), plural.Do(n), c.typ, strings.Join(sample, ", ")))
		}
		if err := d.Exec(ctx, fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", table, c.marker)); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return &ReadProblem{Msg: "data breaks the column contract", Details: problems}
	}
	return nil
}

// CheckNotNull enforces the not_null columns the reader did not (ForcedNotNull) on the loaded table, and
// returns its row count, in one scan. byFile is the reader's call with DuckDB's filename column (""
// when there is none): where the source has several files, a failure names the files the NULLs are in.
func (r *SourceRead) CheckNotNull(ctx context.Context, d Workspace, declared []DeclaredColumn, byFile string) (int64, error) {
	table := Ident(r.Name)
	var cols []string
	exprs := []string{"count(*)"}
	for _, c := range declared {
		if c.NotNull && !r.ForcedNotNull[c.Name] {
			cols = append(cols, c.Name)
			exprs = append(exprs, fmt.Sprintf("count(*) FILTER (WHERE %s IS NULL)", Ident(c.Name)))
		}
	}
	counts := make([]int64, len(exprs))
	ptrs := make([]any, len(exprs))
	for i := range counts {
		ptrs[i] = &counts[i]
	}
	if err := d.QueryRow(ctx, fmt.Sprintf("SELECT %s FROM %s", strings.Join(exprs, ", "), table)).Scan(ptrs...); err != nil {
		return 0, err
	}
	p := &ReadProblem{Msg: "NULL in not_null columns"}
	for i, c := range cols {
		if n := counts[i+1]; n > 0 {
			sample, err := SampleRows(ctx, d, fmt.Sprintf("SELECT * FROM %s WHERE %s IS NULL LIMIT 3", table, Ident(c)))
			if err != nil {
				return 0, err
			}
			p.Details = append(p.Details, fmt.Sprintf("column %s: %s %s NULL%s, for example:", c, plural.Rows(n), plural.Is(n), r.nullFiles(ctx, d, byFile, c)))
			for _, l := range sample {
				p.Details = append(p.Details, "  "+l)
			}
		}
	}
	if len(p.Details) > 0 {
		return 0, p
	}
	return counts[0], nil
}

// nullFiles says which of the source's files hold NULLs in column ("" when there is one file, or the
// files cannot be told): a file read by name may lack the column altogether.
func (r *SourceRead) nullFiles(ctx context.Context, d Workspace, byFile, column string) string {
	if byFile == "" || len(r.Files) < 2 {
		return ""
	}
	files, err := SampleValues(ctx, d, fmt.Sprintf("SELECT DISTINCT filename FROM %s WHERE %s IS NULL ORDER BY filename LIMIT 5", byFile, Ident(column)))
	if err != nil || len(files) == 0 {
		return "" // a column the user named filename hides DuckDB's: the rows below still show the values
	}
	return " (in " + strings.Join(files, ", ") + ")"
}
