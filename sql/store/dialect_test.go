package store

import "testing"

// The PostgreSQL rewrite numbers the ? placeholders and names the schema, and leaves quoted text (a
// segment named with a ? or segrun_store., an identifier quoted) and longer names as they are; DuckDB's is
// the statement itself.
func TestDialectRewrite(t *testing.T) {
	q := `SELECT '?', "segrun_store.x", 'it''s ?' FROM segrun_store.runs r JOIN my_segrun_store.t USING (run_id) WHERE a = ? AND b IN (?, ?)`
	pg := dialect{schema: "Shop Store"}
	want := `SELECT '?', "segrun_store.x", 'it''s ?' FROM "Shop Store".runs r JOIN my_segrun_store.t USING (run_id) WHERE a = $1 AND b IN ($2, $3)`
	if got := pg.rewrite(q); got != want {
		t.Errorf("PostgreSQL:\n got %s\nwant %s", got, want)
	}
	if got := (dialect{}).rewrite(q); got != q {
		t.Errorf("DuckDB rewrote the statement: %s", got)
	}
	if got := pg.rewrite("SELECT 'unterminated ?"); got != "SELECT 'unterminated ?" {
		t.Errorf("unterminated text: %s", got)
	}
}
