package cluster

import (
	"fmt"
	"strings"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/sql"
)

// DefaultSampleRows is how many rows a clustering fits on when its engine is not DuckDB and the spec
// gives no sample size: enough for k-means and a mixture of up to a few dozen clusters over a few dozen
// features to find the clusters the whole population has (a cluster of 1% of the customers still has
// 1,000 rows), and small enough that pulling it and fitting take seconds (100,000 rows of 10 doubles
// are 8 MB). Assignment then runs on the engine over every row (AssignmentSQL).
const DefaultSampleRows = 100_000

// SampleSQL is a statement over the table from giving the entity and columns of a seeded sample of at
// most rows rows, the same rows in the same order on DuckDB and PostgreSQL, so a fit on either engine
// sees the same input. A row's place is a hash of the seed and its entity: md5 of seed || ':' || the
// entity as text, which both engines compute alike (md5 of the UTF-8 bytes, lower-case hex), read as a
// number from its first 13 hex digits (52 bits, with position() and integer arithmetic, so no collation
// can reorder it), ties broken by the whole hash. The sample is the rows with the smallest places,
// ordered by place: a row's membership does not depend on the other rows' (adding customers only pushes
// some out), and a table of at most rows rows is taken whole. Entities must render as text alike on both
// engines: integers and text do; floating-point or timestamp entities may not.
func SampleSQL(from, entity string, columns []string, seed uint64, rows int) string {
	cols := sql.Ident(entity)
	if len(columns) > 0 {
		cols += ", " + methods.IdentList(columns)
	}
	return fmt.Sprintf("SELECT %s FROM (%s) segrun_placed ORDER BY segrun_place, segrun_hash LIMIT %d", cols, placedSQL(from, entity, cols, seed), rows)
}

// placedSQL selects cols (SQL) of every row of from with its hash (segrun_hash) and place (segrun_place)
// under seed, as SampleSQL describes them.
func placedSQL(from, entity, cols string, seed uint64) string {
	hash := fmt.Sprintf("md5(%s || CAST(%s AS VARCHAR))", sql.Literal(fmt.Sprintf("%d:", seed)), sql.Ident(entity))
	digits := make([]string, 13)
	for i := range digits {
		digits[i] = fmt.Sprintf("(position(substr(segrun_hash, %d, 1) IN '0123456789abcdef') - 1) * CAST(%d AS BIGINT)", i+1, int64(1)<<(4*(12-i)))
	}
	outer := cols + ", segrun_hash"
	if cols == "*" { // the hash is among them
		outer = cols
	}
	// OFFSET 0 keeps PostgreSQL's planner from inlining segrun_hash into each of the thirteen digits that
	// read it, which computed md5 fourteen times a row (100,000 rows: 6.3 s against 1.1 s fenced, on a
	// loaded machine; BENCHMARKS.md "engine postgres tuned"). It changes no row: the sample is its ORDER BY
	// and LIMIT.
	return fmt.Sprintf("SELECT %[5]s, %[2]s AS segrun_place FROM (SELECT %[1]s, %[3]s AS segrun_hash FROM %[4]s OFFSET 0) segrun_hashed",
		cols, strings.Join(digits, " + "), hash, sql.Ident(from), outer)
}

// SampleShareSQL is a statement over the table from giving every column of a seeded sample of about rows
// of its total rows, the same rows on DuckDB and PostgreSQL, in one scan without a sort. A row is in when
// its place under seed is below rows/total of the places' range. An integer entity (integerEntity) is
// placed by integer arithmetic modulo a prime below 2^31 (sampleMix): a tenth of md5's cost (at a million
// rows 0.02 CPU-seconds on DuckDB against 0.24 for md5 alone, and 0.5 with SampleSQL's reading of its hex);
// any other entity by SampleSQL's md5 place, with two columns of segrun's added (segrun_hash,
// segrun_place).
func SampleShareSQL(from, entity string, seed uint64, rows, total int64, integerEntity bool) string {
	share := float64(rows) / float64(max(total, 1))
	if integerEntity {
		return fmt.Sprintf("SELECT * FROM %s WHERE %s < %d", sql.Ident(from), sampleMix(sql.Ident(entity), seed), int64(share*sampleModulus))
	}
	return fmt.Sprintf("SELECT * FROM (%s) segrun_placed WHERE segrun_place < %d", placedSQL(from, entity, "*", seed), int64(share*(1<<52)))
}

// sampleModulus is the prime sampleMix computes modulo: below 2^31, so every product of two residues
// fits a BIGINT on both engines (which raise an error on overflow).
const sampleModulus = 2147483629

// sampleMix is the SQL of an integer x's place in [0, sampleModulus) under seed, the same on both
// engines (BIGINT arithmetic, remainders made non-negative): an affine map, a square (so that places are
// no linear function of x: sequential ids would otherwise be sampled in a lattice), and an affine map
// again, the seed in both offsets.
func sampleMix(x string, seed uint64) string {
	const p, a1, a2 = sampleModulus, 1103515245, 1664525
	s1, s2 := int64(seed%p), int64((seed/p+seed*7+12345)%p)
	mod := func(e string) string {
		return fmt.Sprintf("((%s) %% CAST(%d AS BIGINT) + CAST(%d AS BIGINT)) %% CAST(%d AS BIGINT)", e, p, p, p)
	}
	b := mod(fmt.Sprintf("%s * CAST(%d AS BIGINT) + CAST(%d AS BIGINT)", mod("CAST("+x+" AS BIGINT)"), a1, s1))
	c := mod(fmt.Sprintf("%s * %s + CAST(%d AS BIGINT)", b, b, s2))
	return mod(fmt.Sprintf("%s * CAST(%d AS BIGINT) + CAST(%d AS BIGINT)", c, a2, s1^s2))
}
