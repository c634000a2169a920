package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segrun/segrun/internal/pgtest"
)

// segrun deliver --again to a PostgreSQL table: the table records each delivery id it applied, and applies
// none twice, so --again changes nothing there. It printed "crm_db: version 1 delivered (full): 0
// members" and recorded an ok delivery of 0 members: a delivery that did not happen, reported as one
// that did, of an empty audience.
func TestDeliverAgainToATableThatAppliedIt(t *testing.T) {
	srv := pgtest.New(t)
	t.Setenv("SEGRUN_TEST_DELIVER_CRM", srv.DSN)
	dir := t.TempDir()
	specPath := filepath.Join(dir, "shop.yaml")
	spec := strings.Replace(deliverSpec, "destinations: [hook]", "destinations: [crm_db]", 1)
	spec = strings.Replace(spec, "  hook: {webhook: {url_env: SEGRUN_TEST_DELIVER_HOOK, batch: 4, max_attempts: 1}, mode: full}",
		"  crm_db: {postgres: {dsn_env: SEGRUN_TEST_DELIVER_CRM, table: crm.members}, mode: full}", 1)
	if err := os.WriteFile(specPath, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "customers.csv"), []byte("customer_id,tier\n1,gold\n2,gold\n3,silver\n4,gold\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, "run", specPath, "--as-of", "2024-01-31"); code != ExitOK {
		t.Fatalf("run: %d %s", code, stderr)
	}
	stdout, stderr, code := run(t, "deliver", "gold_offer", specPath, "--again")
	if code != ExitOK || strings.Contains(stdout, "delivered (full): 0 members") || !strings.Contains(stdout, "crm_db: version 1 was already applied") {
		t.Errorf("deliver --again: %d\n%s%s", code, stdout, stderr)
	}
	stdout, _, _ = run(t, "deliveries", "gold_offer", specPath)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 || !strings.Contains(lines[2], "skipped") || strings.Contains(lines[2], "0 members") {
		t.Errorf("segrun deliveries:\n%s", stdout)
	}
}
