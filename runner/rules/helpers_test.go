package rules

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// colsOf builds columns from "name TYPE" strings.
func colsOf(defs ...string) []Column {
	out := make([]Column, len(defs))
	for i, d := range defs {
		name, typ, _ := strings.Cut(d, " ")
		out[i] = Column{Name: name, Type: typ}
	}
	return out
}

func cents(v int64) decimal128.Num { return decimal128.FromI64(v) }
