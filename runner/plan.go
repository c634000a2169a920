package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/segrun/segrun/spec"
)

// Step kinds.
const (
	KindSource       = "source"
	KindFeature      = "feature"
	KindSegmentation = "segmentation"
	KindExport       = "export"
	KindKPI          = "kpi"
	KindModel        = "model"
	KindAudience     = "audience"
)

// Step is one unit of execution.
type Step struct {
	// Name is the table a step produces, or the file an export writes.
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Method says how: csv, parquet or json for sources; sql for features; rules, rfm or cluster:<method>
	// for segmentations; csv, parquet or jsonl for exports.
	Method  string   `json:"method"`
	Inputs  []string `json:"inputs"`
	Outputs []string `json:"outputs"`
	// Pointer locates the step in the spec.
	Pointer string `json:"-"`
	// SQL is a feature's SQL as validated, read once from the spec or its sql_file: the text the run
	// executes and the spec hash covers.
	SQL spec.SQLText `json:"-"`
	// node is the step's name in the graph; exports are "export:<path>".
	node string
}

// Plan is the pipeline's steps in execution order.
type Plan struct {
	Pipeline string `json:"pipeline"`
	Steps    []Step `json:"steps"`
	// SpecHash identifies what the run executes: the spec file's bytes and the text of every sql_file
	// as read for validation (Step.SQL), never a later read.
	SpecHash string `json:"-"`
	// DefinitionHashes are each segmentation's definition hash (definition.go), stored with its versions.
	DefinitionHashes map[string]string `json:"-"`
}

// step returns the plan's step named name, or nil.
func (p *Plan) step(name string) *Step {
	for i := range p.Steps {
		if p.Steps[i].node == name {
			return &p.Steps[i]
		}
	}
	return nil
}

// specHash identifies the spec a version was computed from: the spec file and every .sql file it uses,
// each file's path (as written in the spec) then its content.
func specHash(s *spec.Spec) string {
	h := sha256.New()
	h.Write(s.Doc.Src)
	for _, f := range s.Features {
		if f.Value.SQLFile != "" {
			if text, err := s.FeatureSQL(f.Key); err == nil {
				h.Write([]byte(filepath.ToSlash(f.Value.SQLFile)))
				h.Write([]byte(text.SQL))
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// PlanFormats lists the output formats of `segrun plan`.
var PlanFormats = []string{"text", "dot", "mermaid", "json"}

// Write prints the plan in a format of PlanFormats.
func (p *Plan) Write(w io.Writer, format string) error {
	switch format {
	case "text", "":
		return p.writeText(w)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	case "dot":
		return p.writeDot(w)
	case "mermaid":
		return p.writeMermaid(w)
	}
	return fmt.Errorf("unknown plan format %q (one of %s)", format, strings.Join(PlanFormats, ", "))
}

func (p *Plan) writeText(w io.Writer) error {
	fmt.Fprintf(w, "pipeline %s: %d steps in execution order\n\n", p.Pipeline, len(p.Steps))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tKIND\tNAME\tMETHOD\tINPUTS\tOUTPUTS")
	for i, s := range p.Steps {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", i+1, s.Kind, s.Name, s.Method, orDash(s.Inputs), orDash(s.Outputs))
	}
	return tw.Flush()
}

func orDash(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ", ")
}

func (p *Plan) writeDot(w io.Writer) error {
	fmt.Fprintf(w, "digraph %q {\n  rankdir=LR;\n", p.Pipeline)
	for _, s := range p.Steps {
		fmt.Fprintf(w, "  %q [shape=%s, label=%q];\n", s.node, kindNamed(s.Kind).dotShape, s.Name+"\n"+s.Method)
	}
	for _, s := range p.Steps {
		for _, in := range s.Inputs {
			if kindNamed(s.Kind).filesIn {
				continue
			}
			fmt.Fprintf(w, "  %q -> %q;\n", in, s.node)
		}
	}
	_, err := fmt.Fprintln(w, "}")
	return err
}

func (p *Plan) writeMermaid(w io.Writer) error {
	fmt.Fprintln(w, "flowchart LR")
	ids := map[string]string{}
	for i, s := range p.Steps {
		ids[s.node] = fmt.Sprintf("s%d", i+1)
		open, closeB := kindNamed(s.Kind).mermaid[0], kindNamed(s.Kind).mermaid[1]
		fmt.Fprintf(w, "  %s%s\"%s<br/>%s\"%s\n", ids[s.node], open, mermaidText(s.Name), s.Method, closeB)
	}
	for _, s := range p.Steps {
		if kindNamed(s.Kind).filesIn {
			continue
		}
		for _, in := range s.Inputs {
			if id, ok := ids[in]; ok {
				fmt.Fprintf(w, "  %s --> %s\n", id, ids[s.node])
			}
		}
	}
	return nil
}

func mermaidText(s string) string { return strings.ReplaceAll(s, `"`, "#quot;") }
