package examples

import (
	"bytes"
	"embed"
	"text/template"
)

// Pipelines holds the example specs users copy, under pipelines/.
//
//go:embed pipelines/*.yaml
var Pipelines embed.FS

//go:embed starter.yaml
var starter string

// FlagshipSpec is the flagship example's file name in Pipelines.
const FlagshipSpec = "pipelines/retail.yaml"

// Starter renders the commented starter spec for a pipeline name, as `segrun init` writes it.
func Starter(name, file string) []byte {
	var b bytes.Buffer
	template.Must(template.New("starter").Parse(starter)).Execute(&b, struct{ Name, File string }{name, file})
	return b.Bytes()
}
