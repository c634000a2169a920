package rules

import (
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode"
)

// A rule's `matches` runs on an engine only with a constant pattern, rewritten into a form that means the
// same to Go, to DuckDB (RE2, as Go's) and to PostgreSQL (Spencer's AREs, whose shorthands and `.` differ):
// Go's parser expands the pattern's classes, case folding and repeats, and the rewrite writes only what
// both engines read alike: literal characters (punctuation escaped), bracket expressions of explicit
// ranges, `[^\n]` for Go's `.`, ^ and $ for the text's start and end, non-capturing groups, alternation
// and the *, + and ? quantifiers. Whether a text matches somewhere does not depend on greediness, where
// the engines differ. Line anchors ((?m)) and word boundaries (\b), which depend on the engine's idea of a
// line or a word, are refused.

// portableRegex rewrites Go pattern p for both engines, or says which part it cannot.
func portableRegex(p string) (string, error) {
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := writeRegex(&b, re.Simplify()); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writeRegex(b *strings.Builder, re *syntax.Regexp) error {
	switch re.Op {
	case syntax.OpEmptyMatch:
		b.WriteString("(?:)")
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 && unicode.SimpleFold(r) != r {
				if err := writeClass(b, foldOrbit(r)); err != nil {
					return err
				}
			} else {
				writeRune(b, r, false)
			}
		}
	case syntax.OpCharClass:
		if err := writeClass(b, re.Rune); err != nil {
			return err
		}
	case syntax.OpAnyCharNotNL:
		b.WriteString(`[^\n]`)
	case syntax.OpAnyChar:
		b.WriteString(`(?:[^\n]|\n)`)
	case syntax.OpBeginText:
		b.WriteString("^")
	case syntax.OpEndText:
		b.WriteString("$")
	case syntax.OpCapture:
		b.WriteString("(?:")
		if err := writeRegex(b, re.Sub[0]); err != nil {
			return err
		}
		b.WriteString(")")
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		b.WriteString("(?:")
		if err := writeRegex(b, re.Sub[0]); err != nil {
			return err
		}
		b.WriteString(")")
		b.WriteString(map[syntax.Op]string{syntax.OpStar: "*", syntax.OpPlus: "+", syntax.OpQuest: "?"}[re.Op])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if err := writeRegex(b, s); err != nil {
				return err
			}
		}
	case syntax.OpAlternate:
		b.WriteString("(?:")
		for i, s := range re.Sub {
			if i > 0 {
				b.WriteString("|")
			}
			if err := writeRegex(b, s); err != nil {
				return err
			}
		}
		b.WriteString(")")
	case syntax.OpBeginLine, syntax.OpEndLine:
		return fmt.Errorf("line anchors ((?m)^ and $) depend on the engine's newline handling")
	case syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return fmt.Errorf(`word boundaries (\b, \B) depend on the engine's word characters`)
	case syntax.OpNoMatch:
		return fmt.Errorf("the pattern can never match")
	default:
		return fmt.Errorf("%s is not supported", re)
	}
	return nil
}

// foldOrbit is the ranges of the runes case folding equates with r, as Go's (?i) does.
func foldOrbit(r rune) []rune {
	out := []rune{r, r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		out = append(out, f, f)
	}
	return out
}

// writeClass writes rune ranges (pairs lo, hi) as a bracket expression. NUL, which text on PostgreSQL
// cannot hold, is left out.
func writeClass(b *strings.Builder, ranges []rune) error {
	if len(ranges) == 2 && ranges[0] <= 1 && ranges[1] == unicode.MaxRune {
		b.WriteString(`(?:[^\n]|\n)`)
		return nil
	}
	var out []rune
	for i := 0; i < len(ranges); i += 2 {
		lo, hi := max(ranges[i], 1), ranges[i+1]
		if lo <= hi {
			out = append(out, lo, hi)
		}
	}
	if len(out) == 0 {
		return fmt.Errorf("a class of only the NUL character")
	}
	b.WriteString("[")
	for i := 0; i < len(out); i += 2 {
		writeRune(b, out[i], true)
		if out[i+1] != out[i] {
			b.WriteString("-")
			writeRune(b, out[i+1], true)
		}
	}
	b.WriteString("]")
	return nil
}

// writeRune writes one character literally, escaping ASCII punctuation (a literal in both engines when
// escaped, where unescaped it may be an operator), and writing a newline and a tab as \n and \t.
func writeRune(b *strings.Builder, r rune, _ bool) {
	switch {
	case r == '\n':
		b.WriteString(`\n`)
	case r == '\t':
		b.WriteString(`\t`)
	case r < 0x80 && (unicode.IsPunct(r) || unicode.IsSymbol(r)):
		b.WriteByte('\\')
		b.WriteRune(r)
	default:
		b.WriteRune(r)
	}
}
