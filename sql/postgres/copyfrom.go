package postgres

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/sql"
)

// PushArrow is PullArrow's way back: it creates table in the run's schema (UNLOGGED, replacing one of
// that name) with the reader's columns and writes its rows in COPY's binary format (COPY ... FROM STDIN
// (FORMAT binary)), encoded here batch by batch as the server reads them, no text rendering or parsing.
// It is for results segrun must compute in Go over rows it pulled on purpose (a clv segmentation's
// predictions), never for moving a table. Types (Arrow -> PostgreSQL): int64 -> bigint, int32 ->
// integer, int16 -> smallint, float64 -> double precision, utf8 -> text, bool -> boolean; null is NULL.
// It returns the bytes sent, for the caller to account for what crossed.
func (d *DB) PushArrow(ctx context.Context, table string, r array.RecordReader) (int64, error) {
	schema := r.Schema()
	cols := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		typ, ok := pushTypes[f.Type.ID()]
		if !ok {
			return 0, fmt.Errorf("binary COPY push: column %s is %s, which it does not encode", f.Name, f.Type)
		}
		cols[i] = sql.Ident(f.Name) + " " + typ
	}
	if err := d.DropTable(ctx, table); err != nil {
		return 0, err
	}
	if err := d.Exec(ctx, "CREATE UNLOGGED TABLE "+d.own(table)+" ("+strings.Join(cols, ", ")+")"); err != nil {
		return 0, err
	}
	pr, pw := io.Pipe()
	enc := &copyEncoder{w: bufio.NewWriterSize(pw, 256<<10)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.CloseWithError(enc.encode(r))
	}()
	copySQL := "COPY " + d.own(table) + " FROM STDIN (FORMAT binary)"
	err := d.raw(func(c *pgx.Conn) error {
		tag, err := c.PgConn().CopyFrom(ctx, pr, copySQL)
		if err == nil {
			d.meter.copiedIn(tag)
		}
		return err
	})
	pr.CloseWithError(io.ErrClosedPipe) // stops the encoder if the server ended the COPY early
	<-done
	if err != nil {
		if enc.err != nil {
			return 0, enc.err
		}
		return 0, mapError(err, copySQL)
	}
	return enc.bytes, nil
}

// pushTypes are the PostgreSQL types of the Arrow types PushArrow encodes.
var pushTypes = map[arrow.Type]string{
	arrow.INT64: "bigint", arrow.INT32: "integer", arrow.INT16: "smallint", arrow.FLOAT64: "double precision",
	arrow.STRING: "text", arrow.BOOL: "boolean",
}

// copyEncoder writes record batches in COPY's binary format: the signature, flags and header extension,
// then per row its field count and each field's length (-1: NULL) and big-endian bytes, then -1.
type copyEncoder struct {
	w     *bufio.Writer
	bytes int64
	err   error // an encoding error, which is the COPY's error rather than the server's
	buf   [8]byte
}

func (e *copyEncoder) encode(r array.RecordReader) error {
	e.write(copySignature)
	e.write(make([]byte, 8)) // flags, header extension length
	for r.Next() {
		rec := r.RecordBatch()
		n, width := int(rec.NumRows()), int(rec.NumCols())
		for i := range n {
			binary.BigEndian.PutUint16(e.buf[:2], uint16(width))
			e.write(e.buf[:2])
			for c := range width {
				if err := e.field(rec.Column(c), i); err != nil {
					e.err = fmt.Errorf("binary COPY push: column %s: %w", rec.Schema().Field(c).Name, err)
					return e.err
				}
			}
		}
	}
	if err := r.Err(); err != nil {
		e.err = err
		return err
	}
	binary.BigEndian.PutUint16(e.buf[:2], 0xffff)
	e.write(e.buf[:2])
	return e.w.Flush()
}

func (e *copyEncoder) write(p []byte) {
	e.w.Write(p) // a failed write is the pipe's, reported by Flush and by the COPY
	e.bytes += int64(len(p))
}

// field writes row i of col: its length and value.
func (e *copyEncoder) field(col arrow.Array, i int) error {
	if col.IsNull(i) {
		binary.BigEndian.PutUint32(e.buf[:4], math.MaxUint32) // -1
		e.write(e.buf[:4])
		return nil
	}
	var v []byte
	switch a := col.(type) {
	case *array.Int64:
		binary.BigEndian.PutUint64(e.buf[:], uint64(a.Value(i)))
		v = e.buf[:8]
	case *array.Int32:
		binary.BigEndian.PutUint32(e.buf[:4], uint32(a.Value(i)))
		v = e.buf[:4]
	case *array.Int16:
		binary.BigEndian.PutUint16(e.buf[:2], uint16(a.Value(i)))
		v = e.buf[:2]
	case *array.Float64:
		binary.BigEndian.PutUint64(e.buf[:], math.Float64bits(a.Value(i)))
		v = e.buf[:8]
	case *array.String:
		v = []byte(a.Value(i))
	case *array.Boolean:
		e.buf[0] = 0
		if a.Value(i) {
			e.buf[0] = 1
		}
		v = e.buf[:1]
	default:
		return fmt.Errorf("no encoder for %s", col.DataType())
	}
	var length [4]byte
	binary.BigEndian.PutUint32(length[:], uint32(len(v)))
	e.write(length[:])
	e.write(v)
	return nil
}
