package spec

import (
	"testing"

	"github.com/segrun/segrun/examples"
)

// FuzzParse: no input may panic the loader, and every diagnostic must point inside the file.
func FuzzParse(f *testing.F) {
	registerFirstLetter() // so that the decoding of registered method blocks is fuzzed too
	flagship, _ := examples.Pipelines.ReadFile(examples.FlagshipSpec)
	f.Add(flagship)
	f.Add(examples.Starter("shop", "shop.yaml"))
	f.Add([]byte("version: 1\nname: x\nentity: id\nsources: {a: {path: [a.csv, b.csv]}}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("sources:\n  a: {<<: [*b]}\n"))
	f.Add([]byte("segmentations: {s: {from: s, rules: [{segment: a, when: 'x >'}], cluster: {k: {min: 3}}}}"))
	f.Add([]byte("\t- : :\n"))
	f.Add([]byte("segmentations: {s: {from: s, <<: {first_letter: &b {column: x}}, cluster: *b}}"))
	f.Fuzz(func(t *testing.T, src []byte) {
		s, diags := Parse("fuzz.yaml", src)
		if s == nil && len(diags) == 0 {
			t.Fatal("no spec and no diagnostic")
		}
		for _, d := range diags {
			if d.Line < 1 || d.Column < 1 {
				t.Fatalf("diagnostic without a position: %+v", d)
			}
		}
	})
}
