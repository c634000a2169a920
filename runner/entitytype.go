package runner

import (
	"fmt"
	"regexp"
	"strings"
)

// decimalScale0 matches DECIMAL(p,0) and NUMERIC(p,0), as DuckDB names a resolved type.
var decimalScale0 = regexp.MustCompile(`^(DECIMAL|NUMERIC)\(\d+, ?0\)$`)

// entityTypeProblem says why a column of type typ cannot key entities, or "" when it can. The store keys
// memberships by the entity: a DOUBLE (what DuckDB's sniffer makes of ids too long for BIGINT) holds 15-17
// significant digits, so 12345678901234567891 comes back as 1.2345678901234567e+19 and distinct ids can
// collide. Integers, DECIMAL(p,0) and text keep every id exactly.
func entityTypeProblem(entity, typ string) string {
	t := strings.ToUpper(strings.TrimSpace(typ))
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
		"VARCHAR", "UUID":
		return ""
	}
	if decimalScale0.MatchString(t) || strings.HasPrefix(t, "ENUM(") {
		return ""
	}
	return fmt.Sprintf("the entity %s is %s, which does not keep every id exactly: declare its type in the source "+
		"(columns: {%s: {type: BIGINT}}, or VARCHAR for ids above 2^63) or cast it in SQL; an entity must be an integer, DECIMAL(p,0) or text",
		entity, typ, entity)
}
