package sql

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// csvReadProblem is a CSV reader's or sniffer's error, cut down from DuckDB's message (about 1,500
// characters: the whole dialect, every candidate tried, every fix it can think of) to what locates the
// problem and what to set.
type CSVProblem struct {
	// Msg leads with the file (and line): "data/b.csv:3: Could not convert string "twenty" to 'DOUBLE'".
	Msg string
	// Details are the line as read and the advice, one per line.
	Details []string
	// Sniffer says the sniffer failed: it found no dialect (which a corrupt compressed file causes too).
	Sniffer bool
}

var (
	csvErrorLine  = regexp.MustCompile(`CSV Error on Line: (\d+)`)
	csvErrorFile  = regexp.MustCompile(`(?m)^\s*file = (.*)$`)
	csvOrigLine   = regexp.MustCompile(`(?m)^Original Line: (.*)$`)
	csvSniffFile  = regexp.MustCompile(`Error when sniffing file "([^"]*)"`)
	csvColumnsMsg = regexp.MustCompile(`Expected Number of Columns: (\d+) Found: (\d+)`)
)

// QuoteHint explains a quoted field read as several: the sniffer decided there is no quoting from the
// lines it sampled.
const QuoteHint = "a quoted field the reader split: DuckDB's sniffer looks only at the first sample_size rows (20480) and found no quoting there; set quote: '\"' (and escape, if quotes are escaped) under the source's options, or sample_size: -1"

// CSVReadProblem recognises DuckDB's CSV errors in err; ok is false for any other error.
func CSVReadProblem(err error) (p CSVProblem, ok bool) {
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return p, false
	}
	msg := de.Msg
	if m := csvSniffFile.FindStringSubmatch(msg); m != nil {
		p.Msg, p.Sniffer = fmt.Sprintf("%s: DuckDB's CSV sniffer could not tell how the file is written", m[1]), true
		p.Details = []string{"set what it could not detect under the source's options: delim (e.g. ';'), quote ('\"'), escape, header (true/false), skip (lines before the header), or a larger sample_size (-1 reads the whole file)",
			"a compressed file that does not decompress (truncated or corrupt) fails this way too"}
		return p, true
	}
	line := csvErrorLine.FindStringSubmatch(msg)
	if line == nil {
		return p, false
	}
	where := "line " + line[1]
	if f := csvErrorFile.FindStringSubmatch(msg); f != nil {
		where = strings.TrimSpace(f[1]) + ":" + line[1]
	}
	// The message proper is the first line after "Original Line: ..." (or after the line number).
	body := msg[strings.Index(msg, line[0])+len(line[0]):]
	var orig string
	if o := csvOrigLine.FindStringSubmatch(body); o != nil {
		orig = o[1]
		body = body[strings.Index(body, o[0])+len(o[0]):]
	}
	first := strings.TrimSpace(body)
	if i := strings.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	p.Msg = where + ": " + strings.TrimSpace(first)
	if orig != "" {
		p.Details = append(p.Details, "the line: "+Truncate(orig, 120))
	}
	for _, l := range strings.Split(body, "\n") {
		// DuckDB's own advice, but not to skip the rows: segrun reports bad rows rather than drop them.
		if fix, ok := strings.CutPrefix(strings.TrimSpace(l), "Possible Solution: "); ok && !strings.Contains(fix, "ignore_errors") {
			p.Details = append(p.Details, fix)
		}
	}
	if m := csvColumnsMsg.FindStringSubmatch(first); m != nil && strings.ContainsAny(orig, `"'`) {
		p.Details = append(p.Details, QuoteHint)
	} else if m != nil {
		p.Details = append(p.Details, "the line has a different number of fields than the header: fix the file, or set delim, quote or header under the source's options if the sniffer guessed them wrong")
	}
	return p, true
}

// Truncate shortens s to n bytes, marking the cut with "...".
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// SourceReadMessage is validation's message for a source its reader could not describe: a compressed
// file that does not decompress is named as such (DuckDB's sniffer only says it found no dialect), a CSV
// error is cut down by CSVReadProblem, and anything else is DuckDB's message.
func SourceReadMessage(files []string, se *Error) string {
	p, ok := CSVReadProblem(se)
	if !ok {
		return se.Msg
	}
	if p.Sniffer {
		for _, f := range files {
			if IsGzip(f) && strings.HasPrefix(p.Msg, f+":") {
				if err := GunzipFile(f); err != nil {
					return err.Error()
				}
			}
		}
	}
	return p.Msg + "; " + strings.Join(p.Details, "; ")
}
