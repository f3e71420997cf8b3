// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"testing"

	"github.com/pgrex/pgrex/ra/pg"
	"github.com/stretchr/testify/assert"
)

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
