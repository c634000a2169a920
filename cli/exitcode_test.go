package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// The exit-code conformance test: one case for each row of docs/cli.md's exit-code table and for each
// mistake that once came out with the wrong code, each driving the real command on real files and
// checking the code, the first line of stderr, and which versions the store holds afterwards (a usage or
// environment error must publish nothing). Add a row for every new way in or out.

// exitCase is one command line and what it must do.
type exitCase struct {
	name string
	// state is the directory the command runs against: "fresh" (the starter spec shop.yaml and its data,
	// no store) or "published" (the same with version 1, as of 2024-06-30, run key 2024-06-30).
	state string
	// setup changes the directory before the command (nil: nothing).
	setup func(t *testing.T, dir string)
	// held: another process holds the store for the command's duration.
	held bool
	// args are the command line; {dir} stands for the directory.
	args []string
	code int
	// stderr is contained in the first line of stderr ("" matches anything).
	stderr string
	// versions are the published versions afterwards, "1,2"; "" for none (or no store).
	versions string
}

var exitCases = []exitCase{
	// 0: success.
	{name: "a valid spec", state: "fresh", args: []string{"validate", "{dir}/shop.yaml"}, code: ExitOK, stderr: "spec valid"},
	{name: "a published run", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30"}, code: ExitOK, versions: "1"},
	{name: "a run key already published is a no-op", state: "published", args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30", "--run-key", "2024-06-30"}, code: ExitOK, versions: "1"},
	{name: "a dry run publishes nothing", state: "published", args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-12-31", "--dry-run"}, code: ExitOK, versions: "1"},
	{name: "help", state: "fresh", args: []string{"run", "--help"}, code: ExitOK},
	{name: "version takes no arguments", state: "fresh", args: []string{"version", "x"}, code: ExitUsage, stderr: "no arguments"},
	{name: "show finds the store from the spec", state: "published", args: []string{"show", "lifecycle", "{dir}/shop.yaml"}, code: ExitOK, versions: "1"},
	{name: "changes finds the store from --spec", state: "published", args: []string{"changes", "lifecycle", "--spec", "{dir}/shop.yaml"}, code: ExitOK, versions: "1"},
	{name: "runs with --store", state: "published", args: []string{"runs", "--store", "{dir}/segrun.duckdb"}, code: ExitOK, versions: "1"},
	{name: "export from the spec", state: "published", args: []string{"export", "lifecycle", "{dir}/shop.yaml", "--out", "{dir}/out/m.csv"}, code: ExitOK, versions: "1"},

	{name: "a rollback of the latest version", state: "published", args: []string{"rollback", "{dir}/shop.yaml", "--last"}, code: ExitOK, stderr: ""},
	{name: "a spec without segmentations publishes its features' version", state: "fresh", setup: withoutSegmentations,
		args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30"}, code: ExitOK, versions: "1"},
	{name: "a spec with an audience publishes it as a version", state: "fresh", setup: withAudience(anAudience),
		args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30"}, code: ExitOK, versions: "1"},
	{name: "an export of an audience", state: "fresh", setup: withAudience(anAudience + "\n  - {segmentation: winback, path: out/winback.csv}"),
		args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30"}, code: ExitOK, versions: "1"},

	// 1: an invalid spec or a failed blocking check; nothing published.
	{name: "an audience's where: naming a column its table lacks", state: "fresh", setup: withAudience(strings.Replace(anAudience, "monetary >= 100", "monetry >= 100", 1)),
		args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30"}, code: ExitInvalid, stderr: `did you mean "monetary"`},
	{name: "a priority list naming an audience twice", state: "fresh", setup: withAudience(strings.Replace(anAudience, "\nexports:", "\npriority_lists:\n  offers: [winback, winback]\nexports:", 1)),
		args: []string{"validate", "{dir}/shop.yaml"}, code: ExitInvalid, stderr: "already item 1 of priority list offers"},
	{name: "a consent table with an entity twice", state: "fresh",
		setup: func(t *testing.T, dir string) {
			withAudience(strings.Replace(anAudience, "from: rfm, column: opted_in", "from: order_consent, column: opted_in", 1))(t, dir)
			editSpec("features:\n", "features:\n  order_consent:\n    sql: select customer_id, true as opted_in from orders\n")(t, dir)
		},
		args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30"}, code: ExitInvalid, stderr: "run failed"},
	{name: "an invalid spec", state: "fresh", setup: editSpec("frequency >= 8", "frequncy >= 8"),
		args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30"}, code: ExitInvalid, stderr: `did you mean "frequency"`},
	{name: "a failed data test", state: "fresh", setup: editSpec("- unique: customer_id", "- unique: frequency"),
		args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30"}, code: ExitInvalid, stderr: "run failed"},
	{name: "a failing audit of severity error publishes nothing", state: "published", setup: editSpec("    else: regulars\n", "    else: regulars\n    audits:\n      - size: {max: 0.01}\n"),
		args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-12-31"}, code: ExitInvalid, stderr: "audits failed; nothing was published", versions: "1"},
	{name: "a failing audit of severity warn publishes", state: "published", setup: editSpec("    else: regulars\n", "    else: regulars\n    audits:\n      - size: {max: 0.01}\n        severity: warn\n"),
		args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-12-31"}, code: ExitOK, versions: "1,2"},
	{name: "an audit of a column the input lacks", state: "fresh", setup: editSpec("    else: regulars\n", "    else: regulars\n    audits:\n      - drift: {columns: [monetery]}\n"),
		args: []string{"validate", "{dir}/shop.yaml"}, code: ExitInvalid, stderr: `did you mean "monetary"`},
	{name: "an as-of earlier than the latest version", state: "published", args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-01-31"},
		code: ExitInvalid, stderr: "earlier than the latest version 1", versions: "1"},
	{name: "an unknown segmentation", state: "published", args: []string{"show", "lifecycel", "{dir}/shop.yaml"}, code: ExitInvalid, stderr: `did you mean "lifecycle"`, versions: "1"},
	{name: "a version that does not exist names those that do", state: "published", args: []string{"changes", "lifecycle", "{dir}/shop.yaml", "--run", "9"},
		code: ExitInvalid, stderr: "has no version 9; it has 1", versions: "1"},
	{name: "a version that does not exist (models)", state: "published", args: []string{"models", "{dir}/shop.yaml", "--run", "9"},
		code: ExitInvalid, stderr: "has no version 9; it has 1", versions: "1"},
	{name: "kpis of a store without a published version", state: "published", setup: rolledBack, args: []string{"kpis", "{dir}/shop.yaml"},
		code: ExitInvalid, stderr: "has no published version yet"},
	{name: "kpis of a store without a published version (json)", state: "published", setup: rolledBack, args: []string{"kpis", "{dir}/shop.yaml", "--format", "json"},
		code: ExitInvalid, stderr: "has no published version yet"},
	{name: "models of a store without a published version", state: "published", setup: rolledBack, args: []string{"models", "{dir}/shop.yaml"},
		code: ExitInvalid, stderr: "has no published version yet"},
	{name: "a rule failing on a row", state: "fresh", setup: editSpec("when: recency_days <= 30 && frequency >= 8", `when: int(string(monetary) + "x") > 3`),
		args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30"}, code: ExitInvalid, stderr: "rule 1 (champions)"},
	{name: "an entity typed DOUBLE", state: "fresh", setup: editSpec("customer_id: {type: BIGINT, not_null: true}", "customer_id: {type: DOUBLE, not_null: true}"),
		args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30"}, code: ExitInvalid, stderr: "the entity customer_id is DOUBLE"},
	{name: "a clv segmentation its models cannot fit", state: "fresh",
		setup: editSpec("\nsegmentations:\n", "\nsegmentations:\n  value_clv:\n    from: orders\n    clv: {time: ordered_at, amount: amount, tiers: {low: 0}, holdout: 5000}\n"),
		args:  []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30"}, code: ExitInvalid, stderr: "segmentation value_clv: holdout: no purchase before the calibration end"},
	{name: "a clv segmentation's purchases without a customer", state: "fresh", setup: func(t *testing.T, dir string) {
		editSpec("customer_id: {type: BIGINT, not_null: true}\n      order_id", "customer_id: {type: BIGINT}\n      order_id")(t, dir)
		editSpec("\nsegmentations:\n", "\nsegmentations:\n  value_clv:\n    from: orders\n    clv: {time: ordered_at, amount: amount, tiers: {low: 0}}\n")(t, dir)
		f, err := os.OpenFile(filepath.Join(dir, "data", "orders.csv"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(",999999,2024-01-02 10:00:00,12.5\n,999998,2024-01-03 10:00:00,7\n"); err != nil {
			t.Fatal(err)
		}
	}, args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30"}, code: ExitInvalid, stderr: "segmentation value_clv: 2 rows of orders have no customer_id"},
	{name: "nothing to roll back to", state: "published", args: []string{"rollback", "{dir}/shop.yaml", "--to", "1"}, code: ExitInvalid, stderr: "already the latest", versions: "1"},

	// 2: the command line is wrong; found before anything starts.
	{name: "an unknown command", state: "fresh", args: []string{"rnu"}, code: ExitUsage, stderr: `did you mean "run"`},
	{name: "an empty argument (demo)", state: "fresh", args: []string{"demo", ""}, code: ExitUsage, stderr: "argument 1 is empty"},
	{name: "an empty argument (show)", state: "published", args: []string{"show", "", "--store", "{dir}/segrun.duckdb"}, code: ExitUsage, stderr: "argument 1 is empty", versions: "1"},
	{name: "an empty argument (validate)", state: "fresh", args: []string{"validate", ""}, code: ExitUsage, stderr: "argument 1 is empty"},
	{name: "run: --store postgres: without a schema", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30", "--store", "postgres:"}, code: ExitUsage, stderr: `--store "postgres:": give the schema: postgres:SCHEMA`},
	{name: "an unknown flag", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--as-off", "2024-06-30"}, code: ExitUsage, stderr: "flag provided but not defined: -as-off"},
	{name: "a missing argument", state: "fresh", args: []string{"run"}, code: ExitUsage, stderr: "give exactly one spec"},
	{name: "an empty --as-of (an unset variable) publishes nothing", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--as-of", ""}, code: ExitUsage, stderr: "--as-of is empty"},
	{name: "a blank --run-key", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--run-key", " "}, code: ExitUsage, stderr: "--run-key is empty"},
	{name: "a --var without a value", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--var", "active_days="}, code: ExitUsage, stderr: "flag -var"},
	{name: "a --var without a name", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--var", "=3"}, code: ExitUsage, stderr: "flag -var"},
	{name: "a blank --var", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--var", " "}, code: ExitUsage, stderr: "flag -var"},
	{name: "a --store that is a directory", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--store", "{dir}/data"}, code: ExitUsage, stderr: "is a directory, not a file"},
	{name: "a reader's --store that is a directory", state: "published", args: []string{"runs", "--store", "{dir}/data"}, code: ExitUsage, stderr: "is a directory, not a file", versions: "1"},
	{name: "a blank --store", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--store", ""}, code: ExitUsage, stderr: "--store is empty"},
	{name: "--threads 0", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--threads", "0"}, code: ExitUsage, stderr: "--threads"},
	{name: "--threads -1", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--threads", "-1"}, code: ExitUsage, stderr: "--threads"},
	{name: "--threads 100000", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--threads", "100000"}, code: ExitUsage, stderr: "from 1 to 1024"},
	{name: "--memory-limit lots", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--memory-limit", "lots"}, code: ExitUsage, stderr: "want a size like 4GB"},
	{name: "--memory-limit too small to run", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--memory-limit", "1KB"}, code: ExitUsage, stderr: "want at least 64MB"},
	{name: "--memory-limit a fraction of a byte", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--memory-limit", "0.0001KB"}, code: ExitUsage, stderr: "want at least 64MB"},
	{name: "--memory-limit just enough", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--memory-limit", "64MB", "--dry-run"}, code: ExitOK},
	{name: "--memory-limit without a unit", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--memory-limit", "1000"}, code: ExitUsage, stderr: "--memory-limit"},
	{name: "a negative --wait", state: "published", args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-12-31", "--wait", "-1s"}, code: ExitUsage, stderr: "--wait", versions: "1"},
	{name: "a --temp-dir that is a file", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--temp-dir", "{dir}/shop.yaml"}, code: ExitUsage, stderr: "is a file, not a directory"},
	{name: "a --temp-dir below a file", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--temp-dir", "{dir}/shop.yaml/sub"}, code: ExitUsage, stderr: "shop.yaml is a file, not a directory"},
	{name: "a --temp-dir still to create", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--temp-dir", "{dir}/spill/sub", "--dry-run"}, code: ExitOK},
	{name: "an unknown --format", state: "fresh", args: []string{"run", "{dir}/shop.yaml", "--format", "yaml"}, code: ExitUsage, stderr: "want one of text, json"},
	{name: "--run 0 (models)", state: "published", args: []string{"models", "{dir}/shop.yaml", "--run", "0"}, code: ExitUsage, stderr: "versions are numbered from 1", versions: "1"},
	{name: "--run 0", state: "published", args: []string{"show", "lifecycle", "{dir}/shop.yaml", "--run", "0"}, code: ExitUsage, stderr: "versions are numbered from 1", versions: "1"},
	{name: "--run -1", state: "published", args: []string{"export", "lifecycle", "{dir}/shop.yaml", "--run", "-1", "--out", "{dir}/m.csv"}, code: ExitUsage, stderr: "--run", versions: "1"},
	{name: "a negative reader --wait", state: "published", args: []string{"runs", "{dir}/shop.yaml", "--wait", "-5m"}, code: ExitUsage, stderr: "--wait", versions: "1"},
	{name: "an empty --out", state: "published", args: []string{"export", "lifecycle", "{dir}/shop.yaml", "--out", ""}, code: ExitUsage, stderr: "--out is empty", versions: "1"},
	{name: "the spec given twice", state: "published", args: []string{"runs", "{dir}/shop.yaml", "--spec", "{dir}/shop.yaml"}, code: ExitUsage, stderr: "give the spec once", versions: "1"},
	{name: "export --pii other", state: "published", args: []string{"export", "lifecycle", "{dir}/shop.yaml", "--out", "{dir}/m.csv", "--pii", "plain"}, code: ExitUsage, stderr: "want hash or clear", versions: "1"},
	{name: "demo --customers 0", state: "fresh", args: []string{"demo", "--customers", "0", "{dir}/demo"}, code: ExitUsage, stderr: "--customers"},

	// 3: the environment failed; nothing published.
	{name: "a spec that does not exist", state: "fresh", args: []string{"run", "{dir}/nope.yaml"}, code: ExitEnvironment, stderr: "no such file"},
	{name: "a spec that cannot be read", state: "fresh", setup: func(t *testing.T, dir string) { mkdir(t, filepath.Join(dir, "dir.yaml")) },
		args: []string{"validate", "{dir}/dir.yaml"}, code: ExitEnvironment, stderr: "is a directory"},
	{name: "a data file that cannot be read (validate)", state: "fresh", setup: unreadableOrders,
		args: []string{"validate", "{dir}/shop.yaml"}, code: ExitEnvironment, stderr: "cannot read"},
	{name: "a data file that cannot be read (run)", state: "fresh", setup: unreadableOrders,
		args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30"}, code: ExitEnvironment, stderr: "cannot read"},
	{name: "a data file without read permission", state: "fresh", setup: func(t *testing.T, dir string) {
		if os.Geteuid() == 0 {
			t.Skip("root reads any file")
		}
		if err := os.Chmod(filepath.Join(dir, "data", "orders.csv"), 0); err != nil {
			t.Fatal(err)
		}
	}, args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30"}, code: ExitEnvironment, stderr: "cannot read"},
	{name: "a DuckDB file that is not a segrun store", state: "fresh", setup: func(t *testing.T, dir string) {
		db, err := sql.Open(context.Background(), filepath.Join(dir, "other.duckdb"), sql.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Exec(context.Background(), "CREATE TABLE t AS SELECT 1 AS x"); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}, args: []string{"runs", "--store", "{dir}/other.duckdb"}, code: ExitEnvironment, stderr: "other.duckdb is not a segrun store (a DuckDB file"},
	{name: "no store here", state: "fresh", args: []string{"runs"}, code: ExitEnvironment, stderr: "no store at segrun.duckdb (the default in the current directory"},
	{name: "no store beside the spec", state: "fresh", args: []string{"show", "lifecycle", "{dir}/shop.yaml"}, code: ExitEnvironment, stderr: "(the store of"},
	// segrun docs --store without a spec documents the store's latest version; with none it wrote a
	// document titled "Segment definitions: " listing nothing, exit 0.
	{name: "docs: a store alone without a published version", state: "published", setup: rollBackTheLast,
		args: []string{"docs", "--store", "{dir}/segrun.duckdb"}, code: ExitInvalid, stderr: "has no published version yet", versions: ""},
	// segrun deliver sends tables and webhooks; an audience with none of them said nothing at all with exit 0.
	{name: "deliver: an audience without destinations", state: "published", setup: withAudience(anAudience),
		args: []string{"deliver", "winback", "{dir}/shop.yaml"}, code: ExitUsage, stderr: "audience winback has no destinations:", versions: "1"},
	{name: "deliver: an audience whose only destination is a file", state: "published",
		setup: withAudience(strings.Replace(anAudience, "\nexports:", "\n    destinations: [winback_file]\ndestinations:\n  winback_file: {path: out/winback.csv}\nexports:", 1)),
		args:  []string{"deliver", "winback", "{dir}/shop.yaml"}, code: ExitUsage, stderr: "audience winback has no table or webhook destination", versions: "1"},
	// segrun deliveries of a version or an audience the store never had said "store ... records no
	// deliveries", exit 0, where every other reader names what there is (exit 1).
	{name: "deliveries: a version that does not exist", state: "published", args: []string{"deliveries", "{dir}/shop.yaml", "--run", "9"},
		code: ExitInvalid, stderr: "has no version 9; it has 1", versions: "1"},
	{name: "deliveries: a segmentation is not an audience", state: "published", args: []string{"deliveries", "lifecycle", "{dir}/shop.yaml"},
		code: ExitInvalid, stderr: `no version of store`, versions: "1"},
	{name: "deliveries of every audience, none delivered", state: "published", args: []string{"deliveries", "{dir}/shop.yaml"}, code: ExitOK, versions: "1"},
	// docs reads a store on PostgreSQL, which here is not there (no server, or no store in the schema):
	// docs with a spec once documented it as if no run had published (exit 0); it is exit 3 naming it.
	// measure reads one for a spec on engine postgres only: this spec's runs publish to a file.
	{name: "docs: a store on PostgreSQL", state: "published", args: []string{"docs", "--store", "postgres:shop"}, code: ExitEnvironment, stderr: "postgres:shop", versions: "1"},
	{name: "docs: a spec with a store on PostgreSQL", state: "published", args: []string{"docs", "{dir}/shop.yaml", "--store", "postgres:shop"}, code: ExitEnvironment, stderr: "postgres:shop", versions: "1"},
	{name: "measure: a store on PostgreSQL", state: "published", args: []string{"measure", "lifecycle", "--outcome", "sales", "{dir}/shop.yaml", "--store", "postgres:shop"}, code: ExitEnvironment, stderr: "is a PostgreSQL schema", versions: "1"},
	// run --preview without --dry-run published a version and delivered it, exit 0, previewing nothing: a
	// user who typed --preview to look first had published.
	{name: "run --preview without --dry-run", state: "published", args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-12-31", "--preview", "3"},
		code: ExitUsage, stderr: "--preview shows what a dry run would deliver", versions: "1"},
	// segrun measure (the starter spec has no outcomes: and no audience; the measure end-to-end case has the rest).
	{name: "measure: an outcome the spec lacks", state: "published", args: []string{"measure", "lifecycle", "--outcome", "sales", "{dir}/shop.yaml"}, code: ExitInvalid, stderr: `no outcome "sales"`, versions: "1"},
	{name: "measure: no --outcome", state: "published", args: []string{"measure", "lifecycle", "{dir}/shop.yaml"}, code: ExitUsage, stderr: "--outcome is required: name one of the outcomes in the spec's outcomes: block", versions: "1"},
	{name: "measure: a window without its unit", state: "published", args: []string{"measure", "lifecycle", "--outcome", "sales", "--window", "30", "{dir}/shop.yaml"}, code: ExitUsage, stderr: "want a number of days", versions: "1"},
	{name: "measure: no store", state: "fresh", args: []string{"measure", "lifecycle", "--outcome", "sales", "{dir}/shop.yaml"}, code: ExitEnvironment, stderr: "no store"},
	{name: "a report of the published version", state: "published", args: []string{"report", "{dir}/shop.yaml", "--out", "{dir}/report.html"}, code: ExitOK, versions: "1"},
	{name: "a report of a segmentation the store lacks", state: "published", args: []string{"report", "{dir}/shop.yaml", "--segmentation", "lifecylce", "--out", "{dir}/report.html"},
		code: ExitInvalid, stderr: `no segmentation "lifecylce"; did you mean "lifecycle"?`, versions: "1"},
	{name: "a report into a directory", state: "published", args: []string{"report", "{dir}/shop.yaml", "--out", "{dir}"}, code: ExitUsage, stderr: "is a directory", versions: "1"},
	{name: "a report without a store", state: "fresh", args: []string{"report", "{dir}/shop.yaml"}, code: ExitEnvironment, stderr: "(the store of"},
	{name: "an export that cannot be written", state: "published", args: []string{"export", "lifecycle", "{dir}/shop.yaml", "--out", "{dir}/shop.yaml/m.csv"},
		code: ExitEnvironment, stderr: "writing", versions: "1"},
	{name: "a store another run holds", state: "published", held: true, args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-12-31"},
		code: ExitEnvironment, stderr: "is in use by another process", versions: "1"},
	{name: "a reader with --wait 0 on a held store", state: "published", held: true, args: []string{"runs", "{dir}/shop.yaml", "--wait", "0"},
		code: ExitEnvironment, stderr: "is in use by another process", versions: "1"},
	{name: "a reader waiting for a held store says so", state: "published", held: true, args: []string{"runs", "{dir}/shop.yaml", "--wait", "1s"},
		code: ExitEnvironment, stderr: "is in use, held by ", versions: "1"},

	// 4: the version is published, but some of its exports were not written.
	{name: "an export failing after publishing", state: "fresh", setup: editSpec("path: out/lifecycle.csv", "path: shop.yaml/lifecycle.csv"),
		args: []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30"}, code: ExitExports, stderr: "version 1 is published", versions: "1"},
	{name: "a destination failing after publishing", state: "fresh",
		setup: withAudience(strings.Replace(anAudience, "\nexports:", "\n    destinations: [file]\ndestinations:\n  file: {path: shop.yaml/winback.csv}\nexports:", 1)),
		args:  []string{"run", "{dir}/shop.yaml", "--as-of", "2024-06-30"}, code: ExitExports, stderr: "version 1 is published", versions: "1"},
}

// anAudience is an audience for the starter spec, put before its exports.
const anAudience = `
audiences:
  winback:
    include: {lifecycle: [at_risk, regulars]}
    where: monetary >= 100
    consent: {from: rfm, column: opted_in}
    holdout: {share: 0.2, salt: s}
exports:`

// withAudience puts audience (anAudience, changed) before the starter spec's exports, and a consent column
// opted_in in its rfm feature.
func withAudience(audience string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		editSpec("\nexports:", audience)(t, dir)
		editSpec("count(distinct order_id) as frequency,", "count(distinct order_id) as frequency, sum(amount) > 50 as opted_in,")(t, dir)
	}
}

// withoutSegmentations cuts the starter spec's segmentations and exports: features and their tests only.
func withoutSegmentations(t *testing.T, dir string) {
	file := filepath.Join(dir, "shop.yaml")
	src, err := os.ReadFile(file)
	before, _, found := strings.Cut(string(src), "\nsegmentations:")
	if err != nil || !found {
		t.Fatalf("the starter spec no longer has segmentations (%v)", err)
	}
	if err := os.WriteFile(file, []byte(before+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestExitCodeConformance(t *testing.T) {
	fixtures := exitFixtures(t)
	for _, tc := range exitCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyDir(t, fixtures[tc.state], dir)
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			release := func() {}
			if tc.held {
				release = holdStore(t, filepath.Join(dir, "segrun.duckdb"))
			}
			var args []string
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "{dir}", dir))
			}
			stdout, stderr, code := runIn(t, dir, args...)
			release()
			first, _, _ := strings.Cut(stderr, "\n")
			if code != tc.code || !strings.Contains(first, strings.ReplaceAll(tc.stderr, "{dir}", dir)) {
				t.Errorf("segrun %q: exit %d, want %d; first line of stderr %q, want it to contain %q\nstdout: %s\nstderr: %s",
					args, code, tc.code, first, tc.stderr, stdout, stderr)
			}
			if got := storedVersions(t, filepath.Join(dir, "segrun.duckdb")); got != tc.versions {
				t.Errorf("published versions afterwards: %q, want %q", got, tc.versions)
			}
		})
	}
}

// A panic anywhere in a command is a bug: exit 3, one line naming it and the file holding its stack.
func TestPanicReportsWhereItsStackIs(t *testing.T) {
	withCommand(t, command{"panic-for-test", "", func(context.Context, *env, []string) int { panic("boom\nsecond line") }})
	_, stderr, code := run(t, "panic-for-test")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != ExitEnvironment || len(lines) != 1 || !strings.Contains(lines[0], "panic: boom;") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	_, file, ok := strings.Cut(lines[0], "stack in ")
	if !ok {
		t.Fatalf("no stack file named: %s", lines[0])
	}
	defer os.Remove(file)
	stack, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(stack), "TestPanicReportsWhereItsStackIs") {
		t.Errorf("stack file %s: %v\n%s", file, err, stack)
	}
}

// SIGHUP (a closed terminal, a scheduler's hangup) cancels a command as SIGINT and SIGTERM do: without
// it in cli.Run's signals, the test process itself would die of it.
func TestHangupCancelsLikeAnInterrupt(t *testing.T) {
	withCommand(t, command{"hangup-for-test", "", func(ctx context.Context, e *env, _ []string) int {
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		<-ctx.Done()
		return e.runFailed(nil, ctx.Err())
	}})
	_, stderr, code := run(t, "hangup-for-test")
	if code != ExitEnvironment || !strings.Contains(stderr, "interrupted; nothing was published") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// Every command's usage line names every flag it accepts (they are derived from the flags; this holds
// the derivation to it), and docs/cli.md shows each command's usage line as --help prints it.
func TestUsageLinesListEveryFlag(t *testing.T) {
	docs, err := os.ReadFile("../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands {
		stdout, _, code := run(t, c.name, "--help")
		usage, ok := strings.CutPrefix(strings.SplitN(stdout, "\n", 2)[0], "usage: ")
		if code != ExitOK || !ok {
			continue // no flags (version)
		}
		_, defaults, _ := strings.Cut(stdout, "flags:\n")
		for _, line := range strings.Split(defaults, "\n") {
			if name, ok := strings.CutPrefix(line, "  -"); ok {
				name, _, _ = strings.Cut(name, " ")
				if !strings.Contains(usage, "--"+name) {
					t.Errorf("%s: usage line %q lacks --%s", c.name, usage, name)
				}
			}
		}
		// A flag without a `PLACEHOLDER` in its help shows Go's type name: kpis read [--kpi string].
		for _, typ := range []string{" string]", " int]", " float]", " value]"} {
			if strings.Contains(usage, typ) {
				t.Errorf("%s: usage line %q shows a Go type for a flag's value; name it with a `PLACEHOLDER` in its help", c.name, usage)
			}
		}
		if !strings.Contains(string(docs), "\n"+usage+"\n") {
			t.Errorf("docs/cli.md does not show %s's usage line:\n%s", c.name, usage)
		}
	}
}

// withCommand adds a command for the length of a test.
func withCommand(t *testing.T, c command) {
	saved := commands
	commands = append(append([]command{}, commands...), c)
	t.Cleanup(func() { commands = saved })
}

var exitFixtureDirs struct {
	once sync.Once
	root string
	dirs map[string]string
	err  error
}

// exitFixtures builds each state once; every case runs on its own copy.
func exitFixtures(t *testing.T) map[string]string {
	f := &exitFixtureDirs
	f.once.Do(func() {
		root, err := os.MkdirTemp("", "segrun-exitcodes-")
		if err != nil {
			f.err = err
			return
		}
		f.root = root
		fresh, published := filepath.Join(root, "fresh"), filepath.Join(root, "published")
		var out, errOut strings.Builder
		if code := Run([]string{"init", "--dir", fresh, "shop"}, &out, &errOut); code != ExitOK {
			f.err = fmt.Errorf("init: %s", errOut.String())
			return
		}
		if err := os.CopyFS(published, os.DirFS(fresh)); err != nil {
			f.err = err
			return
		}
		if code := Run([]string{"run", filepath.Join(published, "shop.yaml"), "--as-of", "2024-06-30", "--run-key", "2024-06-30"}, &out, &errOut); code != ExitOK {
			f.err = fmt.Errorf("first run: %s", errOut.String())
			return
		}
		f.dirs = map[string]string{"fresh": fresh, "published": published}
	})
	if f.err != nil {
		t.Fatal(f.err)
	}
	return f.dirs
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

func editSpec(old, new string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		file := filepath.Join(dir, "shop.yaml")
		src, err := os.ReadFile(file)
		if err != nil || !strings.Contains(string(src), old) {
			t.Fatalf("the starter spec no longer has %q (%v)", old, err)
		}
		if err := os.WriteFile(file, []byte(strings.Replace(string(src), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// unreadableOrders puts a directory where the orders file was: a file that is there and cannot be read,
// even by root (tests often run as root, who reads any file whatever its permissions).
func unreadableOrders(t *testing.T, dir string) {
	orders := filepath.Join(dir, "data", "orders.csv")
	if err := os.Remove(orders); err != nil {
		t.Fatal(err)
	}
	mkdir(t, orders)
}

// runIn runs segrun in dir, as a user would from there.
func runIn(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Chdir(dir)
	return run(t, args...)
}

// storedVersions lists the store's published versions, "1,2"; "" without a store.
func storedVersions(t *testing.T, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := store.Attach(ctx, db, path, store.ReadOnly, 0)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := st.Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		if r.Status == store.StatusPublished {
			ids = append(ids, fmt.Sprint(r.ID))
		}
	}
	return strings.Join(ids, ",")
}

// holdStore holds store from another process (the test binary re-executed) until release is called (or
// the test ends): DuckDB locks a store per process, so only another process shows what a second segrun
// sees.
func holdStore(t *testing.T, store string) (release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SEGRUN_CLI_TEST_HOLD="+store)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); !strings.Contains(line, "holding") {
		stdin.Close()
		cmd.Wait()
		t.Fatalf("holder: %q", line)
	}
	release = sync.OnceFunc(func() { stdin.Close(); cmd.Wait() })
	t.Cleanup(release)
	return release
}

// TestMain runs the store holder when re-executed for it.
func TestMain(m *testing.M) {
	if store := os.Getenv("SEGRUN_CLI_TEST_HOLD"); store != "" {
		os.Exit(holdUntilStdinCloses(store))
	}
	code := m.Run()
	if exitFixtureDirs.root != "" {
		os.RemoveAll(exitFixtureDirs.root)
	}
	os.Exit(code)
}

func holdUntilStdinCloses(path string) int {
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	defer db.Close()
	if _, err := store.Attach(ctx, db, path, store.ReadWrite, 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	fmt.Println("holding")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// runs --format json gives what the store keeps as JSON text as objects, not strings holding JSON.
func TestRunsJSONGivesObjects(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, exitFixtures(t)["published"], dir)
	stdout, stderr, code := run(t, "runs", filepath.Join(dir, "shop.yaml"), "--format", "json")
	var runs []struct {
		Vars    map[string]any `json:"vars"`
		Sources []struct {
			Source string `json:"source"`
			Rows   int64  `json:"rows"`
		} `json:"sources"`
		Steps []struct {
			Step string `json:"step"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(stdout), &runs); code != ExitOK || err != nil {
		t.Fatalf("exit %d, %v:\n%s%s", code, err, stdout, stderr)
	}
	if len(runs) != 1 || runs[0].Vars["active_days"] == nil || len(runs[0].Sources) != 1 || runs[0].Sources[0].Rows == 0 || len(runs[0].Steps) == 0 {
		t.Errorf("runs: %+v", runs)
	}
}

// changes on the first version says there is no version before it, rather than comparing with one.
func TestChangesOnTheFirstVersionSaysSo(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, exitFixtures(t)["published"], dir)
	stdout, stderr, code := run(t, "changes", "lifecycle", filepath.Join(dir, "shop.yaml"))
	if first, _, _ := strings.Cut(stdout, "\n"); code != ExitOK || !strings.HasSuffix(first, "the first version: everyone entered") {
		t.Errorf("exit %d:\n%s%s", code, stdout, stderr)
	}
	if _, _, code := run(t, "run", filepath.Join(dir, "shop.yaml"), "--as-of", "2024-12-31"); code != ExitOK {
		t.Fatal("second run failed")
	}
	stdout, _, _ = run(t, "changes", "lifecycle", filepath.Join(dir, "shop.yaml"))
	if first, _, _ := strings.Cut(stdout, "\n"); !strings.HasSuffix(first, "against the version before it") {
		t.Errorf("second version:\n%s", stdout)
	}
}

// SIGTERM to a reader waiting for a held store printed a bare "segrun: context canceled"; it says what
// was interrupted and that nothing was read, and still exits 3.
func TestInterruptWhileWaitingForTheStoreSaysSo(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, exitFixtures(t)["published"], dir)
	store := filepath.Join(dir, "segrun.duckdb")
	defer holdStore(t, store)()
	var out bytes.Buffer
	stderr := &killOnWrite{trigger: "waiting up to"}
	code := Run([]string{"runs", "--store", store, "--wait", "1m"}, &out, stderr)
	if code != ExitEnvironment || !strings.Contains(stderr.String(), "interrupted while waiting for store "+store+"; nothing was read") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
}

// killOnWrite sends the process SIGTERM once something containing trigger is written to it.
type killOnWrite struct {
	bytes.Buffer
	trigger string
	sent    bool
}

func (k *killOnWrite) Write(p []byte) (int, error) {
	n, err := k.Buffer.Write(p)
	if !k.sent && strings.Contains(k.Buffer.String(), k.trigger) {
		k.sent = true
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
	return n, err
}

// rolledBack rolls the published version back: the store then has none.
func rolledBack(t *testing.T, dir string) {
	t.Helper()
	if code := Run([]string{"rollback", "--last", "--store", filepath.Join(dir, "segrun.duckdb")}, io.Discard, io.Discard); code != ExitOK {
		t.Fatalf("rollback: exit %d", code)
	}
}

// rollBackTheLast rolls the store's latest version back, as segrun rollback --last does.
func rollBackTheLast(t *testing.T, dir string) {
	if _, stderr, code := run(t, "rollback", "--last", "--store", filepath.Join(dir, "segrun.duckdb")); code != ExitOK {
		t.Fatalf("rollback --last: exit %d: %s", code, stderr)
	}
}
