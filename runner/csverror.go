package runner

import (
	"strings"

	"github.com/segrun/segrun/sql"
)

// sourceReadMessage is validation's message for a source its reader could not describe: a compressed
// file that does not decompress is named as such (DuckDB's sniffer only says it found no dialect), a CSV
// error is cut down by sql.CSVReadProblem, and anything else is DuckDB's message.
func sourceReadMessage(files []string, se *sql.Error) string {
	p, ok := sql.CSVReadProblem(se)
	if !ok {
		return se.Msg
	}
	if p.Sniffer {
		for _, f := range files {
			if isGzip(f) && strings.HasPrefix(p.Msg, f+":") {
				if err := gunzipFile(f); err != nil {
					return err.Error()
				}
			}
		}
	}
	return p.Msg + "; " + strings.Join(p.Details, "; ")
}
