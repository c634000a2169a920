//go:build unix

package sql

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// A file a glob matches that cannot be opened was left to DuckDB's reader, whose "Cannot open file"
// validation reported as the spec's mistake (exit 1) while a single unreadable path was the machine's
// (exit 3). Glob now refuses it as an UnreadableFileError. Root opens any file, so as root the test runs
// itself again as nobody.
func TestGlobRefusesAFileItCannotOpen(t *testing.T) {
	if os.Geteuid() == 0 {
		asNobody(t, "TestGlobRefusesAFileItCannotOpen")
		return
	}
	dir := t.TempDir()
	for _, name := range []string{"a.csv", "b.csv"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x\n1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, "b.csv"), 0); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := Open(ctx, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Glob(ctx, []string{filepath.Join(dir, "*.csv")})
	var u *UnreadableFileError
	if !errors.As(err, &u) || u.Path != filepath.Join(dir, "b.csv") || !errors.Is(err, os.ErrPermission) {
		t.Fatalf("glob: %v, want b.csv unreadable", err)
	}
}

// asNobody runs test in a copy of the test binary as the user nobody, and fails if it fails.
func asNobody(t *testing.T, test string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "segrun-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "test.bin")
	if err := copyFile(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^"+test+"$", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "TMPDIR=" + os.TempDir()}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
