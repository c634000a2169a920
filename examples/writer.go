package examples

import (
	"bufio"
	"os"
	"path/filepath"
)

// writeBufferSize is the bufio buffer in front of each output file. Shards arrive as blocks of hundreds
// of kilobytes, which bufio passes straight through; the buffer matters for headers and small shards.
const writeBufferSize = 1 << 20

// atomicFile is an output file that appears under its final name only once it is complete: it is
// written to a temporary file in the same directory and renamed at the end, so an interrupted or failed
// generation never leaves a truncated file that looks finished.
type atomicFile struct {
	final string
	f     *os.File
	w     *bufio.Writer
}

func createAtomic(dir, name string) (*atomicFile, error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &atomicFile{final: filepath.Join(dir, name), f: f, w: bufio.NewWriterSize(f, writeBufferSize)}, nil
}

func (a *atomicFile) Write(p []byte) (int, error) { return a.w.Write(p) }

// commit flushes, closes and renames the file to its final name. The data is not fsynced: the rename
// protects against interrupted runs, which is what matters for a regenerable demo dataset, and syncing
// hundreds of megabytes would dominate the generation time.
func (a *atomicFile) commit() error {
	if err := a.w.Flush(); err != nil {
		a.abort()
		return err
	}
	// CreateTemp makes the file private; the dataset is meant to be read by other tools and users.
	if err := a.f.Chmod(0o644); err != nil {
		a.abort()
		return err
	}
	if err := a.f.Close(); err != nil {
		os.Remove(a.f.Name())
		return err
	}
	if err := os.Rename(a.f.Name(), a.final); err != nil {
		os.Remove(a.f.Name())
		return err
	}
	return nil
}

// abort discards the temporary file; it is safe to call after commit failed.
func (a *atomicFile) abort() {
	a.f.Close()
	os.Remove(a.f.Name())
}
