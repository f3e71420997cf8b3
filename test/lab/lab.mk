# The pgrex 2-node Pacemaker/Corosync lab (docs/lab.md). Included by the top
# Makefile. Everything runs as root on Debian 12 inside namespaces the lab
# creates; `make demo-down` leaves the host clean.
#
#   make demo                       cold start, prints crm_mon -A1 (idempotent)
#   make demo-down                  stop everything, remove namespaces and state
#   make demo-status                crm_mon -A1 -f of the running lab
#   make test-e2e                   the end-to-end suite (always tears the lab down)
#   make test-e2e-rejoin            the rejoin=rewind scenarios alone (LAB_REJOIN=rewind)
#   make test-e2e-soak              zero-loss soak: E2E_SOAK_CYCLES failovers/switchovers
#   make test-e2e-campaign          randomized fault campaign: CAMPAIGN_FAULTS (200), CAMPAIGN_SEED (1)
#
#   LAB_AGENT=ocf:pgrex:pgsql       this checkout's agent, installed with `make install` (default)
#   LAB_AGENT=ocf:heartbeat:pgsql   Debian's upstream agent, for side-by-side runs

# Debian packages the lab needs (the top-level `setup` installs them too).
LAB_PACKAGES := pacemaker corosync pacemaker-cli-utils crmsh resource-agents fence-agents postgresql-15 \
                iproute2 util-linux e2fsprogs psmisc procps tini openssh-server openssh-client iputils-ping prometheus

LAB_AGENT        ?= ocf:pgrex:pgsql
LAB_SCRIPT       := test/lab/lab
E2E_TIMEOUT      ?= 45m
E2E_RUN          ?=
E2E_SOAK_CYCLES  ?= 20
export LAB_AGENT
# go test runs in the package directory: a relative E2E_RESULTS is made absolute here
ifneq ($(E2E_RESULTS),)
override E2E_RESULTS := $(abspath $(E2E_RESULTS))
export E2E_RESULTS
endif

.PHONY: demo demo-down demo-status test-e2e test-e2e-rejoin test-e2e-soak test-e2e-campaign lab-packages lab-agent dashboard-picture

# lab-packages installs only what is missing, so a warm machine pays a few dpkg queries.
lab-packages:
	@missing=""; for p in $(LAB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "lab: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  case " $$missing " in *" prometheus "*) \
	    echo "lab: prometheus is installed for the exporter test's own server; the system one is disabled"; \
	    if [ -d /run/systemd/system ]; then systemctl disable --now prometheus.service >/dev/null 2>&1 || true; fi;; \
	  esac; \
	fi

# The pgrex agent is used from /usr/lib/ocf/resource.d/pgrex/pgsql, built from this checkout.
lab-agent:
ifeq ($(LAB_AGENT),ocf:pgrex:pgsql)
	@$(MAKE) --no-print-directory install
else ifneq ($(LAB_AGENT),ocf:heartbeat:pgsql)
	$(error LAB_AGENT must be ocf:heartbeat:pgsql or ocf:pgrex:pgsql, not $(LAB_AGENT))
endif

demo: lab-packages lab-agent
	@$(LAB_SCRIPT) up

demo-down:
	@$(LAB_SCRIPT) down

demo-status:
	@$(LAB_SCRIPT) status

# The suite brings the lab up itself and leaves it down; the lab is torn down
# here as well, whatever the tests did. PGREX_SKIP_E2E=1 skips explicitly (the
# tests that need the lab report SKIP, the lab is not touched).
ifeq ($(PGREX_SKIP_E2E),1)
test-e2e:
	$(GO) test -tags e2e -count=1 -timeout 5m ./test/e2e/...
else
test-e2e: lab-packages lab-agent
	@rc=0; $(GO) test -tags e2e -count=1 -timeout $(E2E_TIMEOUT) -v $(if $(E2E_RUN),-run '$(E2E_RUN)') -skip '^(TestRejoin|TestDegradedPromoted)$$' ./test/e2e/... || rc=$$?; \
	  $(LAB_SCRIPT) down >/dev/null 2>&1 || { echo "test-e2e: lab teardown failed"; rc=1; }; \
	  if [ -z "$(E2E_RUN)" ]; then $(MAKE) --no-print-directory test-e2e-rejoin || rc=1; fi; \
	  exit $$rc
endif

# test-e2e-rejoin: the rejoin=rewind scenarios, in a lab of their own
# (LAB_REJOIN=rewind); make test-e2e runs it after the rejoin=off suite.
test-e2e-rejoin: lab-packages lab-agent
	@rc=0; LAB_REJOIN=rewind $(GO) test -tags e2e -count=1 -timeout 40m -v -run '^(TestRejoin|TestDegradedPromoted|TestCampaign)$$' ./test/e2e/... || rc=$$?; \
	  $(LAB_SCRIPT) down >/dev/null 2>&1 || { echo "test-e2e-rejoin: lab teardown failed"; rc=1; }; \
	  exit $$rc

# test-e2e-campaign: the fault campaign alone, a soak (not in make test,
# which runs its short form in test-e2e-rejoin): CAMPAIGN_FAULTS faults in
# the order CAMPAIGN_SEED draws (CAMPAIGN_ONLY=<part of a fault's name>: that
# kind only); its table goes to out/campaign.md.
CAMPAIGN_FAULTS ?= 200
CAMPAIGN_SEED   ?= 1
test-e2e-campaign: lab-packages lab-agent
	@rc=0; LAB_REJOIN=rewind CAMPAIGN_FAULTS=$(CAMPAIGN_FAULTS) CAMPAIGN_SEED=$(CAMPAIGN_SEED) $(GO) test -tags e2e -count=1 \
	  -timeout $$(( $(CAMPAIGN_FAULTS) * 6 + 10 ))m -v -run '^TestCampaign$$' ./test/e2e/... || rc=$$?; \
	  $(LAB_SCRIPT) down >/dev/null 2>&1 || { echo "test-e2e-campaign: lab teardown failed"; rc=1; }; \
	  exit $$rc

test-e2e-soak: lab-packages lab-agent
	@rc=0; E2E_SOAK_CYCLES=$(E2E_SOAK_CYCLES) $(GO) test -tags e2e -count=1 -timeout 90m -v -run 'TestZeroLoss' ./test/e2e/... || rc=$$?; \
	  $(LAB_SCRIPT) down >/dev/null 2>&1 || { echo "test-e2e-soak: lab teardown failed"; rc=1; }; \
	  exit $$rc

# dashboard-picture: the exporter test's picture of docs/grafana-pgrex.json,
# drawn from its real lab run (test/dashboard), into the docs.
dashboard-picture:
	@$(MAKE) --no-print-directory test-e2e E2E_RUN='^TestExporterFollowsFailover$$'
	install -m 0644 out/dashboard.png docs/dashboard.png
