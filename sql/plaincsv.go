package sql

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/segrun/segrun/internal/panics"
)

// PlainCSV is segrun's own reader for the simplest and most common CSV files: one delimiter, no quoting, no
// blank lines, and values written the one plain way (-12, 3.5, 2024-01-31, 2024-01-31 13:05:00). On the
// benchmark's 373 MB of orders DuckDB's reader spends about 2.6 CPU-seconds parsing; this one spends a
// fraction of that and hands DuckDB typed Arrow batches, so DuckDB's threads go to the query.
//
// Lines end the one way the dialect says: "\n", or "\r\n" (Windows, Excel exports) when DuckDB's sniffer
// found that. It never decides what a value means where DuckDB could differ: anything outside the plain
// subset (a quote, a carriage return that does not end a line, a space before a number, an exponent in an
// integer, a date DuckDB would have to guess about, a field too many) stops it with ErrNotPlain, and the
// caller reads the files with DuckDB instead, which then parses and reports everything as it always does.
// TestPlainCSVMatchesDuckDB holds every value it does produce to DuckDB's own.
type PlainCSV struct {
	Columns []Column
	Delim   byte
	Header  bool
	// CRLF says lines end with "\r\n"; then every line must, as DuckDB's strict mode requires.
	CRLF bool
	// NotNull are columns whose empty field DuckDB rejects (force_not_null): such a field stops the reader.
	NotNull map[string]bool
}

// plainOptions are the pinned read_csv options PlainCSV understands; any other option leaves a read to
// DuckDB.
var plainOptions = []string{"auto_detect", "columns", "comment", "delim", "escape", "header", "new_line", "quote", "skip",
	"force_not_null", "store_rejects", "rejects_table", "rejects_scan", "dateformat"}

// isoDateFormat is the date format DuckDB's sniffer pins for dates written YYYY-MM-DD, the only dates the
// plain reader parses (scanDate); any other format leaves the read to DuckDB.
const isoDateFormat = "%Y-%m-%d"

// PlainCSVFor returns the plain reader of a CSV read with pinned options (SniffCSV), or why there is none.
func PlainCSVFor(paths []string, options map[string]any) (*PlainCSV, string) {
	for _, p := range paths {
		if strings.ContainsAny(p, "*?[") || compressed(p) || strings.Contains(p, "://") {
			return nil, "not a plain local file: " + p
		}
	}
	for k := range options {
		if !slices.Contains(plainOptions, k) {
			return nil, "option " + k
		}
	}
	str := func(k string) string { s, _ := options[k].(string); return s }
	if options["auto_detect"] != false {
		return nil, "dialect not pinned"
	}
	delim := str("delim")
	// The delimiters DuckDB's sniffer tries; none can be part of a plain value, which the parsers rely on
	// (a date is its first ten bytes, whatever follows).
	if len(delim) != 1 || !strings.Contains(",|;\t", delim) {
		return nil, "delimiter " + strconv.Quote(delim)
	}
	if q := str("quote"); q != "" && q != `"` {
		return nil, "quote " + strconv.Quote(q)
	}
	if str("comment") != "" || str("new_line") != `\n` && str("new_line") != `\r\n` {
		return nil, "comment or line ending"
	}
	if f, ok := options["dateformat"]; ok && f != isoDateFormat {
		return nil, "date format " + fmt.Sprint(f)
	}
	if skip, ok := options["skip"]; ok && fmt.Sprint(skip) != "0" {
		return nil, "skip"
	}
	header, _ := options["header"].(bool)
	cols, _ := options["columns"].([]Column)
	if len(cols) == 0 {
		return nil, "no columns"
	}
	for _, c := range cols {
		if _, ok := plainType(c.Type); !ok {
			return nil, "column " + c.Name + " of type " + c.Type
		}
	}
	p := &PlainCSV{Columns: cols, Delim: delim[0], Header: header, CRLF: str("new_line") == `\r\n`, NotNull: map[string]bool{}}
	if list, ok := options["force_not_null"].([]any); ok {
		for _, n := range list {
			s, _ := n.(string)
			p.NotNull[s] = true
		}
	} else if _, ok := options["force_not_null"]; ok {
		return nil, "force_not_null"
	}
	return p, ""
}

// compressed says DuckDB would decompress the file (it goes by the extension).
func compressed(path string) bool {
	p := strings.ToLower(path)
	for _, ext := range []string{".gz", ".gzip", ".zst", ".zstd", ".bz2", ".xz", ".lz4", ".snappy", ".br", ".zip"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

// plainKind is how a column's fields are parsed.
type plainKind int

const (
	kindBigint plainKind = iota
	kindInteger
	kindDouble
	kindDecimal
	kindDate
	kindTimestamp
	kindVarchar
)

type plainColumn struct {
	kind      plainKind
	precision int // DECIMAL
	scale     int
	notNull   bool
}

func plainType(t string) (plainColumn, bool) {
	switch u := strings.ToUpper(t); u {
	case "BIGINT":
		return plainColumn{kind: kindBigint}, true
	case "INTEGER":
		return plainColumn{kind: kindInteger}, true
	case "DOUBLE":
		return plainColumn{kind: kindDouble}, true
	case "DATE":
		return plainColumn{kind: kindDate}, true
	case "TIMESTAMP":
		return plainColumn{kind: kindTimestamp}, true
	case "VARCHAR":
		return plainColumn{kind: kindVarchar}, true
	default:
		var p, s int
		if n, err := fmt.Sscanf(u, "DECIMAL(%d,%d)", &p, &s); err == nil && n == 2 && u == fmt.Sprintf("DECIMAL(%d,%d)", p, s) &&
			p >= 1 && p <= 18 && s >= 0 && s <= p {
			return plainColumn{kind: kindDecimal, precision: p, scale: s}, true
		}
	}
	return plainColumn{}, false
}

func (c plainColumn) arrowType() arrow.DataType {
	switch c.kind {
	case kindBigint:
		return arrow.PrimitiveTypes.Int64
	case kindInteger:
		return arrow.PrimitiveTypes.Int32
	case kindDouble:
		return arrow.PrimitiveTypes.Float64
	case kindDecimal:
		return &arrow.Decimal128Type{Precision: int32(c.precision), Scale: int32(c.scale)}
	case kindDate:
		return arrow.FixedWidthTypes.Date32
	case kindTimestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond}
	}
	return arrow.BinaryTypes.String
}

// ErrNotPlain says a file holds something PlainCSV leaves to DuckDB.
var ErrNotPlain = errors.New("not plain CSV")

type notPlain struct {
	file   string
	offset int64
	reason string
}

func (e *notPlain) Error() string {
	return fmt.Sprintf("%s near byte %d: %s (%v)", e.file, e.offset, e.reason, ErrNotPlain)
}
func (e *notPlain) Unwrap() error { return ErrNotPlain }

// chunkBytes is how much of a file one batch parses: large enough that per-batch costs vanish, small
// enough that the batches in flight hold little memory.
const chunkBytes = 1 << 20

// Reader returns an Arrow record reader over files, parsed by workers goroutines, batches in file order.
// Parsing starts with the first call to Next. Release it when done; it stops its goroutines.
func (p *PlainCSV) Reader(files []string, workers int) *PlainCSVReader {
	fields := make([]arrow.Field, len(p.Columns))
	cols := make([]plainColumn, len(p.Columns))
	for i, c := range p.Columns {
		cols[i], _ = plainType(c.Type)
		cols[i].notNull = p.NotNull[c.Name]
		fields[i] = arrow.Field{Name: c.Name, Type: cols[i].arrowType(), Nullable: true}
	}
	return &PlainCSVReader{p: p, cols: cols, schema: arrow.NewSchema(fields, nil), files: files, refs: 1, workers: max(workers, 1),
		stop: make(chan struct{}), pending: make(chan chan parsed, max(workers, 1))}
}

// start sets the goroutines going: one splitting the files into chunks, workers parsing them.
func (r *PlainCSVReader) start() {
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range r.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				rec, rows, err := r.parseSafely(j)
				r.free(j.buf)
				j.out <- parsed{rec: rec, rows: rows, err: err}
			}
		}()
	}
	go func() {
		defer close(r.pending)
		defer wg.Wait()
		defer close(jobs)
		r.split(jobs)
	}()
}

// PlainCSVReader is the array.RecordReader a PlainCSV hands DuckDB.
type PlainCSVReader struct {
	p       *PlainCSV
	cols    []plainColumn
	schema  *arrow.Schema
	files   []string
	workers int
	started sync.Once
	refs    int64
	stop    chan struct{}
	stopped sync.Once
	pending chan chan parsed
	buffers sync.Pool

	cur  arrow.RecordBatch
	err  error
	rows int64
	done atomic.Bool
}

type job struct {
	file   string
	offset int64
	buf    []byte
	header bool // buf starts with the file's header line
	out    chan parsed
}

type parsed struct {
	rec  arrow.RecordBatch
	rows int64
	err  error
}

func (r *PlainCSVReader) Schema() *arrow.Schema { return r.schema }
func (r *PlainCSVReader) Retain()               { atomic.AddInt64(&r.refs, 1) }
func (r *PlainCSVReader) Release() {
	if atomic.AddInt64(&r.refs, -1) == 0 {
		r.Close()
	}
}

// Close stops the reader's goroutines; batches already handed out stay valid.
func (r *PlainCSVReader) Close() {
	r.stopped.Do(func() { close(r.stop) })
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

func (r *PlainCSVReader) Record() arrow.RecordBatch      { return r.cur }
func (r *PlainCSVReader) RecordBatch() arrow.RecordBatch { return r.cur }
func (r *PlainCSVReader) Err() error                     { return r.err }

// Rows is the number of rows read so far; Complete says every file was read to its end without a problem.
func (r *PlainCSVReader) Rows() int64    { return r.rows }
func (r *PlainCSVReader) Complete() bool { return r.done.Load() }

// Next waits for the next batch in file order.
func (r *PlainCSVReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.err != nil {
		return false
	}
	r.started.Do(r.start)
	for {
		out, ok := <-r.pending
		if !ok {
			select {
			case <-r.stop:
				r.err = errors.New("plain CSV reader closed")
			default:
				r.done.Store(true)
				go releaseBuffers()
			}
			return false
		}
		res := <-out
		if res.err != nil {
			r.err = res.err
			r.Close()
			return false
		}
		r.rows += res.rows
		if res.rows == 0 {
			continue
		}
		r.cur = res.rec
		return true
	}
}

// releaseBuffers hands the memory of a finished read back to the system. Its chunks and batches are
// garbage once the consumer has the last batch, but Go would keep them resident (about 20 MB of heap) until
// its scavenger got to them, and the consumer's next phase is often its peak: an aggregate that has seen
// every row and now finalizes. The first collection moves the buffer pool to its victim cache, the second
// (in FreeOSMemory) frees it and returns the pages.
func releaseBuffers() {
	runtime.GC()
	debug.FreeOSMemory()
}

func (r *PlainCSVReader) buffer() []byte {
	if b, ok := r.buffers.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, chunkBytes+64<<10)
}

func (r *PlainCSVReader) free(b []byte) { r.buffers.Put(&b) }

// split reads the files in chunks that end at a line end and queues them, in order, for the workers.
func (r *PlainCSVReader) split(jobs chan<- job) {
	send := func(j job) bool {
		j.out = make(chan parsed, 1)
		select {
		case r.pending <- j.out:
		case <-r.stop:
			return false
		}
		select {
		case jobs <- j:
			return true
		case <-r.stop:
			return false
		}
	}
	fail := func(err error) {
		out := make(chan parsed, 1)
		out <- parsed{err: err}
		select {
		case r.pending <- out:
		case <-r.stop:
		}
	}
	// split runs on its own goroutine: a panic here becomes the reader's error instead of ending the process.
	defer func() {
		if rec := recover(); rec != nil {
			fail(fmt.Errorf("internal error (a bug in segrun): panic: %s", panics.Describe(rec)))
		}
	}()
	for _, file := range r.files {
		f, err := os.Open(file)
		if err != nil {
			fail(err)
			return
		}
		var carry []byte
		var offset int64
		first := true
		for {
			buf := append(r.buffer(), carry...)
			n, err := io.ReadFull(f, buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			eof := err == io.EOF || err == io.ErrUnexpectedEOF
			if err != nil && !eof {
				f.Close()
				fail(err)
				return
			}
			end := len(buf)
			carry = carry[:0]
			if !eof {
				nl := bytes.LastIndexByte(buf, '\n')
				if nl < 0 {
					f.Close()
					fail(&notPlain{file, offset, "a line longer than the read buffer"})
					return
				}
				end = nl + 1
				carry = append(carry, buf[end:]...)
			}
			if !send(job{file: file, offset: offset, buf: buf[:end], header: first && r.p.Header}) {
				f.Close()
				return
			}
			offset += int64(end)
			first = false
			if eof {
				break
			}
		}
		f.Close()
	}
}

// columnBuilder collects one column of a batch in plain Go slices, which become Arrow buffers without a
// copy.
type columnBuilder struct {
	ints    []int64
	ints32  []int32
	floats  []float64
	decs    []uint64 // DECIMAL as 128-bit little-endian pairs
	offsets []int32
	data    []byte
	valid   []byte // nil until a NULL is met
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// parseSafely is parse with a panic turned into the chunk's error: it runs on a worker goroutine, where a
// panic would end the whole process.
func (r *PlainCSVReader) parseSafely(j job) (rec arrow.RecordBatch, rows int64, err error) {
	defer panics.ToError(&err)
	return r.parse(j)
}

func (r *PlainCSVReader) parse(j job) (arrow.RecordBatch, int64, error) {
	buf := j.buf
	bad := func(at int, reason string) error {
		return &notPlain{j.file, j.offset + int64(at), reason}
	}
	pos := 0
	if j.offset == 0 && bytes.HasPrefix(buf, utf8BOM) {
		pos = len(utf8BOM) // DuckDB skips a byte order mark, as Excel writes one
	}
	if j.header {
		nl := bytes.IndexByte(buf[pos:], '\n')
		line := buf[pos:]
		if nl >= 0 {
			line = line[:nl]
		}
		next := len(line) + 1
		if r.p.CRLF {
			if !bytes.HasSuffix(line, []byte{'\r'}) {
				return nil, 0, bad(0, "a line that does not end with a carriage return and a line feed")
			}
			line = line[:len(line)-1]
		}
		names := make([]string, len(r.p.Columns))
		for i, c := range r.p.Columns {
			names[i] = c.Name
		}
		if string(line) != strings.Join(names, string(r.p.Delim)) {
			return nil, 0, bad(0, "the header is not the column names as written")
		}
		pos += next
	}
	if pos >= len(buf) {
		return nil, 0, nil
	}
	body := buf[pos:]
	n := bytes.Count(body, []byte{'\n'})
	if body[len(body)-1] != '\n' {
		n++
	}
	if bytes.IndexByte(body, '"') >= 0 {
		return nil, 0, bad(pos, "a quote")
	}
	// eol is the byte that ends a line's last field: '\n', or with CRLF the '\r' that must come before it.
	// Without CRLF a carriage return anywhere gives way; with it, one that is not followed by '\n' does (a
	// field stops at it and the line then does not end as it must), and so does a line feed without one.
	eol := byte('\n')
	if r.p.CRLF {
		eol = '\r'
	} else if bytes.IndexByte(body, '\r') >= 0 {
		return nil, 0, bad(pos, "a carriage return")
	}
	builders := make([]columnBuilder, len(r.cols))
	for i, c := range r.cols {
		b := &builders[i]
		switch c.kind {
		case kindBigint, kindTimestamp:
			b.ints = make([]int64, n)
		case kindInteger, kindDate:
			b.ints32 = make([]int32, n)
		case kindDouble:
			b.floats = make([]float64, n)
		case kindDecimal:
			b.decs = make([]uint64, 2*n)
		case kindVarchar:
			b.offsets = make([]int32, n+1)
			b.data = make([]byte, 0, len(body)/len(r.cols))
		}
	}
	delim := r.p.Delim
	cols := r.cols
	last := len(cols) - 1
	i := 0
	for row := 0; i < len(body); row++ {
		lineStart := i
		if body[i] == '\n' || body[i] == eol {
			return nil, 0, bad(pos+i, "a blank line")
		}
		for c := range cols {
			col, b := &cols[c], &builders[c]
			var j int
			var why string
			// The common fields are parsed here, in the row loop; empty fields, the other types and every
			// failure go through scan.
			switch {
			case i == len(body) || body[i] == delim || body[i] == eol:
				j, why = col.scan(b, row, n, body, i, delim, eol)
			case col.kind == kindBigint:
				v, k, ok := scanInt(body, i)
				if j = k; ok {
					b.ints[row] = v
				} else {
					j, why = col.scan(b, row, n, body, i, delim, eol)
				}
			case col.kind == kindDouble:
				v, k, ok := scanFloat(body, i)
				if j = k; ok {
					b.floats[row] = v
				} else {
					j, why = col.scan(b, row, n, body, i, delim, eol)
				}
			case col.kind == kindTimestamp:
				v, k, ok := scanTimestamp(body, i)
				if j = k; ok {
					b.ints[row] = v
				} else {
					j, why = col.scan(b, row, n, body, i, delim, eol)
				}
			default:
				j, why = col.scan(b, row, n, body, i, delim, eol)
			}
			if why == "" && c < last && j < len(body) && body[j] == delim {
				i = j + 1
				continue
			}
			next := j + 1
			if why == "" {
				switch {
				case j < len(body) && body[j] == delim:
					if c == last {
						why = "too many fields"
					}
				case j == len(body) || body[j] == eol:
					if c < last {
						why = "too few fields"
					} else if eol == '\r' && j < len(body) { // a last line may end without a line end
						if j+1 < len(body) && body[j+1] == '\n' {
							next = j + 2
						} else {
							why = "a carriage return without a line feed"
						}
					}
				default:
					why = "not plain"
				}
			}
			if why != "" {
				fieldEnd := j
				for fieldEnd < len(body) && body[fieldEnd] != delim && body[fieldEnd] != '\n' && body[fieldEnd] != '\r' {
					fieldEnd++
				}
				return nil, 0, bad(pos+lineStart, fmt.Sprintf("column %s: %s: %q", r.p.Columns[c].Name, why, body[i:fieldEnd]))
			}
			i = next
		}
	}
	arrays := make([]arrow.Array, len(r.cols))
	for i, c := range r.cols {
		arrays[i] = builders[i].array(c, r.schema.Field(i).Type, n)
	}
	rec := array.NewRecordBatch(r.schema, arrays, int64(n))
	for _, a := range arrays {
		a.Release()
	}
	return rec, int64(n), nil
}

// scan parses the field that starts at b[at] into row i of col, stopping at the first byte that cannot
// continue it, and returns where it stopped, or why the field is not plain.
func (c *plainColumn) scan(col *columnBuilder, i, n int, b []byte, at int, delim, eol byte) (int, string) {
	if at == len(b) || b[at] == delim || b[at] == eol {
		if c.notNull {
			return at, "empty in a not_null column"
		}
		if col.valid == nil {
			col.valid = make([]byte, (n+7)/8)
			for k := range col.valid {
				col.valid[k] = 0xff
			}
		}
		col.valid[i/8] &^= 1 << (i % 8)
		if c.kind == kindVarchar {
			col.offsets[i+1] = int32(len(col.data))
		}
		return at, ""
	}
	switch c.kind {
	case kindBigint:
		v, j, ok := scanInt(b, at)
		if !ok {
			return j, "not a plain BIGINT"
		}
		col.ints[i] = v
		return j, ""
	case kindInteger:
		v, j, ok := scanInt(b, at)
		if !ok || v != int64(int32(v)) {
			return j, "not a plain INTEGER"
		}
		col.ints32[i] = int32(v)
		return j, ""
	case kindDouble:
		v, j, ok := scanFloat(b, at)
		if !ok {
			return j, "not a plain DOUBLE"
		}
		col.floats[i] = v
		return j, ""
	case kindDecimal:
		v, j, ok := scanDecimal(b, at, c.precision, c.scale)
		if !ok {
			return j, "not a plain decimal that fits"
		}
		col.decs[2*i], col.decs[2*i+1] = uint64(v), uint64(v>>63)
		return j, ""
	case kindDate:
		d, ok := scanDate(b, at)
		if !ok {
			return at, "not a plain date"
		}
		col.ints32[i] = int32(d)
		return at + 10, ""
	case kindTimestamp:
		t, j, ok := scanTimestamp(b, at)
		if !ok {
			return j, "not a plain timestamp"
		}
		col.ints[i] = t
		return j, ""
	}
	j := at
	for j < len(b) && b[j] != delim && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	if !utf8.Valid(b[at:j]) {
		return j, "not UTF-8"
	}
	col.data = append(col.data, b[at:j]...)
	col.offsets[i+1] = int32(len(col.data))
	return j, ""
}

func (b *columnBuilder) array(c plainColumn, t arrow.DataType, n int) arrow.Array {
	var valid *memory.Buffer
	nulls := 0
	if b.valid != nil {
		valid = memory.NewBufferBytes(b.valid)
		for i := range n {
			if b.valid[i/8]&(1<<(i%8)) == 0 {
				nulls++
			}
		}
	}
	var buffers []*memory.Buffer
	switch c.kind {
	case kindBigint, kindTimestamp:
		buffers = []*memory.Buffer{valid, memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(b.ints))}
	case kindInteger, kindDate:
		buffers = []*memory.Buffer{valid, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(b.ints32))}
	case kindDouble:
		buffers = []*memory.Buffer{valid, memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(b.floats))}
	case kindDecimal:
		buffers = []*memory.Buffer{valid, memory.NewBufferBytes(arrow.Uint64Traits.CastToBytes(b.decs))}
	case kindVarchar:
		buffers = []*memory.Buffer{valid, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(b.offsets)), memory.NewBufferBytes(b.data)}
	}
	data := array.NewData(t, n, buffers, nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}
