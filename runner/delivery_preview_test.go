package runner

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/segrun/segrun/internal/destinations"
)

// A dry run shows, per destination, the rows it would receive, exactly as the real run then sends them:
// files' columns with the email hashed (clear where the destination says so) and the entity without
// consent left out, the changes against the latest version, the webhook's events. It writes no file and
// posts nothing; PreviewRows bounds the rows shown.
func TestDryRunPreviewsWhatIsSent(t *testing.T) {
	var mu sync.Mutex
	var posted [][]string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b destinations.WebhookBatch
		json.NewDecoder(r.Body).Decode(&b)
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range b.Events {
			posted = append(posted, []string{ev.Entity, ev.Group, ev.Event})
		}
	}))
	defer hook.Close()
	t.Setenv("SEGRUN_TEST_PREVIEW_HOOK", hook.URL)
	spec := `version: 1
name: shop
entity: customer_id
sources:
  customers:
    path: data/customers.csv
    columns:
      customer_id: {type: BIGINT}
      email: {type: VARCHAR, pii: email}
      opt_in: {type: BOOLEAN}
segmentations:
  everyone:
    from: customers
    rules: [{segment: all_of_them, when: "customer_id < 6"}]
    else: later
audiences:
  mailing:
    include: {everyone: [all_of_them]}
    consent: {from: customers, column: opt_in}
    holdout: {share: 0.5, salt: s}
    destinations: [full_file, changes_file, clear_file, hook]
destinations:
  full_file: {path: out/full.csv, columns: [customer_id, email, group]}
  changes_file: {path: out/changes.csv, columns: [email, group], mode: changes}
  clear_file: {path: out/clear.csv, columns: [customer_id, email], pii: clear}
  hook: {webhook: {url_env: SEGRUN_TEST_PREVIEW_HOOK}, mode: changes}
`
	f := newFixture(t, spec, "")
	f.write("data/customers.csv", "customer_id,email,opt_in\n1,Ann@x.com,true\n2,bob@x.com,false\n3,cy@x.com,\n4,dee@x.com,true\n")
	f.mustRun("2024-01-31", nil)
	before := map[string]string{}
	for _, n := range []string{"out/full.csv", "out/changes.csv", "out/clear.csv"} {
		before[n] = f.read(n)
	}
	posted = nil
	// Ann withdraws consent, Eve and Fay join.
	f.write("data/customers.csv", "customer_id,email,opt_in\n1,Ann@x.com,false\n2,bob@x.com,false\n3,cy@x.com,\n4,dee@x.com,true\n5, Eve@X.com ,true\n6,fay@x.com,true\n")
	dry := f.mustRun("2024-02-29", func(o *RunOptions) { o.DryRun, o.PreviewRows = true, -1 })
	for n, text := range before {
		if f.read(n) != text {
			t.Errorf("the dry run wrote %s", n)
		}
	}
	if len(posted) != 0 {
		t.Fatalf("the dry run posted %v", posted)
	}
	short := f.mustRun("2024-02-29", func(o *RunOptions) { o.DryRun, o.PreviewRows = true, 1 })
	f.mustRun("2024-02-29", nil)
	csvRows := func(name string) (header []string, rows [][]string) {
		lines := strings.Split(strings.TrimSuffix(f.read(name), "\n"), "\n")
		for _, l := range lines[1:] {
			rows = append(rows, strings.Split(l, ","))
		}
		return strings.Split(lines[0], ","), rows
	}
	if len(dry.Deliveries) != 4 {
		t.Fatalf("deliveries %+v", dry.Deliveries)
	}
	for i, d := range dry.Deliveries {
		var cols []string
		var rows [][]string
		if d.Destination == "hook" {
			cols, rows = []string{"entity", "group", "event"}, posted
		} else {
			cols, rows = csvRows("out/" + strings.TrimSuffix(d.Destination, "_file") + ".csv")
		}
		if !slices.Equal(d.Columns, cols) {
			t.Errorf("%s: preview columns %v, sent %v", d.Destination, d.Columns, cols)
		}
		if len(d.Preview) != len(rows) || int64(len(rows)) != d.Rows {
			t.Errorf("%s: preview %v (%d rows planned), sent %v", d.Destination, d.Preview, d.Rows, rows)
			continue
		}
		for j := range rows {
			if !slices.Equal(d.Preview[j], rows[j]) {
				t.Errorf("%s row %d: preview %v, sent %v", d.Destination, j, d.Preview[j], rows[j])
			}
		}
		if len(short.Deliveries[i].Preview) != min(1, len(rows)) {
			t.Errorf("%s: PreviewRows 1 showed %v", d.Destination, short.Deliveries[i].Preview)
		}
	}
	for _, d := range dry.Deliveries {
		for _, r := range d.Preview {
			if slices.Contains(r, "Ann@x.com") || slices.Contains(r, "bob@x.com") || slices.Contains(r, holdoutHex("bob@x.com")) {
				t.Errorf("%s: preview %v shows an entity without consent", d.Destination, r)
			}
		}
	}
}
