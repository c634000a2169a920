package sql

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"
)

// Error is a DuckDB error on a statement, with its position in the statement's text when DuckDB gave one.
type Error struct {
	// Kind is DuckDB's error class as its message names it: "Parser", "Binder", "Catalog", "Conversion"...
	Kind string
	// Msg is the message without DuckDB's quoted context lines.
	Msg string
	// Line and Column are 1-based within the statement; zero when unknown.
	Line, Column int
	// typ is DuckDB's error type, which classifies the error (Class); engine says there was one.
	typ    duckdb.ErrorType
	engine bool
	// fixed is the class another engine gave the error (NewEngineError); DuckDB's are classified by typ.
	fixed *ErrorClass
	// cause is DuckDB's error as it came, for callers that read its full text (CSV errors).
	cause error
}

// Unwrap gives DuckDB's error as it came.
func (e *Error) Unwrap() error { return e.cause }

// ErrorClass says whose problem a failed statement is, which decides segrun's exit code.
type ErrorClass int

const (
	// StatementError is the statement's or its data's fault: the spec or the data is to fix (exit 1).
	StatementError ErrorClass = iota
	// MissingFiles is a read of files that do not exist: the spec's paths are to fix (exit 1).
	MissingFiles
	// EnvironmentError is the machine's: a file system failure, an interrupt, DuckDB's own bug (exit 3).
	EnvironmentError
	// OutOfMemory is the machine's too, and more memory (or fewer threads) is the fix (exit 3).
	OutOfMemory
)

// Class classifies the error by DuckDB's error type, not its text. An error that is not DuckDB's (a
// driver's, a context's) is the statement's.
func (e *Error) Class() ErrorClass {
	if e.fixed != nil {
		return *e.fixed
	}
	if !e.engine {
		return StatementError
	}
	switch e.typ {
	case duckdb.ErrorTypeOutOfMemory:
		return OutOfMemory
	case duckdb.ErrorTypeInterrupt, duckdb.ErrorTypePermission, duckdb.ErrorTypeFatal, duckdb.ErrorTypeInternal:
		return EnvironmentError
	case duckdb.ErrorTypeIO:
		// DuckDB gives a missing input file the IO type too; only its message tells it from a disk's
		// failure, and that one is the spec's to fix.
		if strings.Contains(e.Msg, "No files found") {
			return MissingFiles
		}
		return EnvironmentError
	}
	return StatementError
}

// Environmental reports whether the error comes from the machine rather than the statement or its data:
// memory exhausted, a file system failure, an interrupt. Such a run should be retried with more resources,
// not fixed.
func (e *Error) Environmental() bool {
	c := e.Class()
	return c == EnvironmentError || c == OutOfMemory
}

// IsEngineError says whether err is DuckDB's (an error of one of its statements), as opposed to segrun's
// own or the operating system's.
func IsEngineError(err error) bool {
	var de *duckdb.Error
	if errors.As(err, &de) {
		return true
	}
	var se *Error
	return errors.As(err, &se) && se.fixed != nil
}

// NewEngineError is an error of another engine's statement (PostgreSQL's, package sql/postgres), already
// classified by that engine (by SQLSTATE there) and located in the statement (line and column 1-based, or
// zero). The runner handles it as it handles DuckDB's: ParseError passes it through unchanged.
func NewEngineError(kind, msg string, line, column int, class ErrorClass, cause error) *Error {
	return &Error{Kind: kind, Msg: msg, Line: line, Column: column, fixed: &class, cause: cause}
}

func (e *Error) Error() string {
	if e.Kind == "" {
		return e.Msg
	}
	return e.Kind + " error: " + e.Msg
}

var (
	errorKind   = regexp.MustCompile(`^([A-Za-z ]+?) Error: `)
	contextLine = regexp.MustCompile(`(?m)^LINE (\d+): (.*)\n( *)\^`)
)

// ParseError turns a DuckDB error into an Error located in query, the statement that failed. DuckDB shows
// the failing line, windowed with "..." when long; the window is found in the query to recover the column.
func ParseError(err error, query string) *Error {
	if se := (*Error)(nil); errors.As(err, &se) && se.fixed != nil {
		return se
	}
	msg := err.Error()
	var de *duckdb.Error
	e := &Error{cause: err}
	if errors.As(err, &de) {
		msg, e.typ, e.engine = de.Msg, de.Type, true
	}
	if m := errorKind.FindStringSubmatch(msg); m != nil {
		e.Kind = m[1]
		msg = msg[len(m[0]):]
	}
	if loc := contextLine.FindStringSubmatchIndex(msg); loc != nil {
		line, _ := strconv.Atoi(msg[loc[2]:loc[3]])
		shown := msg[loc[4]:loc[5]]
		caret := loc[7] - loc[6] - len("LINE : ") - (loc[3] - loc[2])
		e.Line, e.Column = line, locateColumn(query, line, shown, caret)
		msg = msg[:loc[0]]
	}
	e.Msg = strings.Join(strings.Fields(trimCandidates(msg)), " ")
	return e
}

// trimCandidates shortens DuckDB's candidate lists (every overload of a function, every option of a
// reader) to their first few entries: the message should point the way, not fill the screen.
func trimCandidates(msg string) string {
	lines := strings.Split(msg, "\n")
	var out []string
	listed := -1
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "Candidate functions:") || t == "Candidates:" {
			listed = 0
			out = append(out, t)
			continue
		}
		if listed >= 0 && t != "" {
			listed++
			if listed == 4 {
				out = append(out, "...")
			}
			if listed > 3 {
				continue
			}
			t += ";"
		}
		out = append(out, t)
	}
	return strings.TrimSuffix(strings.Join(out, "\n"), ";")
}

// locateColumn maps the caret's offset in DuckDB's shown line back to a column of the real line.
func locateColumn(query string, line int, shown string, caret int) int {
	lines := strings.Split(query, "\n")
	if line < 1 || line > len(lines) {
		return 0
	}
	real := lines[line-1]
	start := 0
	if strings.HasPrefix(shown, "...") {
		window := strings.TrimSuffix(strings.TrimPrefix(shown, "..."), "...")
		i := strings.Index(real, window)
		if i < 0 {
			return 0
		}
		start = i - len("...")
	}
	byteOff := max(0, min(start+caret, len(real)))
	return utf8.RuneCountInString(real[:byteOff]) + 1
}

// OffsetPosition converts a byte offset in text to a 1-based line and column (columns in characters).
func OffsetPosition(text string, offset int) (line, col int) {
	offset = max(0, min(offset, len(text)))
	before := text[:offset]
	line = strings.Count(before, "\n") + 1
	lineStart := strings.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCountInString(before[lineStart:]) + 1
}

func isLockError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "Could not set lock") || strings.Contains(s, "Conflicting lock")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
