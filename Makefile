# pgrex — build, test and lab entry points. Every target that needs software
# installs it itself (see `setup`), so a fresh Debian 12 machine as root only
# needs `make demo` or `make test`.

SHELL        := /bin/bash
GO           ?= go
DESTDIR      ?=
PROVIDER     ?= pgrex
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0-dev)
LDFLAGS      := -X github.com/pgrex/pgrex/ra/version.Version=$(VERSION)
STATICCHECK_VERSION := v0.8.2
GOBIN        ?= $(shell $(GO) env GOPATH)/bin
export PATH  := $(GOBIN):/usr/local/go/bin:$(PATH)
# Built and tested without cgo: a statically linked agent starts about a
# millisecond faster per call (make bench, "Start-up alone"); ra/pg asks
# getent(1) for what NSS knows beyond /etc/passwd and /etc/group.
export CGO_ENABLED := 0

# Debian packages the tests need (prometheus for promtool, which checks the
# exporter's metrics; pcs, used offline with -f on CIB files only, for the
# crmgen pcs script test); the lab adds its own in test/lab/lab.mk.
DEB_PACKAGES := postgresql-15 pacemaker-cli-utils resource-agents fence-agents libxml2-utils procps iproute2 strace crmsh prometheus pcs
# The OS user the tests run PostgreSQL as (never root, never the system's postgres).
TEST_USER    := pgrextest

.PHONY: all build test unit integration lint setup install bench bench-monitors bench-doc bench-lab bench-rejoin bench-rejoin-report fuzz clean docs

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/pgsql ./cmd/pgsql
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/pgrex ./cmd/pgrex

# setup is idempotent: it installs only what is missing, so a warm machine
# pays a few dpkg queries.
setup:
	@missing=""; for p in $(DEB_PACKAGES) $(LAB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing$$missing"; \
	  guard=""; \
	  if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\n# pgrex make setup: no service starts while it installs\nexit 101\n' > /usr/sbin/policy-rc.d; \
	    chmod 0755 /usr/sbin/policy-rc.d; guard=1; \
	  fi; \
	  rc=0; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing || rc=$$?; \
	  if [ -n "$$guard" ]; then rm -f /usr/sbin/policy-rc.d; fi; \
	  [ $$rc -eq 0 ] || exit $$rc; \
	  case " $$missing " in *" prometheus "*) \
	    echo "setup: prometheus is installed for promtool only; its server is disabled"; \
	    if [ -d /run/systemd/system ]; then systemctl disable --now prometheus.service >/dev/null 2>&1 || true; fi;; \
	  esac; \
	  case " $$missing " in *" pcs "*) \
	    echo "setup: pcs is installed for pcs -f on CIB files only; pcsd is disabled"; \
	    if [ -d /run/systemd/system ]; then systemctl disable --now pcsd.service pcsd-ruby.service >/dev/null 2>&1 || true; fi;; \
	  esac; \
	fi
	@# A login shell and a home: the upstream agent (run side by side in the
	@# benchmark and the lab) switches user with su, which needs both.
	@id -u $(TEST_USER) >/dev/null 2>&1 || useradd --system --user-group --create-home --home-dir /var/lib/$(TEST_USER) --shell /bin/bash $(TEST_USER)
	@test -x $(GOBIN)/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint:
	@test -x $(GOBIN)/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@# No build output is ever committed: a tracked ELF file fails the lint.
	@bad=$$(git ls-files -z 2>/dev/null | xargs -0 -r sh -c 'for f; do [ -f "$$f" ] && [ "$$(head -c4 "$$f" | od -An -c | tr -d " ")" = "177ELF" ] && echo "$$f"; done' _); \
	  if [ -n "$$bad" ]; then echo "build outputs are tracked (remove them, ignore them):"; echo "$$bad"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./...
	$(GOBIN)/staticcheck ./...
	$(GOBIN)/staticcheck -tags e2e ./test/e2e/...

# test runs every test: lint, unit, integration against real PostgreSQL,
# and (once the lab exists) the cluster suite.
test: setup lint install
	$(GO) test -count=1 -timeout 30m ./...
	$(MAKE) --no-print-directory test-e2e

unit:
	$(GO) test -count=1 -short ./...

# bench measures, it does not test: median wall time, CPU time and child
# processes per agent call, pgrex vs upstream; results go to docs/performance.md.
bench: bench-monitors
	$(MAKE) --no-print-directory bench-rejoin
	$(MAKE) --no-print-directory bench-doc

# bench-monitors: start-up, plain, replication and lab monitors (about 10
# minutes, of bench's hour: the rejoin labs are the rest), then
# docs/performance.md with the last time-to-redundancy rows (out/).
bench-monitors: setup build
	@mkdir -p out
	PGREX_BENCH_REPORT=$(CURDIR)/out/bench-plain.md $(GO) test -count=1 -run '^$$' -bench . -benchtime 30x ./test/bench/
	PGREX_BENCH_REPORT_REPL=$(CURDIR)/out/bench-repl.md $(GO) test -count=1 -run '^$$' -bench ReplicationMonitor -benchtime 30x ./test/integration/
	$(MAKE) --no-print-directory bench-lab
	@if [ -f out/bench-rejoin.md ]; then $(MAKE) --no-print-directory bench-doc; \
	  else echo "bench-monitors: no time-to-redundancy rows yet (make bench-rejoin), docs/performance.md not written"; fi

bench-doc:
	cat out/bench-plain.md out/bench-repl.md out/bench-lab.md out/bench-rejoin.md docs/performance-notes.md > docs/performance.md

# bench-lab: the steady-state monitors inside the lab cluster, in Pacemaker's
# monitor environment, for the upstream agent and for pgrex (one lab each).
bench-lab: lab-packages install
	@mkdir -p out
	LAB_AGENT=ocf:heartbeat:pgsql PGREX_BENCH_LAB_REPORT=$(CURDIR)/out/bench-lab-upstream.rows \
	  $(GO) test -tags e2e -count=1 -run '^$$' -bench LabMonitor -benchtime 20x -timeout 20m ./test/e2e/
	LAB_AGENT=ocf:pgrex:pgsql PGREX_BENCH_LAB_REPORT=$(CURDIR)/out/bench-lab-pgrex.rows \
	  $(GO) test -tags e2e -count=1 -run '^$$' -bench LabMonitor -benchtime 20x -timeout 20m ./test/e2e/
	@{ printf '\n## Replication-mode monitors in the lab cluster, pgrex vs upstream\n\n'; \
	  printf 'Real 2-node Pacemaker 2.1.5 + Corosync + PostgreSQL 15 lab (docs/lab.md), healthy PRI + HS:sync, %s.\n' "$$(date -u +%F)"; \
	  printf 'Each agent ran in its own lab with the environment pacemaker-execd gives a recurring monitor;\n'; \
	  printf 'wall and CPU are medians with the nsenter/env wrapper (measured around /bin/true) subtracted.\n\n'; \
	  printf '| agent | monitor | median wall | median CPU | child processes | samples |\n|---|---|---|---|---|---|\n'; \
	  cat out/bench-lab-upstream.rows out/bench-lab-pgrex.rows; \
	  printf '\nRatios upstream / pgrex, same day, same machine:\n\n'; \
	  cat out/bench-lab-upstream.rows out/bench-lab-pgrex.rows | awk -f test/bench/lab-ratios.awk; } > out/bench-lab.md
	@cat out/bench-lab.md

# bench-rejoin: time to redundancy (fault → PRI + HS:sync again) on 1 GB and
# 5 GB databases (PGREX_BENCH_REJOIN_GB), one lab per way back: the agent's
# rejoin=rewind, pgrex standby-start with a base backup, the upstream agent
# with the operator's rebuild.
bench-rejoin: lab-packages install
	@mkdir -p out
	LAB_AGENT=ocf:pgrex:pgsql LAB_REJOIN=rewind PGREX_BENCH_REJOIN_REPORT=$(CURDIR)/out/bench-rejoin-rewind.rows \
	  $(GO) test -tags e2e -count=1 -run '^$$' -bench LabRejoin -benchtime 1x -timeout 90m ./test/e2e/
	LAB_AGENT=ocf:pgrex:pgsql LAB_REJOIN=rewind LAB_FAILURE_TIMEOUT=10s PGREX_BENCH_REJOIN_GB=5 PGREX_BENCH_REJOIN_REPORT=$(CURDIR)/out/bench-rejoin-rewind-ft10.rows \
	  $(GO) test -tags e2e -count=1 -run '^$$' -bench LabRejoin -benchtime 1x -timeout 30m ./test/e2e/
	LAB_AGENT=ocf:pgrex:pgsql PGREX_BENCH_REJOIN_REPORT=$(CURDIR)/out/bench-rejoin-basebackup.rows \
	  $(GO) test -tags e2e -count=1 -run '^$$' -bench LabRejoin -benchtime 1x -timeout 90m ./test/e2e/
	LAB_AGENT=ocf:heartbeat:pgsql PGREX_BENCH_REJOIN_REPORT=$(CURDIR)/out/bench-rejoin-upstream.rows \
	  $(GO) test -tags e2e -count=1 -run '^$$' -bench LabRejoin -benchtime 1x -timeout 90m ./test/e2e/
	@$(MAKE) --no-print-directory bench-rejoin-report

# bench-rejoin-report: out/bench-rejoin.md from the three labs' rows.
bench-rejoin-report:
	@{ printf '\n## Time to redundancy: the old primary back as HS:sync\n\n'; \
	  printf 'Same lab, %s. Fault → both nodes PRI + HS:sync again, the operator'"'"'s reaction time not counted\n' "$$(date -u +%F)"; \
	  printf '(the tools and the rebuild run at once). rejoin=rewind includes the fail count'"'"'s expiry (failure-timeout=20s)\n'; \
	  printf 'after kill -9 and switchover; after a node failure every way includes powering the node on.\n\n'; \
	  printf '| way back | database | fault | fault → failover | fault → redundancy |\n|---|---|---|---|---|\n'; \
	  cat out/bench-rejoin-rewind.rows out/bench-rejoin-basebackup.rows out/bench-rejoin-upstream.rows; \
	  printf '\nOnly rejoin=rewind needs no operator: the other rows start the rebuild the moment the failover ends, which no\n'; \
	  printf 'operator does. The lab copies over veth from the page cache, so a base backup of 5 GB takes about 20 s here;\n'; \
	  printf 'over a 1 Gbit/s replication LAN the same copy takes 45 s or more, while rewind copies only what changed.\n'; \
	  printf '\nrejoin=rewind is the fail count'"'"'s expiry plus about 10 s. The same lab with failure-timeout=10s, 5 GB:\n\n'; \
	  printf '| way back | database | fault | fault → failover | fault → redundancy |\n|---|---|---|---|---|\n'; \
	  sed 's/^| pgrex rejoin=rewind |/| pgrex rejoin=rewind, failure-timeout=10s |/' out/bench-rejoin-rewind-ft10.rows; } > out/bench-rejoin.md
	@cat out/bench-rejoin.md

fuzz:
	@for t in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$t/*_test.go | sed 's/func //'); do \
	    echo "== $$t $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-30s} -fuzzminimizetime 5s $$t || exit 1; \
	  done; done

docs: build
	$(GO) test ./ra -run 'TestParametersDoc|TestMetaDataGolden' -args -update
	@# The side-by-side exit-code table in docs/compatibility.md (runs both agents; root, PostgreSQL 15).
	$(GO) test -count=1 ./test/differential -run TestDifferential -args -update

install: build
	install -D -m 0755 bin/pgsql $(DESTDIR)/usr/lib/ocf/resource.d/$(PROVIDER)/pgsql
	install -D -m 0755 bin/pgrex $(DESTDIR)/usr/bin/pgrex
	install -D -m 0644 templates/pgrex-exporter.service $(DESTDIR)/lib/systemd/system/pgrex-exporter.service

clean:
	rm -rf bin out

# The lab (make demo / demo-down / test-e2e / bench-lab's cluster) lives with its scripts.
include test/lab/lab.mk
