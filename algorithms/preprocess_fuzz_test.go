package algorithms

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"
)

// prepFuzzValues are the values a fuzzed cell byte picks from: the awkward ones (missing, infinite, huge,
// subnormal, the log1p domain edge) and a few ordinary ones so constant and near-constant columns appear.
var prepFuzzValues = []float64{
	math.NaN(), math.Inf(1), math.Inf(-1), 0, 1, -1, -0.5, 2.5, 1e308, -1e308, 5e-324, 1e-300, 7, 7, 100, -1e-9,
	math.NaN(), 0, 1, 2, 3, 3, 4.5, 10, 12, 30, 0.25, 1e6, 7, 7, 8, 9,
}

// prepFuzzFrame decodes a small frame and spec from fuzz input. shape picks rows (1..12) and columns
// (1..4); spec bits pick imputation, scaler, PCA and per-column transforms.
func prepFuzzFrame(raw []byte, shape uint16, spec uint32) (*Frame, PrepSpec) {
	rows := 1 + int(shape%12)
	cols := 1 + int(shape/12%4)
	next := func() byte {
		if len(raw) == 0 {
			return 0
		}
		b := raw[0]
		raw = raw[1:]
		return b
	}
	f := &Frame{}
	s := PrepSpec{
		Impute:    []string{"", "mean", "median", "zero", "drop"}[spec%5],
		Scale:     []string{"", "standard", "minmax", "robust", "none"}[spec/5%5],
		Transform: map[string][]Transform{},
	}
	switch spec / 25 % 4 {
	case 1:
		s.PCA = &PCASpec{Components: 1 + int(spec/100%3)}
	case 2:
		s.PCA = &PCASpec{Variance: []float64{0.5, 0.9, 0.999}[spec/100%3]}
	}
	bits := spec / 300
	for j := 0; j < cols; j++ {
		name := fmt.Sprintf("f%d", j)
		kind := bits % 8
		bits /= 8
		if kind == 5 || kind == 6 { // a text column
			c := Column{Name: name, Text: make([]string, rows), Null: make([]bool, rows)}
			for i := range c.Text {
				b := next()
				c.Text[i] = string(rune('a' + b%3))
				c.Null[i] = b%7 == 0
			}
			f.Columns = append(f.Columns, c)
			s.Transform[name] = []Transform{{Kind: "onehot"}}
			continue
		}
		c := Column{Name: name, Num: make([]float64, rows)}
		for i := range c.Num {
			b := next()
			if b >= 0xF0 && len(raw) >= 8 { // an arbitrary float64
				c.Num[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw))
				raw = raw[8:]
				continue
			}
			c.Num[i] = prepFuzzValues[int(b)%len(prepFuzzValues)]
		}
		f.Columns = append(f.Columns, c)
		switch kind {
		case 2:
			s.Transform[name] = []Transform{{Kind: "log1p"}}
		case 3:
			s.Transform[name] = []Transform{{Kind: "clip", Lower: 0.1, Upper: 0.9}}
		case 4:
			s.Transform[name] = []Transform{{Kind: "winsorize", Lower: 0.25}, {Kind: "log1p"}}
		case 7:
			s.Transform[name] = []Transform{{Kind: "onehot"}} // numeric given onehot: an error
		}
	}
	return f, s
}

// FuzzPrep checks that preparing arbitrary small frames never panics, that every output is finite when
// there is no error, and that the fitted Prep survives JSON and replays its own output exactly.
func FuzzPrep(f *testing.F) {
	f.Add([]byte{3, 4, 5, 6, 7, 8}, uint16(5), uint32(0))
	f.Add([]byte{0, 4, 0, 6, 1, 8, 2, 3}, uint16(17), uint32(1+5*3+25*1+300*3))
	f.Add([]byte{12, 13, 12, 13, 12, 13}, uint16(30), uint32(2+5*2+25*2))
	f.Add([]byte{8, 9, 8, 9}, uint16(3), uint32(4+25))
	f.Add([]byte{5, 5, 5, 5, 5, 5, 5, 5}, uint16(47), uint32(300*(5+8*2)))
	f.Add([]byte{0xF5, 1, 2, 3, 4, 5, 6, 7, 0x7f, 4, 0, 0, 0}, uint16(4), uint32(3+5*4+300*4))
	f.Add([]byte("080708777"), uint16(123), uint32(71)) // 1e308 values once hung LAPACK in PCA
	f.Fuzz(func(t *testing.T, raw []byte, shape uint16, spec uint32) {
		frame, s := prepFuzzFrame(raw, shape, spec)
		p, X, rep, err := FitPrep(frame, s)
		if err != nil {
			return
		}
		if X.Cols != len(rep.Features) || len(X.Data) != X.Rows*X.Cols {
			t.Fatalf("matrix %dx%d (%d values) for %d features", X.Rows, X.Cols, len(X.Data), len(rep.Features))
		}
		if rep.Kept != nil && len(rep.Kept) != X.Rows {
			t.Fatalf("%d kept rows for %d output rows", len(rep.Kept), X.Rows)
		}
		for _, v := range X.Data {
			if !finite(v) {
				t.Fatalf("non-finite output %v for spec %+v", X.Data, s)
			}
		}
		raw2, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("fitted Prep does not encode: %v", err)
		}
		var back Prep
		if err := json.Unmarshal(raw2, &back); err != nil {
			t.Fatal(err)
		}
		Y, _, err := back.Apply(frame)
		if err != nil {
			t.Fatalf("Apply on the fitting frame: %v", err)
		}
		if !reflect.DeepEqual(X.Data, Y.Data) {
			t.Fatalf("Apply differs from FitPrep:\n%v\n%v", X.Data, Y.Data)
		}
	})
}
