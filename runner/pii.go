package runner

import (
	"fmt"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// Personal data (PII). A source's column contract declares which columns are personal (pii: email, phone,
// name, address, other); the declaration follows a column through the features that pass it on, and
// every file segrun writes (exports, destinations) writes a personal column hashed as ad platforms match
// on, unless it says pii: clear (docs/audiences.md).

// personalColumns works out, for every table in plan order, which of its columns are personal and of what
// kind (Validation.PII), and the entity column's kind (Validation.EntityPII). A feature's output column is
// personal when
//   - it is a plain reference to a personal column of an input in the outermost SELECT (email, c.email,
//     phone AS mobile), or
//   - it has the name of a personal column of an input (which covers *, and lower(email) AS email).
//
// Anything else is not followed: an expression under a new name, a rename inside a CTE or subquery under
// a name no input has. A segmentation's or audience's entity is personal when it is in its inputs.
func (c *validator) personalColumns() {
	c.v.PII = map[string]map[string]string{}
	for _, name := range c.v.Graph.Order() {
		cols, known := c.v.Columns[name]
		if !known {
			continue
		}
		found := map[string]string{}
		if src, ok := c.s.Sources.Get(name); ok && c.s.StepKind(name) == KindSource {
			for _, col := range src.Columns {
				if col.Value.PII != "" {
					found[col.Key] = col.Value.PII
				}
			}
		} else {
			inputs := map[string]string{}
			for _, dep := range c.v.Graph.Deps(name) {
				for col, kind := range c.v.PII[dep] {
					if _, ok := inputs[col]; !ok {
						inputs[col] = kind
					}
				}
			}
			refs := map[string]string{}
			if c.s.StepKind(name) == KindFeature {
				refs = c.passedOn(name)
			}
			for _, col := range cols {
				if kind, ok := inputs[refs[col.Name]]; ok && refs[col.Name] != "" {
					found[col.Name] = kind
				} else if kind, ok := inputs[col.Name]; ok {
					found[col.Name] = kind
				}
			}
		}
		if len(found) > 0 {
			c.v.PII[name] = found
			if kind, ok := found[c.s.Entity]; ok && c.v.EntityPII == "" {
				c.v.EntityPII = kind
			}
		}
	}
}

// passedOn maps a feature's output columns to the input columns they pass on unchanged (its outermost
// SELECT's plain references).
func (c *validator) passedOn(feature string) map[string]string {
	out := map[string]string{}
	text, err := c.s.FeatureSQL(feature)
	if err != nil {
		return out
	}
	a, err := c.db.Analyze(c.ctx, text.SQL)
	if err != nil {
		return out
	}
	for _, p := range a.Projections {
		if p.Ref != "" {
			out[p.Name] = p.Ref
		}
	}
	return out
}

// PIIKinds are the kinds of personal data a column contract declares.
var PIIKinds = []string{"email", "phone", "name", "address", "other"}

// piiHashSQL is the SQL expression writing the personal value expr of kind hashed, in the form ad
// platforms match on: normalised (email, name, address: trimmed of spaces, tabs, CR and LF, and
// lower-cased; phone: its digits in
// international form, E.164 without the +; other: trimmed), then SHA-256 as 64 lower-case hex digits. A
// value that already is 64 hex digits is taken as hashed and passes (lower-cased); NULL, and a value empty
// once normalised, give NULL. A phone number written with + or 00 is international; one without is taken
// to start with its country code already (digits kept as they are): put national numbers in international
// form in SQL before they get here. scripts/pii_hash_reference.py computes the same with hashlib. On
// engine postgres (postgres) the same in PostgreSQL's functions (audience_sql.go), lower-casing by
// Unicode's rules as DuckDB does (PostgreSQL's lower() under the C collation lower-cases ASCII only).
func piiHashSQL(expr, kind string, postgres bool) string {
	text := fmt.Sprintf("trim(CAST(%s AS VARCHAR), ' '||chr(9)||chr(10)||chr(13))", expr)
	var norm string
	switch kind {
	case "phone":
		// 00 is the international call prefix: 0044... is +44...
		norm = fmt.Sprintf("regexp_replace(regexp_replace(%s, '[^0-9+]', '', 'g'), '^(\\+|00)', '')", text)
		norm = fmt.Sprintf("regexp_replace(%s, '[^0-9]', '', 'g')", norm)
	case "other":
		norm = text
	default:
		norm = lowerSQL(postgres, text)
	}
	return fmt.Sprintf("CASE WHEN %s THEN lower(%s) WHEN nullif(%s, '') IS NULL THEN NULL ELSE %s END",
		fullMatchSQL(postgres, text, "[0-9a-fA-F]{64}"), text, norm, sha256HexSQL(postgres, norm))
}

// piiColumnSQL is how a file writes column col (of kind, "" when not personal) under its own name:
// hashed unless clear.
func piiColumnSQL(expr, col, kind string, clear, postgres bool) string {
	if kind == "" || clear {
		return expr + " AS " + sql.Ident(col)
	}
	return piiHashSQL(expr, kind, postgres) + " AS " + sql.Ident(col)
}

// typeAllDestinations checks every audience's destinations, once personal columns are known.
func (c *validator) typeAllDestinations() {
	owner := map[string]string{} // a destination is its first audience's; a second one is refused (spec)
	for _, e := range c.s.Audiences {
		for _, dn := range e.Value.Destinations {
			if _, ok := owner[dn]; !ok {
				owner[dn] = e.Key
			}
		}
	}
	for _, e := range c.s.Audiences {
		path := spec.StepPointer(KindAudience, e.Key)
		if _, known := c.v.Columns[e.Key]; !known || c.s.StepKind(e.Key) != KindAudience {
			continue
		}
		c.typeDestinations(e.Key, path, e.Value, owner)
	}
	// An export of an audience is the same file a destination would be: a personal entity in clear needs
	// the audience's consent.
	for i, ex := range c.s.Exports {
		a, ok := c.s.Audiences.Get(ex.Segmentation)
		if ok && ex.PII == spec.PIIClear && a.Consent == nil && c.v.EntityPII != "" && c.s.StepKind(ex.Segmentation) == KindAudience {
			c.errorAt(spec.Pointer("exports", i, "pii"), "destination.consent",
				fmt.Sprintf("export %s writes the personal entity %s in clear, but audience %s has no consent:; entities without consent never leave",
					ex.Path, c.s.Entity, ex.Segmentation), "")
		}
	}
}
