package runner

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow/decimal128"

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

func cents(v int64) decimal128.Num { return decimal128.FromI64(v) }
