package postgres

import (
	"context"
	"strings"
	"testing"
)

// The engine's session runs without JIT (session.go: it compiles segrun's large generated expressions
// for longer than they take to run), unless the connection string turns it on.
func TestSessionTurnsJITOffUnlessTheConnectionStringSetsIt(t *testing.T) {
	ctx := context.Background()
	on := pg(t) + " jit=on" // key=value pairs
	if strings.Contains(pg(t), "://") {
		on = pg(t) + map[bool]string{true: "&", false: "?"}[strings.Contains(pg(t), "?")] + "jit=on"
	}
	for _, c := range []struct{ dsn, want string }{{pg(t), "off"}, {on, "on"}} {
		d, err := Open(ctx, c.dsn, "session")
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = d.QueryRow(ctx, "SHOW jit").Scan(&got)
		d.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: jit is %s, want %s", c.dsn, got, c.want)
		}
	}
}
