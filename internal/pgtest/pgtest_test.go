package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The helper starts a server that answers, and Stop takes it down.
func TestStartAnswers(t *testing.T) {
	s := New(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT 1+1").Scan(&n); err != nil || n != 2 {
		t.Fatalf("SELECT 1+1 = %d, %v", n, err)
	}
	conn.Close(ctx)
	s.Stop()
	if s.dir != "" {
		if _, err := pgx.Connect(ctx, s.DSN); err == nil {
			t.Fatal("the server still answers after Stop")
		}
	}
}
