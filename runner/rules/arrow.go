package rules

import (
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// The rule engine loads each Arrow column as the kind its DuckDB type was checked as (ZeroValue), whatever
// layout DuckDB chose for it: a HUGEINT comes as decimal(38,0), a DECIMAL(4,2) as a decimal128 of its
// unscaled integer. Loading dispatches on the kind first, so a layout the engine does not know is an
// error, never a value read as something else.

// fromArrow loads an Arrow column into v as kind k, without copying where Arrow's layout is already the
// one the kernels use (int64, float64). It returns the column's mask of missing values (nil when it has
// none): NULLs, and NaNs, which rules treat as NULL (SQL orders NaN above every number, Go compares it
// false: neither is an answer a rule should give silently).
func fromArrow(a arrow.Array, k vkind, v *vec, nullBuf []bool) ([]bool, error) {
	n := a.Len()
	v.kind = k
	var err error
	switch k {
	case kInt:
		err = intsFromArrow(a, v, n)
	case kFloat:
		err = floatsFromArrow(a, v, n)
	case kStr:
		err = stringsFromArrow(a, v, n)
	case kBool:
		arr, ok := a.(*array.Boolean)
		if !ok {
			return nil, unexpectedArrow(a, k)
		}
		b := v.boolsFor(n)
		for i := range b {
			b[i] = arr.Value(i)
		}
	case kTime:
		err = timesFromArrow(a, v, n)
	default:
		return nil, unexpectedArrow(a, k)
	}
	if err != nil {
		return nil, err
	}
	return missing(a, v, n, nullBuf), nil
}

func missing(a arrow.Array, v *vec, n int, buf []bool) []bool {
	hasNaN := false
	if v.kind == kFloat {
		for _, f := range v.f[:n] {
			if math.IsNaN(f) {
				hasNaN = true
				break
			}
		}
	}
	if a.NullN() == 0 && !hasNaN {
		return nil
	}
	if cap(buf) < n {
		buf = make([]bool, n)
	}
	buf = buf[:n]
	for i := range buf {
		buf[i] = a.IsNull(i) || hasNaN && math.IsNaN(v.f[i])
	}
	return buf
}

func unexpectedArrow(a arrow.Array, k vkind) error {
	return fmt.Errorf("rules cannot read Arrow type %s as %s", a.DataType(), k)
}

func intsFromArrow(a arrow.Array, v *vec, n int) error {
	switch arr := a.(type) {
	case *array.Int64:
		v.i = arr.Int64Values()
	case *array.Int32:
		copyInts(v, n, func(i int) int64 { return int64(arr.Value(i)) })
	case *array.Int16:
		copyInts(v, n, func(i int) int64 { return int64(arr.Value(i)) })
	case *array.Int8:
		copyInts(v, n, func(i int) int64 { return int64(arr.Value(i)) })
	case *array.Uint32:
		copyInts(v, n, func(i int) int64 { return int64(arr.Value(i)) })
	case *array.Uint16:
		copyInts(v, n, func(i int) int64 { return int64(arr.Value(i)) })
	case *array.Uint8:
		copyInts(v, n, func(i int) int64 { return int64(arr.Value(i)) })
	case *array.Uint64: // UBIGINT
		out := v.intsFor(n)
		for i := range out {
			u := arr.Value(i)
			if u > math.MaxInt64 && arr.IsValid(i) {
				return outOfRange(i, fmt.Sprint(u))
			}
			out[i] = int64(u)
		}
	case *array.Decimal128: // HUGEINT, as decimal(38, 0)
		if scale := arr.DataType().(arrow.DecimalType).GetScale(); scale != 0 {
			return unexpectedArrow(a, kInt)
		}
		out := v.intsFor(n)
		for i := range out {
			x := arr.Value(i)
			hi, lo := x.HighBits(), x.LowBits()
			if (hi != 0 || lo > math.MaxInt64) && (hi != -1 || lo <= math.MaxInt64) && arr.IsValid(i) {
				return outOfRange(i, ValueText(arr, i))
			}
			out[i] = int64(lo)
		}
	default:
		return unexpectedArrow(a, kInt)
	}
	return nil
}

func outOfRange(row int, value string) error {
	return &valueError{row: row, msg: fmt.Sprintf("value %s is beyond the 64-bit integers rules compute with (cast the column to DOUBLE in SQL to compare it approximately)", value)}
}

func floatsFromArrow(a arrow.Array, v *vec, n int) error {
	switch arr := a.(type) {
	case *array.Float64:
		v.f = arr.Float64Values()
	case *array.Float32:
		toFloats(v, n, arr.Float32Values())
	// Integers too: RFM's scoring and clustering read any numeric column as numbers (FloatsInto).
	case *array.Int64:
		toFloats(v, n, arr.Int64Values())
	case *array.Int32:
		toFloats(v, n, arr.Int32Values())
	case *array.Int16:
		toFloats(v, n, arr.Int16Values())
	case *array.Int8:
		toFloats(v, n, arr.Int8Values())
	case *array.Uint64:
		toFloats(v, n, arr.Uint64Values())
	case *array.Uint32:
		toFloats(v, n, arr.Uint32Values())
	case *array.Uint16:
		toFloats(v, n, arr.Uint16Values())
	case *array.Uint8:
		toFloats(v, n, arr.Uint8Values())
	case *array.Decimal128: // every DECIMAL, whatever width DuckDB stores it in
		scale := arr.DataType().(arrow.DecimalType).GetScale()
		f := v.floatsFor(n)
		for i := range f {
			f[i] = decimalFloat(arr.Value(i), scale)
		}
	default:
		return unexpectedArrow(a, kFloat)
	}
	return nil
}

func toFloats[T int64 | int32 | int16 | int8 | uint64 | uint32 | uint16 | uint8 | float32](v *vec, n int, vals []T) {
	f := v.floatsFor(n)
	for i := range f {
		f[i] = float64(vals[i])
	}
}

// decimalFloat is the double nearest the decimal n/10^scale, as DuckDB's cast to DOUBLE gives it:
// DECIMAL(4,1) 0.3 is 0.3, so a rule's v == 0.3 holds. Multiplying by 10^-scale, as Arrow's ToFloat64
// does, gives 0.30000000000000004. An unscaled value below 2^53 and a power of ten up to 10^22 are both
// exact doubles, and one IEEE division of exact operands is correctly rounded (Clinger's fast path);
// other values go through strconv.
func decimalFloat(n decimal128.Num, scale int32) float64 {
	hi, lo := n.HighBits(), n.LowBits()
	if scale >= 0 && scale <= 22 && (hi == 0 && lo <= 1<<53 || hi == -1 && int64(lo) >= -(1<<53)) {
		return float64(int64(lo)) / exactPow10[scale]
	}
	f, _ := strconv.ParseFloat(n.ToString(scale), 64)
	return f
}

var exactPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

func stringsFromArrow(a arrow.Array, v *vec, n int) error {
	if cap(v.s) < n {
		v.s = make([]string, n)
	}
	v.s = v.s[:n]
	switch arr := a.(type) {
	case *array.String:
		for i := range v.s {
			v.s[i] = arr.Value(i) // a view into Arrow's buffer: no copy
		}
	case *array.LargeString:
		for i := range v.s {
			v.s[i] = arr.Value(i)
		}
	case *array.Dictionary: // an ENUM
		_, names, ok := Enum(arr)
		if !ok {
			return unexpectedArrow(a, kStr)
		}
		for i := range v.s {
			if arr.IsValid(i) {
				v.s[i] = names.Value(arr.GetValueIndex(i))
			} else {
				v.s[i] = ""
			}
		}
	default:
		return unexpectedArrow(a, kStr)
	}
	return nil
}

// timesFromArrow loads dates and timestamps as unix microseconds. DuckDB's infinities (the extreme values
// of each type) stay extreme, so they order after or before every instant; any other value beyond the
// microseconds an int64 holds (about ±292,000 years) fails the run.
func timesFromArrow(a arrow.Array, v *vec, n int) error {
	switch arr := a.(type) {
	case *array.Date32:
		return scaleTimes(a, v, n, func(i int) int64 { return int64(arr.Value(i)) }, math.MaxInt32, 86_400_000_000)
	case *array.Timestamp:
		at := func(i int) int64 { return int64(arr.Value(i)) }
		switch arr.DataType().(*arrow.TimestampType).Unit {
		case arrow.Second:
			return scaleTimes(a, v, n, at, math.MaxInt64, 1_000_000)
		case arrow.Millisecond:
			return scaleTimes(a, v, n, at, math.MaxInt64, 1_000)
		case arrow.Microsecond:
			copyInts(v, n, at)
		case arrow.Nanosecond:
			copyInts(v, n, func(i int) int64 { return at(i) / 1_000 })
		}
		return nil
	}
	return unexpectedArrow(a, kTime)
}

// scaleTimes multiplies each value by mult to microseconds; ±inf (DuckDB's infinity) maps to ±MaxInt64.
func scaleTimes(a arrow.Array, v *vec, n int, at func(int) int64, inf, mult int64) error {
	out := v.intsFor(n)
	for i := range out {
		x := at(i)
		switch {
		case x == inf || x == -inf:
			out[i] = x / inf * math.MaxInt64
		case x > math.MaxInt64/mult || x < -math.MaxInt64/mult:
			if a.IsValid(i) {
				return &valueError{row: i, msg: fmt.Sprintf("value %s is beyond the instants rules compare (about 292,000 years either side of 1970)", a.ValueStr(i))}
			}
		default:
			out[i] = x * mult
		}
	}
	return nil
}

func copyInts(v *vec, n int, at func(int) int64) {
	out := v.intsFor(n)
	for i := range out {
		out[i] = at(i)
	}
}

// ValueText is row i of a as a message shows it: decimals in full (Arrow's ValueStr gives a
// HUGEINT as 1.7e+38).
func ValueText(a arrow.Array, i int) string {
	if d, ok := a.(*array.Decimal128); ok && d.IsValid(i) {
		return d.Value(i).ToString(d.DataType().(arrow.DecimalType).GetScale())
	}
	return a.ValueStr(i)
}

// Enum is a as DuckDB hands an ENUM to Arrow: a dictionary of strings, and its indices.
func Enum(a arrow.Array) (*array.Dictionary, *array.String, bool) {
	d, ok := a.(*array.Dictionary)
	if !ok {
		return nil, nil, false
	}
	names, ok := d.Dictionary().(*array.String)
	return d, names, ok
}

// FloatsInto reads a numeric Arrow column into out as float64, NaN for NULL: the form algorithms takes.
func FloatsInto(a arrow.Array, out []float64) error {
	v := &vec{}
	nulls, err := fromArrow(a, kFloat, v, nil)
	if err != nil {
		return err
	}
	out = out[:a.Len()]
	switch {
	case v.f != nil && len(v.f) == a.Len():
		copy(out, v.f)
	case v.i != nil:
		for i, x := range v.i[:a.Len()] {
			out[i] = float64(x)
		}
	default:
		return fmt.Errorf("column %s is not numeric", a.DataType())
	}
	for i, isNull := range nulls {
		if isNull {
			out[i] = math.NaN()
		}
	}
	return nil
}
