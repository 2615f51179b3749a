# govfleet — the two commands a newcomer needs:
#   make run    build the console and the binary, start the demo on SQLite
#   make test   run every test (Go on SQLite, and PostgreSQL when
#               GOVFLEET_TEST_POSTGRES is set; browser tests in Chromium)

GO      ?= go
BIN     := bin/govfleet
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
WEB_SRC := $(shell find web/src web/index.html web/vite.config.js web/package.json -type f 2>/dev/null)

.PHONY: run build web test test-go test-browser bench clean

run: build
	$(BIN) serve --demo

build: web
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/govfleet

web: web/dist/app/index.html

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund

web/dist/app/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && npm run build

# Both halves run at once (the browser tests mostly wait on pages, the Go
# tests compile and compute; every test holds on a busy machine), each
# reports even when the other fails — the browser tests' report follows the
# Go tests' — then the target fails if either did. The Go tests do not wait
# for the console and the binary: they start at once, beside `npm ci` and
# the console's build; only cmd/govfleet, which embeds the console, waits
# for the build (GOVFLEET_BUILT: the file the browser half writes then).
# The Go half runs at a lower priority (nice 10): the browser half is the
# longer one, so the cores go to it first and the Go tests fill the rest.
# TMPDIR: a fresh directory on tmpfs (/dev/shm, when it is there) for the
# whole run: the tests' SQLite files and their per-test copies, the browser
# servers' data directories, Chromium's profiles and go test's build
# directory live in memory, so their commits' fsyncs and the copies never
# wait on the disk; removed at the end.
TEST_TMP = $$(mktemp -d -p /dev/shm govfleet-test-XXXXXX 2>/dev/null || mktemp -d)
test:
	@go=0; browser=0; log=$$(mktemp); built=$$(mktemp -u); tmp=$(TEST_TMP); export TMPDIR=$$tmp; \
	( if $(MAKE) --no-print-directory build >"$$log" 2>&1; then echo ok >"$$built"; \
	  $(MAKE) --no-print-directory test-browser >>"$$log" 2>&1; else echo failed >"$$built"; exit 1; fi ) & bpid=$$!; \
	GOVFLEET_BUILT="$$built" nice -n 10 $(MAKE) --no-print-directory test-go || go=1; \
	wait $$bpid || browser=1; cat "$$log"; rm -rf "$$log" "$$built" "$$tmp"; \
	echo "make test: go vet + Go tests $$( [ $$go = 0 ] && echo passed || echo FAILED ); browser tests $$( [ $$browser = 0 ] && echo passed || echo FAILED )"; \
	[ $$go = 0 ] && [ $$browser = 0 ]

# go test vets what it tests (-vet=all: every check of go vet), go vet the
# packages without tests; the packages share the demo databases they start
# from (storetest.SharedEnv), filled once by the first that needs them, whose
# directory and PostgreSQL template databases are dropped at the end.
# internal/httpapi, the longest package, is named first so that it is built
# and started first; -parallel 8: its tests (t.Parallel) mostly wait on
# PostgreSQL round trips, so more of them run at once than there are cores. The packages that embed the console (cmd/govfleet, web)
# run last, once the console is built: at once when GOVFLEET_BUILT is unset
# (make test-go alone), else when the file it names says the
# build is done.
EMBEDS := ./cmd/govfleet ./web
test-go:
	@if [ -z "$$GOVFLEET_BUILT" ]; then tmp=$(TEST_TMP); export TMPDIR=$$tmp; fi; \
	seeds=$$(mktemp -d); rc=0; \
	GOVFLEET_TEST_SEEDS=$$seeds $(GO) test -vet=all -parallel 8 -timeout 40m ./internal/httpapi $$($(GO) list ./... | grep -v -e '^govfleet/cmd/govfleet$$' -e '^govfleet/web$$') || rc=1; \
	$(GO) vet $$($(GO) list -f '{{if not (or .TestGoFiles .XTestGoFiles)}}{{.ImportPath}}{{end}}' ./... | grep -v -e '^govfleet/web$$') || rc=1; \
	if [ -n "$$GOVFLEET_BUILT" ]; then while [ ! -s "$$GOVFLEET_BUILT" ]; do sleep 1; done; fi; \
	if [ -z "$$GOVFLEET_BUILT" ] || [ "$$(cat "$$GOVFLEET_BUILT")" = ok ]; then \
	  $(GO) vet ./web && GOVFLEET_TEST_SEEDS=$$seeds $(GO) test -vet=all -parallel 8 -timeout 40m $(EMBEDS) || rc=1; \
	else echo "cmd/govfleet not tested: the build failed"; rc=1; fi; \
	for f in $$seeds/*-postgres.done; do [ -f "$$f" ] || continue; \
	  psql "$$GOVFLEET_TEST_POSTGRES" -qc "DROP DATABASE IF EXISTS $$(cat "$$f") WITH (FORCE)" || echo "drop the test template database $$(cat "$$f") by hand"; done; \
	rm -rf "$$seeds" $$tmp; exit $$rc

test-browser: build
	./scripts/ensure-chromium
	@case "$$TMPDIR" in */govfleet-test-*) ;; *) tmp=$(TEST_TMP); export TMPDIR=$$tmp;; esac; \
	cd web && GOVFLEET_BIN=../$(BIN) npm run test:browser; rc=$$?; [ -z "$$tmp" ] || rm -rf "$$tmp"; exit $$rc

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin web/dist/app
