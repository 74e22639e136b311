# The front door: `make run` and `make test`. Everything builds without cgo.
export CGO_ENABLED := 0

GO    ?= go
TEMPL := $(GO) tool templ
BIN   := bin/referrals

.PHONY: run build test check generate e2e fuzz bench bench-compare load

## run: build, fill the embedded database with demo data (once) and serve on http://localhost:8080
run: build
	./$(BIN) seed --demo
	./$(BIN) serve

build: generate
	$(GO) build -o $(BIN) ./cmd/referrals

## generate: regenerate the templ components (the generated files are committed)
generate:
	$(TEMPL) generate

## test: every test, on SQLite and on PostgreSQL (127.0.0.1:5432 or TEST_DATABASE_URL)
test:
	$(GO) test -count=1 ./...

## e2e: browser journeys in Debian's Chromium (apt-get install -y chromium), checked with axe-core;
## screenshots go to e2e/artifacts (or $$E2E_ARTIFACTS)
e2e:
	npm ci --prefix e2e --no-audit --no-fund --loglevel=error
	$(GO) test -tags e2e -count=1 ./e2e/
## bench: seed SQLite and PostgreSQL at the stated scale (100,000 freelancers, 200,000
## referrals, 1,000,000 earnings, 10,000 approved payouts) and at a tenth of it, measure over
## loopback and print one table; about 2 minutes, at most 20 (-timeout). Smaller: BENCH_FLAGS="-scale 0.1"
BENCH_FLAGS ?=
bench: build
	$(GO) run ./bench $(BENCH_FLAGS)

## bench-compare: the bench for git revision REV (A) and for the working tree (B) on copies of
## one seeded database, interleaved A B A B A B, each phase's median and the ratio B/A,
## CPU per request included; about 10 minutes. E.g. make bench-compare REV=main BENCH_FLAGS="-dbs postgres"
REV ?=
bench-compare: build
	@test -n "$(REV)" || { echo "usage: make bench-compare REV=<git revision> [BENCH_FLAGS=...]"; exit 2; }
	$(GO) run ./bench -compare "$(REV)" $(BENCH_FLAGS)

## load: GET /dashboard at a steady LOAD_RATE per second for LOAD_TIME on loopback (SQLite,
## small seeded scale); fails on any error. More: LOAD_FLAGS="-dbs postgres -scale 0.1"
LOAD_TIME ?= 60s
LOAD_RATE ?= 200
LOAD_FLAGS ?=
load: build
	$(GO) run ./bench -load $(LOAD_TIME) -rate $(LOAD_RATE) $(LOAD_FLAGS)

## fuzz: run each fuzz test for FUZZTIME (make test runs their seed corpora only)
FUZZTIME ?= 20s
fuzz:
	$(GO) test ./models -run '^$$' -fuzz '^FuzzParseEarningsCSV$$' -fuzztime $(FUZZTIME)
	$(GO) test ./models -run '^$$' -fuzz '^FuzzParseDollars$$' -fuzztime $(FUZZTIME)
	$(GO) test ./handlers -run '^$$' -fuzz '^FuzzParseSignature$$' -fuzztime $(FUZZTIME)

## check: generated files current, gofmt-clean, vet-clean
check:
	@before="$$(git diff -- '*_templ.go' | md5sum)"; \
	$(TEMPL) generate >/dev/null 2>&1; \
	test "$$before" = "$$(git diff -- '*_templ.go' | md5sum)" || { echo "templ files were stale: run make generate and commit"; exit 1; }
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "not gofmt-clean"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags e2e ./e2e/
