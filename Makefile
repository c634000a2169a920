# segrun's build. Go needs the duckdb_arrow tag everywhere: bulk data moves between DuckDB and Go as Arrow.
export GOFLAGS := -tags=duckdb_arrow
GO ?= go
BIN := bin/segrun
# Each fuzz target runs a fixed number of executions, about 10 s on the project's 2-core machines. A count,
# not a duration: Go 1.26's fuzz coordinator can report "context deadline exceeded" as a failure when a
# duration ends while a worker is mid-input (golang/go#75804, fixed in Go 1.27), with nothing found.
# FUZZTIME=30s (or 5000x) overrides every target's budget.
FUZZTIME ?=
fuzzbudget = $(if $(FUZZTIME),$(FUZZTIME),$(1))
# A new interesting input is minimised for up to this long; Go's default (60s) would use up FUZZTIME.
FUZZMINIMIZE ?= 1s
DEMO_DIR ?= .demo

.PHONY: build test fuzz lint demo bench golden clean

build:
	$(GO) build -o $(BIN) ./cmd/segrun

# The test command CI runs (.ci/run): every package's tests, then each fuzz target briefly.
test:
	$(GO) test ./...
	@test -f ../shared/datasets/online_retail/online_retail.csv.gz || \
		echo "note: ../shared/datasets/online_retail is not beside this checkout; the real-data test was skipped"
	$(MAKE) fuzz

# Each fuzz target briefly: spec loading, preprocessing, k-means, DBSCAN and the command line must never
# panic (and every command line must exit with a documented code), and the plain CSV reader must read
# nothing differently from DuckDB.
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(call fuzzbudget,15000x) -fuzzminimizetime=$(FUZZMINIMIZE) ./spec/
	$(GO) test -run='^$$' -fuzz='^FuzzPlainCSV$$' -fuzztime=$(call fuzzbudget,1500x) -fuzzminimizetime=$(FUZZMINIMIZE) ./sql/
	$(GO) test -run='^$$' -fuzz='^FuzzPrep$$' -fuzztime=$(call fuzzbudget,100000x) -fuzzminimizetime=$(FUZZMINIMIZE) ./algorithms/
	$(GO) test -run='^$$' -fuzz='^FuzzKMeans$$' -fuzztime=$(call fuzzbudget,50000x) -fuzzminimizetime=$(FUZZMINIMIZE) ./algorithms/
	$(GO) test -run='^$$' -fuzz='^FuzzDBSCAN$$' -fuzztime=$(call fuzzbudget,50000x) -fuzzminimizetime=$(FUZZMINIMIZE) ./algorithms/
	$(GO) test -run='^$$' -fuzz='^FuzzArgs$$' -fuzztime=$(call fuzzbudget,15000x) -fuzzminimizetime=$(FUZZMINIMIZE) ./cli/

lint:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# The flagship example end to end on generated data: two as-of dates, then who moved, then the report to
# open in a browser. Repeatable: the data is
# regenerated identically from its seed and the demo's own store starts afresh, since versions are ordered by
# as-of and a second demo's first date would be earlier than the first demo's last.
demo: build
	rm -f $(DEMO_DIR)/segrun.duckdb $(DEMO_DIR)/segrun.duckdb.wal
	$(BIN) demo $(DEMO_DIR)
	$(BIN) run $(DEMO_DIR)/retail.yaml --as-of 2024-09-30
	$(BIN) run $(DEMO_DIR)/retail.yaml --as-of 2024-12-31
	$(BIN) changes lifecycle --store $(DEMO_DIR)/segrun.duckdb
	$(BIN) changes winback_email --store $(DEMO_DIR)/segrun.duckdb
	$(BIN) measure winback_email --outcome conversions $(DEMO_DIR)/retail.yaml
	$(BIN) measure winback_email --outcome campaign_revenue $(DEMO_DIR)/retail.yaml
	$(BIN) report $(DEMO_DIR)/retail.yaml --out $(DEMO_DIR)/report.html
	@echo "open $(abspath $(DEMO_DIR))/report.html in a browser: the segments as charts"

# segrun against ../shared/bench/peer_pandas.py and scikit-learn, side by side on this machine, in one run;
# the figures go into BENCHMARKS.md. BENCH_CUSTOMERS scales the pipeline benchmark (default 1M).
BENCH_CUSTOMERS ?= 1000000
bench: build
	$(GO) test -run '^$$' -bench 'RuleEngine' -benchtime 5x ./runner/rules/
	/usr/bin/python3 scripts/bench_pipeline.py --customers $(BENCH_CUSTOMERS)
	/usr/bin/python3 scripts/bench_algorithms.py

# Regenerates the scikit-learn reference results (needs Debian's python3-sklearn).
golden:
	/usr/bin/python3 scripts/sklearn_golden.py algorithms/testdata/golden
	/usr/bin/python3 scripts/models_golden.py algorithms/testdata/golden

clean:
	rm -rf bin $(DEMO_DIR) .bench
