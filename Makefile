# segrun's build. Go needs the duckdb_arrow tag everywhere: bulk data moves between DuckDB and Go as Arrow.
export GOFLAGS := -tags=duckdb_arrow
GO ?= go
BIN := bin/segrun
FUZZTIME ?= 10s
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

# Each fuzz target briefly: spec loading, preprocessing, k-means and DBSCAN must never panic, and the plain
# CSV reader must read nothing differently from DuckDB.
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./spec/
	$(GO) test -run='^$$' -fuzz='^FuzzPlainCSV$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./sql/
	$(GO) test -run='^$$' -fuzz='^FuzzPrep$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./algorithms/
	$(GO) test -run='^$$' -fuzz='^FuzzKMeans$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./algorithms/
	$(GO) test -run='^$$' -fuzz='^FuzzDBSCAN$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./algorithms/

lint:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# The flagship example end to end on generated data: two as-of dates, then who moved.
demo: build
	$(BIN) demo $(DEMO_DIR)
	$(BIN) run $(DEMO_DIR)/retail.yaml --as-of 2024-09-30
	$(BIN) run $(DEMO_DIR)/retail.yaml --as-of 2024-12-31
	$(BIN) changes lifecycle --store $(DEMO_DIR)/segrun.duckdb

# segrun against ../shared/bench/peer_pandas.py and scikit-learn, side by side on this machine, in one run;
# the figures go into BENCHMARKS.md. BENCH_CUSTOMERS scales the pipeline benchmark (default 1M).
BENCH_CUSTOMERS ?= 1000000
bench: build
	$(GO) test -run '^$$' -bench 'RuleEngine' -benchtime 5x ./runner/
	/usr/bin/python3 scripts/bench_pipeline.py --customers $(BENCH_CUSTOMERS)
	/usr/bin/python3 scripts/bench_algorithms.py

# Regenerates the scikit-learn reference results (needs Debian's python3-sklearn).
golden:
	/usr/bin/python3 scripts/sklearn_golden.py algorithms/testdata/golden

clean:
	rm -rf bin $(DEMO_DIR) .bench
