// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"github.com/pgrex/pgrex/ra/pg"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestPlanStop(t *testing.T) {
	s := time.Second
	cases := []struct {
		name             string
		budget, escalate time.Duration
		want             []stopPhase
	}{
		{"pacemaker default 120s, escalate 90s", 114 * s, 90 * s,
			[]stopPhase{{"smart", 5 * s}, {"fast", 90 * s}, {"immediate", 19 * s}}},
		{"escalate longer than the timeout is capped", 57 * s, 90 * s,
			[]stopPhase{{"smart", 5 * s}, {"fast", 42 * s}, {"immediate", 10 * s}}},
		{"escalate 0 is immediate at once (upstream)", 60 * s, 0,
			[]stopPhase{{"immediate", 60 * s}}},
		{"tiny budget still tries immediate", 8 * s, 90 * s,
			[]stopPhase{{"smart", s}, {"immediate", 7 * s}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan := planStop(tc.budget, tc.escalate)
			assert.Equal(t, tc.want, plan)
			var sum time.Duration
			for _, p := range plan {
				sum += p.Wait
			}
			assert.LessOrEqual(t, sum, tc.budget, "the plan fits the budget")
			assert.Equal(t, "immediate", plan[len(plan)-1].Mode)
		})
	}
}

func TestDecidePlainMonitor(t *testing.T) {
	h := healthFacts{}
	rc, _ := decidePlainMonitor(h)
	assert.Equal(t, OCFNotRunning, rc)

	h.Live.Running = true
	h.Live.PidFileOK = true
	h.Queried = true
	rc, reason := decidePlainMonitor(h)
	assert.Equal(t, OCFSuccess, rc)
	assert.Empty(t, reason)

	h.QueryErr = assert.AnError
	rc, reason = decidePlainMonitor(h)
	assert.Equal(t, OCFErrGeneric, rc)
	assert.Contains(t, reason, "monitor failed")

	h.Live.Port, h.Port = 5433, 5432
	rc, reason = decidePlainMonitor(h)
	assert.Equal(t, OCFErrGeneric, rc)
	assert.Contains(t, reason, "PostgreSQL runs on port 5433 but pgport is 5432")

	// A postmaster that postmaster.pid does not name: a failure with the
	// reason, never "not running".
	h = healthFacts{Live: pgLiveness{Running: true, PID: 7, Reason: "postmaster.pid is unusable: x, but PostgreSQL (PID 7, found from /proc) runs"}}
	rc, reason = decidePlainMonitor(h)
	assert.Equal(t, OCFErrGeneric, rc)
	assert.Contains(t, reason, "found from /proc")
}

func TestDecideLivenessRC(t *testing.T) {
	rc, _ := decideLivenessRC(pgLiveness{}, nil)
	assert.Equal(t, OCFNotRunning, rc)
	rc, _ = decideLivenessRC(livenessRunning(), nil)
	assert.Equal(t, OCFSuccess, rc)
	rc, reason := decideLivenessRC(pgLiveness{Running: true, PID: 7, Reason: "no postmaster.pid, but PostgreSQL (PID 7, found from /proc) runs"}, nil)
	assert.Equal(t, OCFErrGeneric, rc)
	assert.Contains(t, reason, "PID 7")
	rc, reason = decideLivenessRC(pgLiveness{}, assert.AnError)
	assert.Equal(t, OCFErrGeneric, rc, "undecidable is never \"not running\"")
	assert.NotEmpty(t, reason)
}

func TestDecideStart(t *testing.T) {
	assert.Equal(t, startLaunch, decideStart(startFacts{}))
	assert.Equal(t, startAlreadyUp, decideStart(startFacts{Live: livenessRunning()}))
	// A stale pid file naming a dead process is left for PostgreSQL.
	assert.Equal(t, startLaunch, decideStart(startFacts{Live: livenessStale(1 << 22)}))
	// A stale pid file naming a live process (PID reuse): moved aside.
	assert.Equal(t, startSetStaleAside, decideStart(startFacts{Live: livenessStale(1)}))
	// A postmaster runs that postmaster.pid does not name: refused.
	assert.Equal(t, startRefuse, decideStart(startFacts{Live: pgLiveness{Running: true, PID: 7}}))
	// An unusable file with nothing running: PostgreSQL cannot start with
	// it, and a FIFO would hang it; the operator looks at it.
	assert.Equal(t, startRefuse, decideStart(startFacts{Live: pgLiveness{PidFileUnusable: true}}))
}

func livenessRunning() pgLiveness      { return pgLiveness{Running: true, PidFileOK: true, PID: 1} }
func livenessStale(pid int) pgLiveness { return pgLiveness{Stale: true, PID: pid} }

type pgLiveness = pg.Liveness
