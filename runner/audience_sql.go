package runner

import (
	"fmt"
	"strings"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/sql"
)

// The SQL of audiences and destinations that the two engines write differently, each concept branched
// here once: everything else of an audience (include, exclude, consent, the priority list, the counts)
// is the standard SQL both run as it is. The holdout and the hashed personal columns must give the very
// same bytes on both engines (the differential test in internal/pgflagship holds them to it): the same
// SHA-256 of the same UTF-8 bytes, read the same way.

// sha256HexSQL is the SHA-256 of the UTF-8 bytes of the text expressions parts, joined by one 0x00 byte
// each, as 64 lower-case hex digits. DuckDB hashes text (a NUL is a character of its VARCHAR);
// PostgreSQL's text cannot hold a NUL, so it hashes bytea: the parts' UTF-8 bytes and the separator
// byte concatenated.
func sha256HexSQL(postgres bool, parts ...string) string {
	if !postgres {
		return "sha256(" + strings.Join(parts, " || chr(0) || ") + ")"
	}
	bytes := make([]string, len(parts))
	for i, p := range parts {
		bytes[i] = "convert_to(" + p + ", 'UTF8')"
	}
	return "encode(sha256(" + strings.Join(bytes, ` || '\x00'::bytea || `) + "), 'hex')"
}

// holdoutUniformSQL is the uniform in [0, 1) an entity's holdout is drawn from (docs/audiences.md says it
// for other systems to reproduce): the SHA-256 of the salt's UTF-8 bytes, one 0x00 byte, and the entity's
// text (entity::VARCHAR: an integer in decimal, text as it is), its first 8 bytes read as a big-endian
// unsigned integer and divided by 2^64. An entity is in the control group when it is below the share.
// DuckDB reads the 16 hex digits as a UBIGINT; PostgreSQL, which has no unsigned 64-bit integer, as a
// signed bigint (bit(64)'s two's complement) made unsigned in an exact NUMERIC (plus 2^64, modulo 2^64).
// Both then round that integer to the nearest double (DuckDB's cast and PostgreSQL's numeric-to-double
// conversion are both correctly rounded) and divide by 2^64 (exact): the same double on both engines, so
// the same entities fall in the holdout.
func holdoutUniformSQL(salt, entity string, postgres bool) string {
	hex := sha256HexSQL(postgres, sql.Literal(salt), "CAST("+sql.Ident(entity)+" AS VARCHAR)")
	if !postgres {
		return fmt.Sprintf("('0x' || substr(%s, 1, 16))::UBIGINT::DOUBLE / 18446744073709551616.0", hex)
	}
	const two64 = "18446744073709551616"
	return fmt.Sprintf("CAST(mod(CAST(CAST(CAST(('x' || substr(%s, 1, 16)) AS bit(64)) AS bigint) AS numeric) + %s, %s) AS double precision) / CAST(%s AS double precision)",
		hex, two64, two64, two64)
}

// fullMatchSQL is the condition that the text expression expr matches the regular expression re whole:
// DuckDB's regexp_full_match, PostgreSQL's ~ anchored at both ends.
func fullMatchSQL(postgres bool, expr, re string) string {
	if postgres {
		return fmt.Sprintf("%s ~ %s", expr, sql.Literal("^(?:"+re+")$"))
	}
	return fmt.Sprintf("regexp_full_match(%s, %s)", expr, sql.Literal(re))
}

// lowerSQL lower-cases the text expression expr by Unicode's rules: DuckDB's lower(); PostgreSQL's under
// an ICU collation, whatever the database's (under C, PostgreSQL's lower() leaves É as it is).
func lowerSQL(postgres bool, expr string) string {
	if postgres {
		return fmt.Sprintf(`lower(%s COLLATE "und-x-icu")`, expr)
	}
	return "lower(" + expr + ")"
}

// entityOrderSQL is the ORDER BY key of the entity expression expr of type typ (DuckDB's name) that
// orders a file's rows alike on both engines: DuckDB orders text by its bytes, PostgreSQL by the
// database's collation unless told to use C's, which is bytes.
func entityOrderSQL(postgres bool, expr, typ string) string {
	if postgres && typ == "VARCHAR" {
		return expr + ` COLLATE "C"`
	}
	return expr
}

// segmentColumnType is the type of an audience's segment column: an ENUM of its groups on DuckDB, as a
// segmentation's; text on PostgreSQL, as the engine's segmentations write it.
func segmentColumnType(postgres bool, groups []string) string {
	if postgres {
		return "VARCHAR"
	}
	return methods.SegmentType(groups)
}
