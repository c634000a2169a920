package sql

import "strconv"

// The plain reader's value parsers. Each reads one field at b[at:], stopping at the first byte that
// cannot continue it, and accepts only the one plain way of writing a value, the one DuckDB is sure to read
// the same (TestPlainValuesMatchDuckDB).

// scanInt parses -?[0-9]+ at b[at:] without overflow.
func scanInt(b []byte, at int) (int64, int, bool) {
	j := at
	neg := b[j] == '-'
	if neg {
		j++
	}
	s := j
	v, j := digitRun(b, j, 0)
	if j == s || j-s > 19 {
		return 0, j, false
	}
	if neg {
		if v > 1<<63 {
			return 0, j, false
		}
		return -int64(v), j, true
	}
	if v > 1<<63-1 {
		return 0, j, false
	}
	return int64(v), j, true
}

// digitRun adds the decimal digits at b[j:] to v, and returns it and where the digits end. Past 19 digits v
// wraps; callers refuse or re-read such runs.
func digitRun(b []byte, j int, v uint64) (uint64, int) {
	for j < len(b) && b[j]-'0' <= 9 {
		v = v*10 + uint64(b[j]-'0')
		j++
	}
	return v, j
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
	1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// scanFloat parses -?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)? at b[at:], the numbers strconv and DuckDB both read as
// the correctly rounded double. Up to 15 significant digits without an exponent it divides two exact
// doubles, which IEEE rounding makes the correctly rounded result (Clinger's fast path, as strconv takes it);
// anything else goes to strconv.
func scanFloat(b []byte, at int) (float64, int, bool) {
	j := at
	neg := b[j] == '-'
	if neg {
		j++
	}
	s := j
	m, j := digitRun(b, j, 0)
	digits := j - s
	if digits == 0 {
		return 0, j, false
	}
	frac := 0
	if j < len(b) && b[j] == '.' {
		j++
		f := j
		m, j = digitRun(b, j, m)
		frac = j - f
		if frac == 0 {
			return 0, j, false
		}
		digits += frac
	}
	exact := digits <= 15
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '-' || b[j] == '+') {
			j++
		}
		e := j
		for j < len(b) && b[j]-'0' <= 9 {
			j++
		}
		if j == e {
			return 0, j, false
		}
		exact = false
	}
	if exact {
		v := float64(m) / pow10[frac]
		if neg {
			v = -v
		}
		return v, j, true
	}
	v, err := strconv.ParseFloat(string(b[at:j]), 64)
	return v, j, err == nil
}

// scanDecimal parses -?[0-9]+(\.[0-9]{1,scale})? at b[at:] into the integer of DECIMAL(precision, scale),
// refusing more fraction digits than the scale (DuckDB would round them) and integer digits beyond the
// precision.
func scanDecimal(b []byte, at int, precision, scale int) (int64, int, bool) {
	j := at
	neg := b[j] == '-'
	if neg {
		j++
	}
	for j < len(b)-1 && b[j] == '0' && b[j+1]-'0' <= 9 {
		j++ // leading zeros do not count against the precision
	}
	s := j
	u, j := digitRun(b, j, 0)
	if j == s || j-s > precision-scale && !(j-s == 1 && u == 0) {
		return 0, j, false
	}
	frac := 0
	if j < len(b) && b[j] == '.' {
		j++
		f := j
		u, j = digitRun(b, j, u)
		frac = j - f
		if frac == 0 || frac > scale {
			return 0, j, false
		}
	}
	v := int64(u) // at most 18 digits: precision is at most 18
	for range scale - frac {
		v *= 10
	}
	if neg {
		v = -v
	}
	return v, j, true
}

// scanDate parses YYYY-MM-DD (year 0001-9999) at b[at:] into days since 1970-01-01.
func scanDate(b []byte, at int) (int64, bool) {
	if len(b)-at < 10 {
		return 0, false
	}
	f := (*[10]byte)(b[at : at+10])
	y0, y1, y2, y3 := f[0]-'0', f[1]-'0', f[2]-'0', f[3]-'0'
	m0, m1, d0, d1 := f[5]-'0', f[6]-'0', f[8]-'0', f[9]-'0'
	if f[4] != '-' || f[7] != '-' || y0 > 9 || y1 > 9 || y2 > 9 || y3 > 9 || m0 > 9 || m1 > 9 || d0 > 9 || d1 > 9 {
		return 0, false
	}
	y := int64(y0)*1000 + int64(y1)*100 + int64(y2)*10 + int64(y3)
	m := int64(m0)*10 + int64(m1)
	d := int64(d0)*10 + int64(d1)
	if y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	if y >= monthTableFrom && y < monthTableFrom+monthTableYears {
		return int64(monthStarts[(y-monthTableFrom)*12+m-1]) + d - 1, true
	}
	return daysFromCivil(y, m, d), true
}

// monthStarts holds the day number of the first of each month from 1900 to 2099, the dates almost all data
// has, so a date costs a lookup instead of calendar arithmetic.
const monthTableFrom, monthTableYears = 1900, 200

var monthStarts = func() []int32 {
	t := make([]int32, monthTableYears*12)
	for i := range t {
		t[i] = int32(daysFromCivil(int64(monthTableFrom+i/12), int64(i%12+1), 1))
	}
	return t
}()

// scanTimestamp parses YYYY-MM-DD, or that and HH:MM:SS with up to six fraction digits after a space, at
// b[at:] into microseconds since 1970-01-01 00:00:00.
func scanTimestamp(b []byte, at int) (int64, int, bool) {
	days, ok := scanDate(b, at)
	if !ok {
		return 0, at, false
	}
	us := days * 86400e6
	j := at + 10
	if j == len(b) || b[j] != ' ' {
		return us, j, true
	}
	if len(b)-j < 9 {
		return 0, j, false
	}
	t := (*[9]byte)(b[j : j+9])
	h0, h1, m0, m1, s0, s1 := t[1]-'0', t[2]-'0', t[4]-'0', t[5]-'0', t[7]-'0', t[8]-'0'
	if t[3] != ':' || t[6] != ':' || h0 > 9 || h1 > 9 || m0 > 9 || m1 > 9 || s0 > 9 || s1 > 9 {
		return 0, j, false
	}
	h, m, s := int64(h0)*10+int64(h1), int64(m0)*10+int64(m1), int64(s0)*10+int64(s1)
	if h > 23 || m > 59 || s > 59 {
		return 0, j, false
	}
	us += (h*3600 + m*60 + s) * 1e6
	j += 9
	if j < len(b) && b[j] == '.' {
		j++
		f := j
		var v int64
		for j < len(b) && b[j]-'0' <= 9 {
			v = v*10 + int64(b[j]-'0')
			j++
		}
		if j == f || j-f > 6 {
			return 0, j, false
		}
		for range 6 - (j - f) {
			v *= 10
		}
		us += v
	}
	return us, j, true
}

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is Howard Hinnant's days_from_civil: the proleptic Gregorian calendar, as DuckDB uses.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
