package runner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segrun/segrun/examples"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// The crash tests run pipelines in child processes: the test binary re-executed with SEGRUN_TEST_CHILD set,
// so that a kill -9 is a real kill of a real process holding the store.
func TestMain(m *testing.M) {
	switch os.Getenv("SEGRUN_TEST_CHILD") {
	case "run":
		os.Exit(childRun())
	case "hold":
		os.Exit(childHold())
	}
	os.Exit(m.Run())
}

func childRun() int {
	asOf, _ := time.Parse(time.DateOnly, os.Getenv("SEGRUN_TEST_AS_OF"))
	o := RunOptions{AsOf: asOf, StorePath: os.Getenv("SEGRUN_TEST_STORE")}
	if os.Getenv("SEGRUN_TEST_PAUSE_BEFORE_COMMIT") != "" {
		o.Hooks.BeforeCommit = func() {
			fmt.Println("paused before commit")
			time.Sleep(time.Hour)
		}
	}
	_, err := Run(context.Background(), os.Getenv("SEGRUN_TEST_SPEC"), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func childHold() int {
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		return 3
	}
	if _, err := store.Attach(ctx, db, os.Getenv("SEGRUN_TEST_STORE"), store.ReadWrite, 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	fmt.Println("holding")
	d, _ := time.ParseDuration(os.Getenv("SEGRUN_TEST_HOLD"))
	time.Sleep(d)
	return 0
}

func child(t *testing.T, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// crashSpec is a pipeline over the synthetic retail data, big enough that publishing takes a while.
const crashSpec = `version: 1
name: crash
entity: customer_id
sources:
  orders: {path: data/orders.csv}
features:
  rfm:
    sql: |
      select customer_id,
             date_part('day', getvariable('as_of')::timestamp - max(ordered_at)) as recency_days,
             count(distinct order_id) as frequency, sum(amount) as monetary
      from orders where ordered_at < getvariable('as_of') and amount > 0 group by customer_id
segmentations:
  lifecycle:
    from: rfm
    rules:
      - {segment: champions, when: "recency_days <= 30 && frequency >= 8"}
      - {segment: at_risk, when: "recency_days > 90 && monetary >= 1000"}
      - {segment: lapsed, when: "recency_days > 365"}
    else: regulars
  value:
    from: rfm
    rfm: {recency: recency_days, frequency: frequency, monetary: monetary}
`

// storeState is a canonical digest of everything in a store, to compare stores exactly.
func storeState(t *testing.T, path string) string {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Read-write, as the next run would open it: DuckDB replays whatever the killed process left in its WAL.
	if _, err := store.Attach(ctx, db, path, store.ReadWrite, 0); err != nil {
		t.Fatal(err)
	}
	var state string
	err = db.QueryRow(ctx, `SELECT concat_ws(' | ',
		(SELECT string_agg(run_id || ':' || status, ',' ORDER BY run_id) FROM segrun_store.runs),
		(SELECT count(*) || ' ' || md5(string_agg(r, ';' ORDER BY r)) FROM (SELECT concat_ws(',', entity, segmentation, segment, valid_from_run, valid_to_run) AS r FROM segrun_store.memberships)),
		(SELECT count(*) || ' ' || md5(string_agg(r, ';' ORDER BY r)) FROM (SELECT concat_ws(',', run_id, segmentation, entity, segment, event) AS r FROM segrun_store.changes)),
		(SELECT count(*) FROM segrun_store.segments), (SELECT count(*) FROM segrun_store.transitions),
		(SELECT count(*) FROM segrun_store.segmentation_versions))`).Scan(&state)
	if err != nil {
		t.Fatal(err)
	}
	return state
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestKilledRunLeavesTheStoreIntact(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes; skipped with -short")
	}
	dir := t.TempDir()
	if _, err := examples.GenerateRetail(filepath.Join(dir, "data"), examples.RetailOptions{Customers: 20000}); err != nil {
		t.Fatal(err)
	}
	specPath := filepath.Join(dir, "crash.yaml")
	if err := os.WriteFile(specPath, []byte(crashSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	// Version 1 is published; its state is "before". A copy runs version 2 to the end: "after".
	beforeStore := filepath.Join(dir, "before.duckdb")
	if _, err := Run(context.Background(), specPath, RunOptions{AsOf: date("2024-06-30"), StorePath: beforeStore}); err != nil {
		t.Fatal(err)
	}
	before := storeState(t, beforeStore)
	afterStore := filepath.Join(dir, "after.duckdb")
	copyFile(t, beforeStore, afterStore)
	start := time.Now()
	if _, err := Run(context.Background(), specPath, RunOptions{AsOf: date("2024-12-31"), StorePath: afterStore}); err != nil {
		t.Fatal(err)
	}
	runTime := time.Since(start)
	after := storeState(t, afterStore)
	if before == after {
		t.Fatal("version 2 changed nothing; the test would prove nothing")
	}
	runChild := func(store string, env ...string) *exec.Cmd {
		return child(t, append([]string{"SEGRUN_TEST_CHILD=run", "SEGRUN_TEST_SPEC=" + specPath, "SEGRUN_TEST_AS_OF=2024-12-31",
			"SEGRUN_TEST_STORE=" + store}, env...)...)
	}

	t.Run("inside the publishing transaction", func(t *testing.T) {
		store := filepath.Join(t.TempDir(), "s.duckdb")
		copyFile(t, beforeStore, store)
		cmd := runChild(store, "SEGRUN_TEST_PAUSE_BEFORE_COMMIT=1")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if !strings.Contains(line, "paused before commit") {
			cmd.Process.Kill()
			t.Fatalf("child did not reach the commit: %q", line)
		}
		cmd.Process.Kill()
		cmd.Wait()
		if got := storeState(t, store); got != before {
			t.Fatalf("killed before COMMIT, the store changed:\n got    %s\n before %s", got, before)
		}
	})

	t.Run("at random moments", func(t *testing.T) {
		// The child's run includes process start-up, so kill delays span a little more than an in-process run.
		r := rand.New(rand.NewPCG(7, 7))
		outcomes := map[string]int{}
		for i := range 12 {
			store := filepath.Join(t.TempDir(), "s.duckdb")
			copyFile(t, beforeStore, store)
			cmd := runChild(store)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			delay := time.Duration(r.Float64() * 1.6 * float64(runTime))
			time.Sleep(delay)
			cmd.Process.Kill()
			cmd.Wait()
			switch got := storeState(t, store); got {
			case before:
				outcomes["before"]++
			case after:
				outcomes["after"]++
			default:
				t.Fatalf("kill %d after %v left a store that is neither before nor after the run:\n got    %s\n before %s\n after  %s", i, delay, got, before, after)
			}
		}
		t.Logf("kills: %v (run takes %v in-process)", outcomes, runTime)
		if outcomes["before"] == 0 {
			t.Error("no kill interrupted a run; the test proved nothing")
		}
	})
}

func TestLockedStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process; skipped with -short")
	}
	f := newFixture(t, fixtureSpec, fixtureOrders)
	store := filepath.Join(f.dir, "segrun.duckdb")
	f.mustRun("2024-03-01", nil)
	holder := child(t, "SEGRUN_TEST_CHILD=hold", "SEGRUN_TEST_STORE="+store, "SEGRUN_TEST_HOLD=1500ms")
	out, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer holder.Wait()
	if line, _ := bufio.NewReader(out).ReadString('\n'); !strings.Contains(line, "holding") {
		t.Fatalf("holder: %q", line)
	}
	_, err := f.run("2024-06-01", nil)
	if !errors.Is(err, sql.ErrLocked) || !strings.Contains(err.Error(), store) || !strings.Contains(err.Error(), "--wait") {
		t.Fatalf("second run on a held store: %v", err)
	}
	// The holder is not segrun (it is this test binary, as a DuckDB client would be): the message says
	// which process it is rather than blaming another run.
	if want := fmt.Sprintf("(PID %d), a DuckDB client or another program", holder.Process.Pid); !strings.Contains(err.Error(), want) ||
		strings.Contains(err.Error(), "another segrun run") {
		t.Errorf("the message does not name the holder (%s): %v", want, err)
	}
	// With --wait, the run waits for the holder to finish and then publishes.
	res := f.mustRun("2024-06-01", func(o *RunOptions) { o.Wait = 20 * time.Second })
	if res.RunID != 2 {
		t.Fatalf("after waiting: %+v", res)
	}
}
