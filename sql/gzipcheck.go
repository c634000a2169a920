package sql

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"
)

// corruptFileError is a compressed input file that does not decompress to its end. DuckDB's CSV reader
// reads a truncated .gz up to where it breaks and reports the torn last line as a row with too few fields,
// or nothing at all when the cut falls between lines; so segrun decompresses every .gz itself while
// hashing it (SourceRead) and reports the file.
type corruptFileError struct {
	path string
	err  error
}

func (c *corruptFileError) Error() string {
	return fmt.Sprintf("file %s is corrupt or truncated (gzip: %v)", c.path, c.err)
}

// IsGzip says whether a path names a gzip-compressed file.
func IsGzip(path string) bool { return strings.HasSuffix(strings.ToLower(path), ".gz") }

// gunzipCheck decompresses a gzip stream to its end (multi-member, as gzip writes concatenated files), and
// reports a stream that breaks off or does not check out.
func gunzipCheck(path string, compressed io.Reader) error {
	zr, err := gzip.NewReader(compressed)
	if err == nil {
		_, err = io.Copy(io.Discard, zr)
	}
	if err != nil {
		return &corruptFileError{path: path, err: err}
	}
	return nil
}

// GunzipFile checks that a compressed file decompresses whole.
func GunzipFile(path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	return gunzipCheck(path, fh)
}
