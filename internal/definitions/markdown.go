package definitions

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Markdown writes the document as GitHub-flavoured Markdown. The spec's text (descriptions, owners,
// action plans) is escaped, so it shows as written rather than as Markdown or HTML.
func Markdown(w io.Writer, d *Document) error {
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("# Segment definitions: %s\n\n", d.Pipeline)
	if d.Description != "" {
		p("%s\n\n", mdText(d.Description))
	}
	var facts []string
	if d.Owner != "" {
		facts = append(facts, "Owner: "+mdText(d.Owner))
	}
	if d.Spec != "" {
		facts = append(facts, "Spec: "+mdCode(d.Spec))
	}
	if len(facts) > 0 {
		p("%s\n\n", strings.Join(facts, " · "))
	}
	p("%s\n\n", mdText(storeLine(d)))
	if d.SpecNote != "" {
		p("%s\n\n", mdText(d.SpecNote))
	}
	if len(d.Vars) > 0 {
		var vs []string
		for _, v := range d.Vars {
			vs = append(vs, mdCode(v.Name+" = "+v.Value))
		}
		p("Vars, as the spec sets them: %s\n\n", strings.Join(vs, ", "))
	}
	var toc []string
	for _, s := range d.Segmentations {
		toc = append(toc, fmt.Sprintf("[%s](#%s)", s.Name, s.Name))
	}
	p("Segmentations: %s\n", strings.Join(toc, " · "))
	for i := range d.Segmentations {
		markdownSegmentation(p, d, &d.Segmentations[i])
	}
	return b.Flush()
}

func markdownSegmentation(p func(string, ...any), d *Document, s *Segmentation) {
	p("\n## %s\n\n", s.Name)
	if s.Description != "" {
		p("%s\n\n", mdText(s.Description))
	}
	p("- Owner: %s\n", mdOr(s.Owner))
	p("- Method: %s", mdText(s.Method))
	if s.From != "" {
		p(", from %s", mdCode(s.From))
	}
	p("\n")
	if s.DefinitionHash != "" {
		p("- Definition hash: %s\n", mdCode(shortHash(s.DefinitionHash)))
	}
	p("\n%s\n", mdText(s.Basis))
	for _, line := range s.Details {
		p("\n%s\n", mdText(line))
	}
	if s.Pending != "" {
		p("\n**%s**\n", mdText(s.Pending))
	}

	p("\n### Segments\n\n")
	if d.Store != nil && len(s.Versions) > 0 {
		p("Sizes as of %s; trend over %s (– where a segment had no members).\n\n", date(s.Versions[len(s.Versions)-1].AsOf), versionsText(s.Versions))
	} else if d.Store != nil {
		p("No version of %s is stored yet.\n\n", s.Name)
	}
	p("| Segment | Size | Trend | Owner | Description |\n| --- | ---: | --- | --- | --- |\n")
	for _, sg := range s.Segments {
		p("| [%s](#%s-%s) | %s | %s | %s | %s |\n", sg.Name, sg.Name, s.Name, sizeLine(d, &sg), trendText(&sg), mdOr(sg.Owner), mdOr(sg.Description))
	}
	for _, sg := range s.Segments {
		p("\n#### %s (%s)\n\n", sg.Name, s.Name) // GitHub anchors it #NAME-SEGMENTATION
		if sg.Description != "" {
			p("%s\n\n", mdText(sg.Description))
		} else {
			p("_No description._\n\n")
		}
		p("- Definition:")
		if len(sg.Definition) == 0 {
			p(" none in the spec or the store\n")
		} else {
			p("\n")
			for _, l := range sg.Definition {
				if l.Code != "" {
					p("  - %s: %s\n", mdText(l.Label), mdCode(l.Code))
				} else {
					p("  - %s\n", mdText(l.Label))
				}
			}
		}
		if len(sg.Profile) > 0 {
			var ms []string
			for _, m := range sg.Profile {
				ms = append(ms, m.Name+" "+number(m.Value))
			}
			p("- Centroid (members' means): %s\n", mdText(strings.Join(ms, ", ")))
		}
		if len(sg.Traits) > 0 {
			var ts []string
			for _, t := range sg.Traits {
				ts = append(ts, t.Column+": "+t.Text)
			}
			p("- Profile (latest version): %s\n", mdText(strings.Join(ts, "; ")))
		}
		p("- Owner: %s\n", mdOr(sg.Owner))
		if sg.Action != nil {
			p("- Action: %s\n", mdText(strings.Join(actionText(sg.Action), "; ")))
		} else {
			p("- Action: none planned\n")
		}
		p("- Size: %s\n", sizeLine(d, &sg))
	}
	markdownKPIs(p, s)
	p("\n### Definition history\n\n")
	switch {
	case d.Store == nil:
		p("No store: the history appears once a run has published.\n")
	case len(s.History) == 0:
		p("No version stored yet.\n")
	default:
		p("| Version | As of | Change | Hash |\n| ---: | --- | --- | --- |\n")
		for _, c := range s.History {
			p("| %d | %s | %s | %s (%s) |\n", c.Run, date(c.AsOf), c.what(), mdCode(shortHash(c.Hash)), c.Basis)
		}
		if s.HistoryNote != "" {
			p("\n%s\n", mdText(s.HistoryNote))
		}
	}
}

// markdownKPIs writes each KPI's table: a row per segment and the population, a column per version (the
// latest last), and the latest value against the population's.
func markdownKPIs(p func(string, ...any), s *Segmentation) {
	if len(s.KPIs) == 0 {
		return
	}
	p("\n### KPIs\n")
	for _, k := range s.KPIs {
		p("\n**%s** (%s)", mdText(k.Name), k.Format)
		if k.Description != "" {
			p(": %s", mdText(k.Description))
		}
		p("\n\n| Segment |")
		for _, v := range k.Versions {
			p(" v%d %s |", v.Run, date(v.AsOf))
		}
		p(" Latest vs population |\n| --- |%s ---: |\n", strings.Repeat(" ---: |", len(k.Versions)))
		for _, r := range k.Rows {
			name := mdText(r.Segment)
			if r.Population {
				name = "*" + name + "*"
			}
			p("| %s | %s | %s |\n", name, strings.Join(r.Values, " | "), r.Versus)
		}
	}
}

var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "[", `\[`, "]", `\]`, "|", `\|`, "<", "&lt;", ">", "&gt;", "&", "&amp;", "\n", " ")

// mdText is user text as literal Markdown: no emphasis, links, table breaks or HTML.
func mdText(s string) string { return mdEscaper.Replace(s) }

func mdOr(s string) string {
	if s == "" {
		return "–"
	}
	return mdText(s)
}

// mdCode is s as inline code, fenced with more backticks than it holds (never used in a table cell
// where it could hold a pipe).
func mdCode(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	s = strings.ReplaceAll(s, "\n", " ")
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}
