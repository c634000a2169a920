// Command bench_engines runs the flagship on sharded PostgreSQL (internal/pgtest's coordinator and two
// postgres_fdw shards, orders and customers hash-partitioned by customer, all on this machine) with
// engine postgres, and the same job on DuckDB from the same generated data, and reports per run: wall
// time, segrun's CPU (user + system) and peak memory, the servers' CPU, the time segrun waited on the
// server and what crossed the network between them (runner.Result's engine report). Not part of make
// test; its figures go into BENCHMARKS.md ("The flagship at scale: engine postgres on shards against
// DuckDB").
//
// The data are generated (the demo's generator and seed) and loaded once per size under -data
// (.bench/engines/<customers>/: the CSV files and the three servers' clusters, kept between runs:
// a rerun starts the same clusters and skips loading).
//
// The specs are examples/pipelines/retail_postgres.yaml and retail.yaml, whole by default (every step
// kind runs on engine postgres). -cut removes parts of both, to measure a smaller job: top-level models,
// kpis, audiences, outcomes, priority_lists, destinations, exports; "audits" under segmentations; "clv",
// the segmentations of that method. A removed model M is replaced by a stand-in source M of (entity,
// M_score) scores (a table public.M on the coordinator, a file data/M.csv for DuckDB), the same on both,
// so the features reading it still run.
//
//	go run -tags duckdb_arrow ./scripts/bench_engines --customers 1000000 --reps 3
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/examples"
	"github.com/segrun/segrun/internal/pgflagship"
	"github.com/segrun/segrun/internal/pgtest"
	"github.com/segrun/segrun/runner"
)

// segmentationsCut is what engine postgres refused when the first figures were taken (BENCHMARKS.md's
// "segmentations only" rows): pass it as -cut to measure that job again.
const segmentationsCut = "models,kpis,audiences,outcomes,priority_lists,destinations,exports,audits,clv"

// workMem is every server's work_mem, as scripts/benchshards sets it: the features sort each shard's
// orders for count(distinct), which at PostgreSQL's default 4MB spills to disk.
const workMem = "1GB"

const (
	pgStore   = "bench_store"
	dsnEnv    = "SEGRUN_BENCH_PG_DSN"
	loadedTag = "loaded.json"
)

func main() {
	customers := flag.Int("customers", 1_000_000, "customers to generate (about 9 orders each)")
	reps := flag.Int("reps", 3, "repetitions of each engine's job, alternating")
	dataRoot := flag.String("data", ".bench/engines", "where data and clusters are kept between runs (a directory per size)")
	cut := flag.String("cut", "", `what to remove from the specs, comma-separated ("" runs the whole flagship; `+segmentationsCut+` the segmentations only)`)
	dates := flag.String("as-of", "2024-09-30,2024-12-31", "the runs' dates: a first version, then each a version against the one before")
	sample := flag.Int("sample-rows", 0, "the behaviour clustering's sample_rows on both engines (0: as the specs say)")
	skipDuck := flag.Bool("skip-duckdb", false, "run engine postgres only")
	flag.Parse()
	if err := run(*customers, *reps, *dataRoot, *cut, strings.Split(*dates, ","), *sample, *skipDuck); err != nil {
		fmt.Fprintln(os.Stderr, "bench_engines:", err)
		os.Exit(1)
	}
}

// Run is one segrun run, as measured from outside and as its JSON result says.
type Run struct {
	Engine       string               `json:"engine"`
	Rep          int                  `json:"rep"`
	AsOf         string               `json:"as_of"`
	Wall         float64              `json:"wall_seconds"`
	CPU          float64              `json:"segrun_cpu_seconds"`
	PeakMB       float64              `json:"segrun_peak_mb"`
	ServerCPU    float64              `json:"servers_cpu_seconds,omitempty"`
	Seconds      float64              `json:"result_seconds"`
	Outcome      string               `json:"outcome"`
	EngineReport *runner.EngineReport `json:"engine_report,omitempty"`
	Steps        []runner.StepReport  `json:"steps"`
	Sizes        map[string]int64     `json:"assigned"`
}

type report struct {
	Customers     int                `json:"customers"`
	Orders        int                `json:"orders"`
	Cut           string             `json:"cut"`
	Machine       string             `json:"machine"`
	LoadAvgBefore string             `json:"loadavg_before"`
	LoadAvgAfter  string             `json:"loadavg_after"`
	Load          map[string]float64 `json:"load_seconds"`
	DiskMB        map[string]float64 `json:"disk_mb"`
	Runs          []Run              `json:"runs"`
}

func run(customers, reps int, dataRoot, cut string, dates []string, sample int, skipDuck bool) error {
	ctx := context.Background()
	rep := report{Customers: customers, Cut: cut, Machine: machine(), LoadAvgBefore: loadavg(), Load: map[string]float64{}, DiskMB: map[string]float64{}}
	dir, err := filepath.Abs(filepath.Join(dataRoot, strconv.Itoa(customers)))
	if err != nil {
		return err
	}
	csvDir := filepath.Join(dir, "data")
	cuts := map[string]bool{}
	for _, c := range strings.Split(cut, ",") {
		if c = strings.TrimSpace(c); c != "" {
			cuts[c] = true
		}
	}
	models, err := modelNames()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(csvDir, examples.OrdersFile)); err != nil {
		t := time.Now()
		if _, err := pgflagship.Generate(csvDir, customers); err != nil {
			return err
		}
		rep.Load["generate"] = time.Since(t).Seconds()
		logf("generated %d customers in %.1f s", customers, rep.Load["generate"])
	}
	for _, m := range models {
		if err := writeStandIn(filepath.Join(csvDir, m+".csv"), m, customers); err != nil {
			return err
		}
	}

	bin := filepath.Join(dir, "segrun")
	logf("building segrun into %s", bin)
	if out, err := exec.Command("go", "build", "-tags", "duckdb_arrow", "-o", bin, "./cmd/segrun").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}

	pgDir := filepath.Join(dir, "pg")
	loaded := filepath.Join(pgDir, loadedTag)
	if _, err := os.Stat(loaded); err != nil {
		os.RemoveAll(pgDir) // no load finished: start over
	}
	t := time.Now()
	sh, fresh, err := pgtest.StartShardedIn(pgDir)
	if err != nil {
		return err
	}
	defer sh.Halt()
	logf("servers started in %.1f s", time.Since(t).Seconds())
	servers := append([]*pgtest.Server{sh.Coordinator}, sh.Shards...)
	if fresh {
		for _, s := range servers {
			if err := pgtest.Exec(ctx, s.DSN, "ALTER SYSTEM SET work_mem = '"+workMem+"'", "SELECT pg_reload_conf()"); err != nil {
				return err
			}
		}
		t := time.Now()
		logf("loading onto the shards")
		if err := pgflagship.LoadSharded(ctx, sh, csvDir); err != nil {
			return err
		}
		rep.Load["sharded"] = time.Since(t).Seconds()
		for _, m := range models {
			if err := loadStandIn(ctx, sh.Coordinator.DSN, csvDir, m); err != nil {
				return err
			}
		}
		b, _ := json.Marshal(rep.Load)
		if err := os.WriteFile(loaded, b, 0o644); err != nil {
			return err
		}
		logf("loaded in %.1f s", rep.Load["sharded"])
	} else if b, err := os.ReadFile(loaded); err == nil {
		json.Unmarshal(b, &rep.Load)
	}
	// Counted on each shard: through the coordinator, count(*) would pull every row from the shards.
	for _, s := range sh.Shards {
		var n int
		if err := queryOn(ctx, s.DSN, "SELECT count(*) FROM public.orders", &n); err != nil {
			return err
		}
		rep.Orders += n
	}
	rep.DiskMB["csv"] = duMB(csvDir)
	rep.DiskMB["servers"] = duMB(pgDir)

	os.Setenv(dsnEnv, sh.Coordinator.DSN)
	pgSpec := filepath.Join(dir, "retail_postgres.bench.yaml")
	duckSpec := filepath.Join(dir, "retail.bench.yaml")
	if err := writeSpec(pgflagship.PostgresSpec, pgSpec, cuts, models, sample, func(root *yaml.Node) {
		setKey(root, "engine", node(`{postgres: {dsn_env: `+dsnEnv+`}}`))
		setKey(root, "store", node("postgres:"+pgStore))
	}, func(m string) *yaml.Node {
		return node(`{table: public.` + m + `}`)
	}); err != nil {
		return err
	}
	if err := writeSpec(pgflagship.DuckDBSpec, duckSpec, cuts, models, sample, func(root *yaml.Node) {
		setKey(root, "store", node(filepath.Join(dir, "bench.duckdb")))
	}, func(m string) *yaml.Node {
		return node(`{path: data/` + m + `.csv, columns: {customer_id: {type: BIGINT}, ` + m + `_score: {type: DOUBLE}}}`)
	}); err != nil {
		return err
	}

	type job struct {
		name, spec string
		reset      func() error
	}
	jobs := []job{{"postgres (coordinator + 2 shards)", pgSpec, func() error {
		return pgtest.Exec(ctx, sh.Coordinator.DSN, "DROP SCHEMA IF EXISTS "+pgStore+" CASCADE")
	}}}
	if !skipDuck {
		jobs = append(jobs, job{"duckdb", duckSpec, func() error {
			for _, f := range []string{"bench.duckdb", "bench.duckdb.wal"} {
				os.Remove(filepath.Join(dir, f))
			}
			return nil
		}})
	}
	for r := range reps {
		for _, j := range jobs {
			if err := j.reset(); err != nil {
				return err
			}
			for _, asOf := range dates {
				res, err := runSegrun(bin, j.spec, asOf, servers)
				if err != nil {
					return fmt.Errorf("%s as of %s: %w", j.name, asOf, err)
				}
				res.Engine, res.Rep = j.name, r+1
				logf("%s rep %d as of %s: wall %.1f s, segrun cpu %.1f s, servers cpu %.1f s, peak %.0f MB%s",
					j.name, r+1, asOf, res.Wall, res.CPU, res.ServerCPU, res.PeakMB, engineLine(res.EngineReport))
				for _, st := range res.Steps {
					if st.Seconds >= 0.1 {
						logf("  %s %s: %d rows, %.1f s", st.Kind, st.Step, st.Rows, st.Seconds)
					}
				}
				rep.Runs = append(rep.Runs, res)
			}
		}
	}
	rep.LoadAvgAfter = loadavg()
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return err
	}
	printTable(rep, dates)
	return nil
}

// runSegrun runs `segrun run --format json` and measures it from outside: wall time, its CPU and peak
// resident memory (rusage), and the servers' CPU (their postmasters' reaped children: every backend,
// parallel worker and postgres_fdw connection that ended).
func runSegrun(bin, spec, asOf string, servers []*pgtest.Server) (Run, error) {
	before := serversCPU(servers)
	cmd := exec.Command(bin, "run", "--format", "json", "--as-of", asOf, spec)
	cmd.Dir = filepath.Dir(spec)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start).Seconds()
	if err != nil {
		return Run{}, fmt.Errorf("%v\n%s", err, stderr.String())
	}
	// The servers reap a run's backends as its connections close, just after segrun exits.
	time.Sleep(200 * time.Millisecond)
	var res runner.Result
	if err := json.Unmarshal(out, &res); err != nil {
		return Run{}, fmt.Errorf("the result: %v\n%s", err, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r := Run{AsOf: asOf, Wall: wall, Seconds: res.Seconds, Outcome: res.Outcome, EngineReport: res.Engine, Steps: res.Steps,
		CPU:    time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds(),
		PeakMB: float64(ru.Maxrss) / 1024, Sizes: map[string]int64{}}
	if res.Engine != nil {
		r.ServerCPU = serversCPU(servers) - before
	}
	for _, s := range res.Segmentations {
		if s.Diff != nil {
			r.Sizes[s.Name] = s.Diff.Assigned
		}
	}
	return r, nil
}

// serversCPU sums the CPU seconds of the servers' postmasters' children that have ended (cutime +
// cstime in /proc/PID/stat), at the kernel's clock ticks of 100 a second.
func serversCPU(servers []*pgtest.Server) float64 {
	var total float64
	for _, s := range servers {
		b, err := os.ReadFile(filepath.Join(s.DataDir(), "postmaster.pid"))
		if err != nil {
			continue
		}
		pid := strings.SplitN(string(b), "\n", 2)[0]
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		// After the command: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
		for _, i := range []int{16, 17} {
			v, _ := strconv.ParseFloat(f[i-3], 64)
			total += v / 100
		}
	}
	return total
}

func engineLine(e *runner.EngineReport) string {
	if e == nil {
		return ""
	}
	return fmt.Sprintf("; %.1f s in the server, %.1f s in segrun; pulled %d rows / %.2f MB, sent %.2f MB in %d statements",
		e.ServerSeconds, e.SegrunSeconds, e.RowsPulled, float64(e.BytesPulled)/1e6, float64(e.BytesPushed)/1e6, e.Statements)
}

// printTable writes the medians by engine and date as a Markdown table on stderr, for BENCHMARKS.md.
func printTable(rep report, dates []string) {
	w := os.Stderr
	fmt.Fprintf(w, "\n%d customers, %d orders; medians of %d repetitions\n\n", rep.Customers, rep.Orders, len(rep.Runs)/max(1, len(dates))/2)
	fmt.Fprintln(w, "| engine | as of | wall | segrun CPU | servers' CPU | in the server | in segrun | rows pulled | MB pulled | MB sent | segrun peak |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	var engines []string
	for _, r := range rep.Runs {
		if !slices.Contains(engines, r.Engine) {
			engines = append(engines, r.Engine)
		}
	}
	for _, e := range engines {
		for _, d := range dates {
			var runs []Run
			for _, r := range rep.Runs {
				if r.Engine == e && r.AsOf == d {
					runs = append(runs, r)
				}
			}
			med := func(f func(Run) float64) float64 {
				xs := make([]float64, len(runs))
				for i, r := range runs {
					xs[i] = f(r)
				}
				return median(xs)
			}
			row := fmt.Sprintf("| %s | %s | %.1f s | %.1f s |", e, d, med(func(r Run) float64 { return r.Wall }), med(func(r Run) float64 { return r.CPU }))
			if runs[0].EngineReport != nil {
				er := func(f func(*runner.EngineReport) float64) float64 {
					return med(func(r Run) float64 { return f(r.EngineReport) })
				}
				row += fmt.Sprintf(" %.1f s | %.1f s | %.1f s | %s | %.2f | %.2f |", med(func(r Run) float64 { return r.ServerCPU }),
					er(func(e *runner.EngineReport) float64 { return e.ServerSeconds }), er(func(e *runner.EngineReport) float64 { return e.SegrunSeconds }),
					thousands(int64(er(func(e *runner.EngineReport) float64 { return float64(e.RowsPulled) }))),
					er(func(e *runner.EngineReport) float64 { return float64(e.BytesPulled) / 1e6 }),
					er(func(e *runner.EngineReport) float64 { return float64(e.BytesPushed) / 1e6 }))
			} else {
				row += " - | - | - | - | - | - |"
			}
			row += fmt.Sprintf(" %.0f MB |", med(func(r Run) float64 { return r.PeakMB }))
			fmt.Fprintln(w, row)
		}
	}
}

// writeSpec writes example cut by cuts, with each cut model replaced by its stand-in source, edited
// further by edit.
func writeSpec(example, path string, cuts map[string]bool, models []string, sample int, edit func(*yaml.Node), standIn func(model string) *yaml.Node) error {
	src, err := examples.Pipelines.ReadFile(example)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return err
	}
	root := doc.Content[0]
	for _, k := range []string{"models", "kpis", "audiences", "outcomes", "priority_lists", "destinations", "exports"} {
		if cuts[k] {
			deleteKey(root, k)
		}
	}
	if cuts["models"] {
		for _, m := range models {
			setKey(getKey(root, "sources"), m, standIn(m))
		}
	}
	segs := getKey(root, "segmentations")
	for i := 0; i+1 < len(segs.Content); i += 2 {
		seg := segs.Content[i+1]
		if cuts["clv"] && getKey(seg, "clv") != nil {
			segs.Content = append(segs.Content[:i], segs.Content[i+2:]...)
			i -= 2
			continue
		}
		if cuts["audits"] {
			deleteKey(seg, "audits")
		}
		if c := getKey(seg, "cluster"); c != nil && sample > 0 {
			setKey(c, "sample_rows", node(strconv.Itoa(sample)))
		}
	}
	edit(root)
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}

// modelNames are the flagship's models (the same in both specs).
func modelNames() ([]string, error) {
	src, err := examples.Pipelines.ReadFile(pgflagship.DuckDBSpec)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	var names []string
	if m := getKey(doc.Content[0], "models"); m != nil {
		for i := 0; i < len(m.Content); i += 2 {
			names = append(names, m.Content[i].Value)
		}
	}
	return names, nil
}

// writeStandIn writes a model's stand-in scores, as internal/pgflagship's tests do for the churn model:
// every customer but each fifth (left unscored), a score in [0, 1) from their id, written with 17
// significant digits so both engines read the same double.
func writeStandIn(path, model string, customers int) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	b := []byte("customer_id," + model + "_score\n")
	for id := 1; id <= customers; id++ {
		if id%5 == 0 {
			continue
		}
		score := math.Mod(float64(id)*0.6180339887498949, 1)
		b = strconv.AppendInt(b, int64(id), 10)
		b = append(b, ',')
		b = strconv.AppendFloat(b, score, 'g', 17, 64)
		b = append(b, '\n')
	}
	return os.WriteFile(path, b, 0o644)
}

func loadStandIn(ctx context.Context, dsn, csvDir, model string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE TABLE public.%s (customer_id bigint NOT NULL, %s_score double precision NOT NULL)", model, model)); err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(csvDir, model+".csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pgflagship.CopyCSV(ctx, conn, f, "public."+model); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "ANALYZE public."+model)
	return err
}

func node(text string) *yaml.Node {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(text), &n); err != nil {
		panic(err)
	}
	return n.Content[0]
}

func getKey(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

func setKey(m *yaml.Node, key string, value *yaml.Node) {
	deleteKey(m, key)
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, value)
}

func queryOn(ctx context.Context, dsn, q string, dest any) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, q).Scan(dest)
}

func duMB(dir string) float64 {
	out, err := exec.Command("du", "-sm", dir).Output()
	if err != nil {
		return 0
	}
	v, _ := strconv.ParseFloat(strings.Fields(string(out))[0], 64)
	return v
}

func machine() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			return strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
		}
	}
	return ""
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
