# gridwatch — one command to build, one to test. `make help` lists targets.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO ?= go
# go.mod names the toolchain with the latest security fixes (toolchain
# go1.26.10: govulncheck finds x509 and net/http holes in 1.26.8). auto lets
# an older local Go fetch it from the Go module proxy; set GOTOOLCHAIN=local
# in the environment to refuse.
export GOTOOLCHAIN ?= auto
# Packages on the alarm and telemetry hot path; `make bench-go` runs their benchmarks.
BENCH_PKGS ?= ./drivers/mqtt/wire ./gateway/ingest ./gateway/journal ./gateway/telemetry ./rules/engine ./rules/escalate
BENCHTIME ?= 1s
# `make county-load` passes these to gridsim county.
COUNTY_ARGS ?= -duration 3m -burst-at 90s
# How long `make fuzz` runs each fuzz target.
FUZZTIME ?= 10s
TEST_TIMEOUT ?= 25m
# `make chaos` runs the whole fault suite (internal/chaos); it takes ~20 minutes.
CHAOS_TIMEOUT ?= 45m
INFLUXD := $(CURDIR)/.cache/bin/influxd
NATS_SERVER := $(CURDIR)/.cache/bin/nats-server

.PHONY: help build test-deps check test interop chaos bench bench-go county-load demo fuzz clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build every package, and bin/gridwatchd and bin/gridsim
	$(GO) build ./...
	$(GO) build -o bin/gridwatchd ./gateway/cmd/gridwatchd
	$(GO) build -o bin/gridsim ./firmware-sim/cmd/gridsim

test-deps: ## Install what the tests need (mosquitto, influxd 1.8 and nats-server in .cache/bin) if missing
	bash scripts/test-deps.sh

check: ## gofmt, go vet, staticcheck and govulncheck (scripts/check.sh; tools pinned, in .cache)
	bash scripts/check.sh

test: test-deps ## Install test deps, check, then run every test with -race against real services (both run; fails if either fails)
	@rc=0; $(MAKE) --no-print-directory check || rc=$$?; \
	GRIDWATCH_REQUIRE_SERVICES=1 GRIDWATCH_INFLUXD=$(INFLUXD) GRIDWATCH_NATS=$(NATS_SERVER) \
		$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./... || rc=$$?; \
	exit $$rc

interop: test-deps ## Only the tests against independent implementations (pymodbus, libmodbus, ffmpeg, GStreamer), verbose
	GRIDWATCH_REQUIRE_SERVICES=1 $(GO) test -race -count=1 -v -run 'Interop|FFmpeg' ./drivers/... ./firmware-sim/... ./gateway/app/...

chaos: test-deps ## The whole fault suite under load (internal/chaos; table in chaos-report.txt), then the county tier end to end with a 2-minute cut (internal/countye2e)
	GRIDWATCH_CHAOS=full GRIDWATCH_REQUIRE_SERVICES=1 GRIDWATCH_INFLUXD=$(INFLUXD) \
		GRIDWATCH_CHAOS_REPORT=$(CURDIR)/chaos-report.txt \
		$(GO) test -count=1 -timeout $(CHAOS_TIMEOUT) -v -run 'TestChaos' ./internal/chaos/
	GRIDWATCH_COUNTYE2E=full GRIDWATCH_REQUIRE_SERVICES=1 GRIDWATCH_NATS=$(NATS_SERVER) \
		$(GO) test -count=1 -timeout 20m -v -run 'TestCountyEndToEnd' ./internal/countye2e/

bench: ## Press → page latency of gridwatchd vs the floor relay, embedded broker and Mosquitto (scripts/bench.sh; BENCH_SECONDS per target, ~4 min); table in bench-report.txt
	bash scripts/bench.sh

county-load: test-deps ## 300 simulated gateway uplinks, a measuring subscriber and a county view on a local 3-node NATS cluster (scripts/county-load.sh; COUNTY_ARGS, ~4 min)
	bash scripts/county-load.sh $(COUNTY_ARGS)

bench-go: ## Run the Go micro-benchmarks of the hot path (BENCH_PKGS, BENCHTIME)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(BENCH_PKGS)

demo: ## Run the demo (scripts/demo.sh)
	bash scripts/demo.sh

fuzz: ## Run every fuzz target for FUZZTIME each (default 10s)
	bash scripts/fuzz.sh $(FUZZTIME)

clean: ## Remove build outputs (bin/); keeps .cache (influxd takes minutes to build)
	rm -rf bin
	rm -f *.out *.test bench-report.txt bench-report.log
