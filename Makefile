# dumpflow — the habits of the project. `make help` lists the targets.
SHELL := /bin/bash
GO    ?= go
PKGS  ?= ./...
FUZZTIME ?= 30s
# BENCH_TMPFS is where the worker stream benchmark writes (tmpfs: the disk out of the picture).
BENCH_TMPFS ?= /dev/shm

.PHONY: help build test check vet fmt fuzz bench bench-vegeta demo e2e chaos images report-screenshot azurite clean flaky

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

build: ## build the three binaries into bin/
	$(GO) build -o bin/ ./cmd/...

test: ## the test command of the README and CI: race detector, every package
	$(GO) test -race $(PKGS)

vet: ## go vet
	$(GO) vet $(PKGS)

fmt: ## fail if any file needs gofmt
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

check: vet fmt test ## vet + gofmt + race tests

FLAKY_N ?= 5
flaky: ## run the whole suite FLAKY_N times (-race) and list every test that failed
	$(GO) run ./test/flaky -n $(FLAKY_N) $(PKGS)

fuzz: ## run every fuzz target for FUZZTIME each
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10x $$pkg; \
	  done; done

bench: ## benchmarks: go test -bench, then the test/bench programs (see docs/benchmarks.md)
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/...
	$(GO) run ./test/bench/worker stream --dir $(BENCH_TMPFS)
	$(GO) run ./test/bench/worker fanout
	bash .ci/azurite.sh install && $(GO) run ./test/bench/worker azure
	$(GO) run ./test/bench/ingest --alerts 20000 --concurrency 32
	$(GO) run ./test/bench/ingest --alerts 30000 --concurrency 64 --rate 5000

bench-vegeta: ## ingest load with vegeta on the real binary (INGEST=path measures another build; see docs/benchmarks.md)
	test/bench/vegeta/run.sh

demo: ## run the whole pipeline locally (the README's first command)
	$(GO) run ./test/demo

e2e: ## end-to-end tests of the three binaries as processes
	$(GO) test -race -count=1 ./test/e2e/...

chaos: ## the full chaos run (1,000 targets with faults and SIGKILLs)
	$(GO) run ./test/chaos --targets 1000

REGISTRY ?= dumpflow
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

images: ## container images, one per binary (needs a Docker engine with BuildKit)
	@set -e; for svc in ingest worker analyzer; do \
	  docker build -f deploy/docker/Dockerfile --target $$svc \
	    --build-arg VERSION=$(VERSION) --build-arg REVISION=$$(git rev-parse HEAD) \
	    --build-arg CREATED=$$(date -u +%Y-%m-%dT%H:%M:%SZ) \
	    -t $(REGISTRY)/dumpflow-$$svc:$(VERSION) . ; \
	done

azurite: ## install the pinned Azurite used by the blob tests
	bash .ci/azurite.sh install

report-screenshot: ## render the sample incident report and screenshot it in headless Chromium at 1000 and 1400 px
	$(GO) run ./cmd/analyzer render-sample --out /tmp/dumpflow-report
	@for w in 1000 1400; do \
	  chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
	    --disable-sync --no-first-run --user-data-dir=$$(mktemp -d) --window-size=$$w,1600 \
	    --screenshot=/tmp/dumpflow-report/screenshot-$$w.png file:///tmp/dumpflow-report/index.html 2>/dev/null; \
	  echo "screenshot: /tmp/dumpflow-report/screenshot-$$w.png"; \
	done
	$(GO) test -count=1 -run TestReportFitsScreens ./pkg/report

clean: ## remove build output and the local data directory
	rm -rf bin dumpflow-data
