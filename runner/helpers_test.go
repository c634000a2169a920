package runner

import (
	"strings"

	"github.com/segrun/segrun/sql"
)

// colsOf builds columns from "name TYPE" strings.
func colsOf(defs ...string) []sql.Column {
	out := make([]sql.Column, len(defs))
	for i, d := range defs {
		name, typ, _ := strings.Cut(d, " ")
		out[i] = sql.Column{Name: name, Type: typ}
	}
	return out
}
