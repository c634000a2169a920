package definitions

import (
	"bytes"
	_ "embed"
	"html/template"
	"io"
	"strings"
)

// The HTML document is one self-contained page: its style inline, no script, no external asset, so it
// opens offline and prints as it shows. html/template escapes every piece of the spec's text.

//go:embed definitions.css
var stylesheet string

//go:embed fragment.html.tmpl
var fragmentTemplate string

var fragment = template.Must(template.New("fragment").Funcs(template.FuncMap{
	"size":      func(d *Document, sg Segment) string { return sizeLine(d, &sg) },
	"trend":     func(sg Segment) string { return trendText(&sg) },
	"date":      date,
	"short":     shortHash,
	"number":    number,
	"versions":  versionsText,
	"lastAsOf":  func(vs []VersionRef) string { return date(vs[len(vs)-1].AsOf) },
	"action":    func(a *Action) string { return strings.Join(actionText(a), "; ") },
	"storeLine": storeLine,
	"anchor":    func(parts ...string) string { return "def-" + strings.Join(parts, "-") },
}).Parse(fragmentTemplate))

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Segment definitions: {{.Doc.Pipeline}}</title>
<style>
{{.Style}}</style>
</head>
<body>
{{.Body}}</body>
</html>
`))

// Stylesheet is the CSS the fragment's classes need (all under .segrun-definitions), for a page that
// embeds HTMLFragment.
func Stylesheet() string { return stylesheet }

// HTMLFragment writes the document's body as an HTML fragment (one <section class="segrun-definitions">),
// for a page of its own (HTML) or to embed in another, with Stylesheet.
func HTMLFragment(w io.Writer, d *Document) error { return fragment.Execute(w, d) }

// HTML writes the document as a complete, self-contained HTML page.
func HTML(w io.Writer, d *Document) error {
	var body bytes.Buffer
	if err := HTMLFragment(&body, d); err != nil {
		return err
	}
	return page.Execute(w, struct {
		Doc   *Document
		Style template.CSS
		Body  template.HTML // the fragment, escaped as it was rendered
	}{d, template.CSS(stylesheet), template.HTML(body.String())})
}
