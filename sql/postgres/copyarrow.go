package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// BatchRows is how many rows each record batch PullArrow returns holds (the last one fewer).
const BatchRows = 64 * 1024

// PullArrow runs query on the server and returns its rows as Arrow record batches: the server writes
// them in COPY's binary format (COPY (query) TO STDOUT (FORMAT binary), no text rendering or parsing on
// either side), decoded here as they arrive into batches of BatchRows rows. The columns' types come from
// the statement's description first (PREPARE, nothing run), so a column of a type it cannot decode fails
// before any row moves, naming the column and the CAST to write. Types (PostgreSQL -> Arrow): bigint ->
// int64, integer -> int32, smallint -> int16, double precision -> float64, real -> float32, text, varchar,
// char and name -> utf8, boolean -> bool, date -> date32, timestamp -> timestamp[us],
// timestamptz -> timestamp[us, UTC]; NULL is null in each.
//
// The batches are held in memory until the COPY ends, then handed over (the connection is free again when
// PullArrow returns): it is for what segrun pulls on purpose (a clustering sample, summaries), not for
// moving a table; the caller releases the reader.
func (d *DB) PullArrow(ctx context.Context, query string) (array.RecordReader, error) {
	var rr array.RecordReader
	err := d.raw(func(c *pgx.Conn) error {
		r, tag, err := pullArrow(ctx, c, query)
		if err != nil {
			return err
		}
		d.meter.copiedOut(tag)
		rr = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rr, nil
}

// PullArrowConn is PullArrow on a connection of pgx's own (the PostgreSQL store's, which pulls a version's
// rows for an export or a destination the same way).
func PullArrowConn(ctx context.Context, c *pgx.Conn, query string) (array.RecordReader, error) {
	rr, _, err := pullArrow(ctx, c, query)
	return rr, err
}

// pullArrow is the COPY both read through, with its command tag (the rows it sent, which the engine's
// traffic meter counts).
func pullArrow(ctx context.Context, c *pgx.Conn, query string) (array.RecordReader, pgconn.CommandTag, error) {
	var none pgconn.CommandTag
	sd, err := c.Prepare(ctx, "", query)
	if err != nil {
		return nil, none, mapError(err, query)
	}
	dec, err := newCopyDecoder(sd.Fields)
	if err != nil {
		return nil, none, err
	}
	defer dec.release()
	copySQL := "COPY (" + query + ") TO STDOUT (FORMAT binary)"
	tag, err := c.PgConn().CopyTo(ctx, dec, copySQL)
	if err != nil {
		return nil, none, relocate(mapError(err, copySQL), len("COPY ("))
	}
	if dec.err != nil {
		return nil, none, dec.err
	}
	if err := dec.finish(); err != nil {
		return nil, none, err
	}
	rr, err := array.NewRecordReader(dec.schema, dec.batches)
	if err != nil {
		return nil, none, err
	}
	for _, b := range dec.batches {
		b.Release() // the reader holds its own reference
	}
	dec.batches = nil
	return rr, tag, nil
}

// pgEpoch is 2000-01-01, where PostgreSQL's binary dates and timestamps count from, in Unix days.
const pgEpochDays = 10957

// copyDecoder is an io.Writer that parses COPY's binary format as the server streams it (any chunking)
// into Arrow builders, a record batch every BatchRows rows.
type copyDecoder struct {
	schema  *arrow.Schema
	oids    []uint32
	b       *array.RecordBuilder
	rows    int
	batches []arrow.RecordBatch
	buf     []byte
	header  bool // the file header was read
	done    bool // the trailer was read
	err     error
}

var copySignature = []byte("PGCOPY\n\xff\r\n\x00")

func newCopyDecoder(fields []pgconn.FieldDescription) (*copyDecoder, error) {
	arrowFields := make([]arrow.Field, len(fields))
	oids := make([]uint32, len(fields))
	for i, f := range fields {
		var t arrow.DataType
		switch f.DataTypeOID {
		case oidInt8:
			t = arrow.PrimitiveTypes.Int64
		case oidInt4:
			t = arrow.PrimitiveTypes.Int32
		case oidInt2:
			t = arrow.PrimitiveTypes.Int16
		case oidFloat8:
			t = arrow.PrimitiveTypes.Float64
		case oidFloat4:
			t = arrow.PrimitiveTypes.Float32
		case oidText, oidVarchar, oidBPChar, oidName:
			t = arrow.BinaryTypes.String
		case oidBool:
			t = arrow.FixedWidthTypes.Boolean
		case oidDate:
			t = arrow.FixedWidthTypes.Date32
		case oidTimestamp:
			t = &arrow.TimestampType{Unit: arrow.Microsecond}
		case oidTimestamptz:
			t = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
		default:
			name, ok := DuckName(f.DataTypeOID, f.TypeModifier)
			if !ok {
				name = fmt.Sprintf("type OID %d", f.DataTypeOID)
			}
			return nil, fmt.Errorf("column %s is %s, which the binary COPY pull does not decode: cast it in the query (CAST(%s AS double precision), or AS text)", f.Name, name, f.Name)
		}
		arrowFields[i] = arrow.Field{Name: f.Name, Type: t, Nullable: true}
		oids[i] = f.DataTypeOID
	}
	schema := arrow.NewSchema(arrowFields, nil)
	return &copyDecoder{schema: schema, oids: oids, b: array.NewRecordBuilder(memory.DefaultAllocator, schema)}, nil
}

// Write takes the next chunk of the stream. After a decoding error (kept in d.err) the rest of the
// stream is read and dropped: failing the Write would make pgx close the connection, and with it the
// run's session (its schema's lock, its search_path).
func (d *copyDecoder) Write(p []byte) (int, error) {
	if d.err != nil {
		return len(p), nil
	}
	d.buf = append(d.buf, p...)
	consumed, err := d.parse(d.buf)
	d.buf = d.buf[:copy(d.buf, d.buf[consumed:])]
	if err != nil {
		d.err = err
		d.buf = nil
	}
	return len(p), nil
}

// parse decodes the complete tuples at the start of buf and returns how many bytes they took.
func (d *copyDecoder) parse(buf []byte) (int, error) {
	off := 0
	if !d.header {
		if len(buf) < len(copySignature)+8 {
			return 0, nil
		}
		if !bytes.Equal(buf[:len(copySignature)], copySignature) {
			return 0, fmt.Errorf("binary COPY: the stream does not start with PGCOPY's signature")
		}
		ext := int(binary.BigEndian.Uint32(buf[len(copySignature)+4:]))
		if len(buf) < len(copySignature)+8+ext {
			return 0, nil
		}
		off = len(copySignature) + 8 + ext
		d.header = true
	}
	for !d.done {
		n, ok, err := d.tuple(buf[off:])
		if err != nil || !ok {
			return off, err
		}
		off += n
	}
	return off, nil
}

// tuple decodes one tuple (or the trailer) if buf holds all of it.
func (d *copyDecoder) tuple(buf []byte) (n int, ok bool, err error) {
	if len(buf) < 2 {
		return 0, false, nil
	}
	count := int16(binary.BigEndian.Uint16(buf))
	if count == -1 {
		d.done = true
		return 2, true, nil
	}
	if int(count) != len(d.oids) {
		return 0, false, fmt.Errorf("binary COPY: a tuple of %d fields, the query has %d columns", count, len(d.oids))
	}
	// Check the whole tuple is here before appending any of it.
	off := 2
	for range d.oids {
		if len(buf) < off+4 {
			return 0, false, nil
		}
		l := int32(binary.BigEndian.Uint32(buf[off:]))
		off += 4
		if l > 0 {
			off += int(l)
		}
	}
	if len(buf) < off {
		return 0, false, nil
	}
	off = 2
	for i, oid := range d.oids {
		l := int32(binary.BigEndian.Uint32(buf[off:]))
		off += 4
		if l < 0 {
			d.b.Field(i).AppendNull()
			continue
		}
		v := buf[off : off+int(l)]
		off += int(l)
		if err := d.appendValue(i, oid, v); err != nil {
			return 0, false, err
		}
	}
	d.rows++
	if d.rows == BatchRows {
		d.flush()
	}
	return off, true, nil
}

// fixedWidths are the byte lengths of the fixed-width types' binary values.
var fixedWidths = map[uint32]int{oidInt8: 8, oidInt4: 4, oidInt2: 2, oidFloat8: 8, oidFloat4: 4, oidBool: 1, oidDate: 4, oidTimestamp: 8, oidTimestamptz: 8}

func (d *copyDecoder) appendValue(i int, oid uint32, v []byte) error {
	if w, fixed := fixedWidths[oid]; fixed && len(v) != w {
		return fmt.Errorf("binary COPY: column %s: a value of %d bytes, its type has %d", d.schema.Field(i).Name, len(v), w)
	}
	switch b := d.b.Field(i).(type) {
	case *array.Int64Builder:
		b.Append(int64(binary.BigEndian.Uint64(v)))
	case *array.Int32Builder:
		b.Append(int32(binary.BigEndian.Uint32(v)))
	case *array.Int16Builder:
		b.Append(int16(binary.BigEndian.Uint16(v)))
	case *array.Float64Builder:
		b.Append(math.Float64frombits(binary.BigEndian.Uint64(v)))
	case *array.Float32Builder:
		b.Append(math.Float32frombits(binary.BigEndian.Uint32(v)))
	case *array.StringBuilder:
		b.BinaryBuilder.Append(v)
	case *array.BooleanBuilder:
		b.Append(v[0] != 0)
	case *array.Date32Builder:
		days := int32(binary.BigEndian.Uint32(v))
		if days == math.MaxInt32 || days == math.MinInt32 {
			return fmt.Errorf("binary COPY: column %s holds an infinite date, which Arrow has no value for", d.schema.Field(i).Name)
		}
		b.Append(arrow.Date32(days + pgEpochDays))
	case *array.TimestampBuilder:
		us := int64(binary.BigEndian.Uint64(v))
		if us == math.MaxInt64 || us == math.MinInt64 {
			return fmt.Errorf("binary COPY: column %s holds an infinite timestamp, which Arrow has no value for", d.schema.Field(i).Name)
		}
		b.Append(arrow.Timestamp(us + pgEpochDays*86400*1_000_000))
	default:
		return fmt.Errorf("binary COPY: column %s: no decoder for %T", d.schema.Field(i).Name, b)
	}
	return nil
}

func (d *copyDecoder) flush() {
	d.batches = append(d.batches, d.b.NewRecordBatch())
	d.rows = 0
}

// finish checks the stream ended with its trailer and closes the last batch.
func (d *copyDecoder) finish() error {
	if !d.done || len(d.buf) != 0 {
		return fmt.Errorf("binary COPY: the stream ended without its trailer")
	}
	if d.rows > 0 {
		d.flush()
	}
	return nil
}

func (d *copyDecoder) release() {
	for _, b := range d.batches {
		b.Release()
	}
	d.b.Release()
}
