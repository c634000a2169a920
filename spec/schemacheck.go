package spec

import (
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// checkSchema validates the document against the embedded JSON Schema, with the registered method blocks
// merged in, and turns each failure into a diagnostic at the YAML node it concerns.
func (d *Document) checkSchema() Diagnostics {
	inst, diags := d.toJSON()
	sch := pipelineSchema()
	if sch.err != nil {
		return append(diags, d.diag(Pos{1, 1}, Error, "internal", sch.err.Error(), ""))
	}
	err := sch.Schema.Validate(inst)
	if err == nil {
		return diags
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return append(diags, d.diag(Pos{1, 1}, Error, "internal", err.Error(), ""))
	}
	for _, leaf := range leaves(ve) {
		diags = append(diags, d.schemaDiagnostics(leaf, sch.Doc)...)
	}
	return diags
}

// leaves flattens a validation error tree into the failures worth reporting. For anyOf, the alternative
// that matched deepest is the one the user meant, so only its failures are reported.
func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	return leavesUnder(ve, nil)
}

func leavesUnder(ve *jsonschema.ValidationError, parent []string) []*jsonschema.ValidationError {
	if _, ok := ve.ErrorKind.(*kind.PropertyNames); ok {
		// jsonschema v6.0.3 reports propertyNames failures with a corrupted instance location (a reused
		// slice: /sources/a/path/names for /segmentations/s/cluster/names), so the location is rebuilt from
		// the parent's and the property the schema keyword belongs to.
		fixed := *ve
		fixed.InstanceLocation = append(slices.Clone(parent), propertyOfKeyword(ve.SchemaURL)...)
		return []*jsonschema.ValidationError{&fixed}
	}
	switch ve.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
		if merged := mergeTypeAlternatives(ve); merged != nil {
			return []*jsonschema.ValidationError{merged}
		}
		var best []*jsonschema.ValidationError
		bestDepth := -1
		for _, alt := range ve.Causes {
			ls := leavesUnder(alt, ve.InstanceLocation)
			depth := minDepth(ls)
			if depth > bestDepth {
				best, bestDepth = ls, depth
			}
		}
		return best
	}
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leavesUnder(c, ve.InstanceLocation)...)
	}
	return out
}

// propertyOfKeyword returns the property a propertyNames keyword constrains: names for
// ...#/$defs/cluster/properties/names/propertyNames; nothing when the keyword applies to the parent itself.
func propertyOfKeyword(schemaURL string) []string {
	_, frag, _ := strings.Cut(schemaURL, "#")
	toks := splitPointer(frag)
	n := len(toks)
	if n >= 3 && toks[n-1] == "propertyNames" && toks[n-3] == "properties" {
		return []string{toks[n-2]}
	}
	return nil
}

// mergeTypeAlternatives turns "not a string; not an array" for one value into one type error wanting
// either, when every alternative failed on the value's type alone.
func mergeTypeAlternatives(ve *jsonschema.ValidationError) *jsonschema.ValidationError {
	var want []string
	var got string
	var enums []*jsonschema.ValidationError
	for _, alt := range ve.Causes {
		ls := leaves(alt)
		if len(ls) != 1 || !slices.Equal(ls[0].InstanceLocation, ve.InstanceLocation) {
			return nil
		}
		switch k := ls[0].ErrorKind.(type) {
		case *kind.Type:
			got = k.Got
			want = append(want, k.Want...)
		case *kind.Enum:
			want = append(want, "one of "+joinValues(k.Want))
			enums = append(enums, ls[0])
		default:
			return nil
		}
	}
	// One alternative is a list of names and the others want other types (objective: a name or a
	// mapping): a misspelt name is that list's mistake, reported with its did-you-mean.
	if len(enums) == 1 && got == "string" {
		return enums[0]
	}
	if got == "" {
		return nil
	}
	return &jsonschema.ValidationError{InstanceLocation: ve.InstanceLocation, SchemaURL: ve.SchemaURL,
		ErrorKind: &kind.Type{Got: got, Want: want}}
}

func minDepth(ls []*jsonschema.ValidationError) int {
	if len(ls) == 0 {
		return -1
	}
	d := len(ls[0].InstanceLocation)
	for _, l := range ls[1:] {
		d = min(d, len(l.InstanceLocation))
	}
	return d
}

// schemaDiagnostics explains one failure; a mapping with several unknown keys gives one diagnostic each.
func (d *Document) schemaDiagnostics(ve *jsonschema.ValidationError, schemaDoc map[string]any) Diagnostics {
	k, ok := ve.ErrorKind.(*kind.AdditionalProperties)
	if !ok {
		return Diagnostics{d.schemaDiagnostic(ve, schemaDoc)}
	}
	var out Diagnostics
	for _, prop := range k.Properties {
		one := *ve
		one.ErrorKind = &kind.AdditionalProperties{Properties: []string{prop}}
		out = append(out, d.schemaDiagnostic(&one, schemaDoc))
	}
	return out
}

func (d *Document) schemaDiagnostic(ve *jsonschema.ValidationError, schemaDoc map[string]any) Diagnostic {
	path := Pointer(anySlice(ve.InstanceLocation)...)
	if len(ve.InstanceLocation) == 0 {
		path = ""
	}
	subject := describe(path)
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		missing := make([]string, len(k.Missing))
		for i, m := range k.Missing {
			missing[i] = fmt.Sprintf("%q", m)
		}
		return d.AtKey(path, Error, "schema.required",
			fmt.Sprintf("%s is missing required key %s", subject, strings.Join(missing, ", ")), "")
	case *kind.AdditionalProperties:
		allowed := allowedProperties(schemaDoc, ve.SchemaURL)
		prop := k.Properties[0]
		key := path + "/" + escapePointer(prop)
		sugg := Nearest(prop, allowed)
		msg := fmt.Sprintf("unknown key %q in %s", prop, subject)
		if a, ok := keyAliases[prop]; ok && sugg == "" && slices.Contains(allowed, a.key) {
			sugg = a.key
			msg += didYouMean(sugg) + " " + a.how
		} else if strings.ContainsAny(prop, "()") {
			msg += `; inside {...} a comma separates keys, so quote values that contain one: "DECIMAL(12,2)"`
		} else if sugg != "" {
			msg += didYouMean(sugg)
		} else if len(allowed) > 0 {
			msg += " (allowed: " + strings.Join(allowed, ", ") + ")"
		}
		diag := d.AtKey(key, Error, "schema.unknown_key", msg, sugg)
		return diag
	case *kind.Type:
		return d.At(path, Error, "schema.type",
			fmt.Sprintf("%s must be %s, not %s", subject, joinTypes(k.Want), article(k.Got)), "")
	case *kind.Enum:
		got := fmt.Sprint(k.Got)
		var options []string
		for _, w := range k.Want {
			options = append(options, fmt.Sprint(w))
		}
		sugg := Nearest(got, options)
		return d.At(path, Error, "schema.enum",
			fmt.Sprintf("%q is not a valid %s%s (one of: %s)", got, lastKey(path), didYouMean(sugg),
				strings.Join(options, ", ")), sugg)
	case *kind.Const:
		return d.At(path, Error, "schema.const", fmt.Sprintf("%s must be %v", subject, k.Want), "")
	case *kind.Pattern:
		if strings.Contains(k.Want, "a-z_") {
			return d.identifierDiagnostic(path, false, k.Got)
		}
		if strings.Contains(k.Want, "csv|parquet|jsonl") {
			return d.At(path, Error, "schema.pattern",
				fmt.Sprintf("export path %q must end in .csv, .parquet or .jsonl", k.Got), "")
		}
		return d.At(path, Error, "schema.pattern", fmt.Sprintf("%s %q does not match %s", subject, k.Got, k.Want), "")
	case *kind.PropertyNames:
		key := path + "/" + escapePointer(k.Property)
		if strings.Contains(ve.SchemaURL, "cluster") || strings.HasSuffix(path, "/names") {
			return d.AtKey(key, Error, "schema.pattern",
				fmt.Sprintf("cluster id %q must be a number (0, 1, 2...)", k.Property), "")
		}
		return d.identifierDiagnostic(key, true, k.Property)
	case *kind.MinItems:
		return d.At(path, Error, "schema.min_items", fmt.Sprintf("%s needs at least %d item%s", subject, k.Want, plural(k.Want, "", "s")), "")
	case *kind.MaxItems:
		return d.At(path, Error, "schema.max_items", fmt.Sprintf("%s takes at most %d item%s", subject, k.Want, plural(k.Want, "", "s")), "")
	case *kind.MinProperties:
		return d.At(path, Error, "schema.min_properties", fmt.Sprintf("%s needs at least %d entr%s", subject,
			k.Want, plural(k.Want, "y", "ies")), "")
	case *kind.MaxProperties:
		return d.At(path, Error, "schema.max_properties", fmt.Sprintf("%s takes only one of its keys", subject), "")
	case *kind.MinLength:
		return d.At(path, Error, "schema.min_length", fmt.Sprintf("%s must not be empty", subject), "")
	case *kind.MaxLength:
		return d.At(path, Error, "schema.max_length", fmt.Sprintf("%s is longer than %d characters", subject, k.Want), "")
	case *kind.UniqueItems:
		return d.At(path, Error, "schema.unique_items",
			fmt.Sprintf("%s lists the same value twice (items %d and %d)", subject, k.Duplicates[0]+1, k.Duplicates[1]+1), "")
	case *kind.Minimum:
		return d.At(path, Error, "schema.range", fmt.Sprintf("%s must be at least %s", subject, ratString(k.Want)), "")
	case *kind.Maximum:
		return d.At(path, Error, "schema.range", fmt.Sprintf("%s must be at most %s", subject, ratString(k.Want)), "")
	case *kind.ExclusiveMinimum:
		return d.At(path, Error, "schema.range", fmt.Sprintf("%s must be greater than %s", subject, ratString(k.Want)), "")
	case *kind.ExclusiveMaximum:
		return d.At(path, Error, "schema.range", fmt.Sprintf("%s must be less than %s", subject, ratString(k.Want)), "")
	}
	return d.At(path, Error, "schema.invalid",
		fmt.Sprintf("%s: %s", subject, ve.ErrorKind.LocalizedString(message.NewPrinter(language.English))), "")
}

// identifierDiagnostic explains the naming rule and offers the name rewritten to follow it.
func (d *Document) identifierDiagnostic(path string, atKey bool, got string) Diagnostic {
	sugg := toIdentifier(got)
	msg := fmt.Sprintf("%q is not a valid name: use lowercase letters, digits and _, starting with a letter or _", got)
	if sugg != "" && sugg != got {
		msg += didYouMean(sugg)
	} else {
		sugg = ""
	}
	if atKey {
		return d.AtKey(path, Error, "name.invalid", msg, sugg)
	}
	return d.At(path, Error, "name.invalid", msg, sugg)
}

// toIdentifier rewrites a name into a valid identifier: CustomerSegments -> customer_segments.
func toIdentifier(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			if i > 0 && b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
			b.WriteRune(r + 'a' - 'A')
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
		}
	}
	out := strings.Trim(b.String(), "_")
	if out != "" && out[0] >= '0' && out[0] <= '9' {
		out = "_" + out
	}
	return out
}

// allowedProperties lists the keys the schema object at schemaURL declares, for did-you-mean: a
// segmentation's include the registered method blocks, and a registered block's are its own.
func allowedProperties(schemaDoc map[string]any, schemaURL string) []string {
	_, frag, _ := strings.Cut(schemaURL, "#")
	var node any = schemaDoc
	for _, tok := range splitPointer(frag) {
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		node = m[tok]
	}
	m, _ := node.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// describe names the element at a pointer the way a user thinks of it: `source "orders"`,
// `rule 2 of segmentation "lifecycle"`.
func describe(path string) string {
	toks := splitPointer(path)
	if len(toks) == 0 {
		return "the spec"
	}
	kinds := map[string]string{"vars": "var"}
	for _, m := range StepMaps {
		kinds[m.Key] = m.Kind
	}
	if len(toks) >= 2 {
		if k, ok := kinds[toks[0]]; ok {
			step := fmt.Sprintf("%s %q", k, toks[1])
			rest := toks[2:]
			switch {
			case len(rest) == 0:
				return step
			case len(rest) >= 2 && (rest[0] == "tests" || rest[0] == "rules"):
				item := fmt.Sprintf("%s %s of %s", strings.TrimSuffix(rest[0], "s"), ordinal(rest[1]), step)
				if len(rest) == 2 {
					return item
				}
				return fmt.Sprintf("%s of %s", strings.Join(rest[2:], "."), item)
			case len(rest) >= 2 && rest[0] == "columns":
				if len(rest) == 2 {
					return fmt.Sprintf("column %q of %s", rest[1], step)
				}
				return fmt.Sprintf("%s of column %q of %s", strings.Join(rest[2:], "."), rest[1], step)
			default:
				return fmt.Sprintf("%s of %s", strings.Join(rest, "."), step)
			}
		}
		if toks[0] == "exports" {
			item := "export " + ordinal(toks[1])
			if len(toks) == 2 {
				return item
			}
			return fmt.Sprintf("%s of %s", strings.Join(toks[2:], "."), item)
		}
	}
	return strings.Join(toks, ".")
}

func ordinal(tok string) string {
	var i int
	if _, err := fmt.Sscan(tok, &i); err != nil {
		return tok
	}
	return fmt.Sprint(i + 1)
}

func lastKey(path string) string {
	toks := splitPointer(path)
	for i := len(toks) - 1; i >= 0; i-- {
		if _, err := fmt.Sscan(toks[i], new(int)); err != nil {
			return toks[i]
		}
	}
	return "value"
}

func joinTypes(ts []string) string {
	var names []string
	for _, t := range ts {
		names = append(names, article(t))
	}
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// article puts JSON Schema type names in user words: "object" is a mapping and "array" a list in YAML.
func article(t string) string {
	switch t {
	case "object":
		return "a mapping"
	case "array":
		return "a list"
	case "integer":
		return "an integer"
	case "null":
		return "empty"
	}
	if strings.HasPrefix(t, "one of") {
		return t
	}
	return "a " + t
}

func joinValues(vs []any) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}

func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return fmt.Sprint(f)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
