// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCatchUpBeforePromotable is the reconnect-after-HS:alone race. The
// standby was away, the primary committed alone (acknowledged to its
// clients), the standby reconnects and is named synchronous again — while
// the WAL holding those commits is still on its way to it (held in the
// replication VIP here; a slow link, a busy disk in life). Its row already
// says STREAMING|SYNC. If it were promotable then, losing the primary at
// that moment would lose acknowledged commits. The agent shows it
// STREAMING|ASYNC with score -INFINITY until its flush position reaches
// the one PGSQL.lock recorded (sync_from=) when it became synchronous; the
// test then fails the primary at the first moment the standby is
// promotable, dropping whatever was in flight, and every acknowledged row
// is on the new primary.
func TestCatchUpBeforePromotable(t *testing.T) {
	p := newPair(t)
	p.cloneNode2()
	require.Equal(t, "node1", p.coldStart())
	require.NoError(t, p.exec("node1", "create table t(id int primary key, pad text)"))

	// The standby goes away; the primary drops it and goes on alone.
	p.vip.setCut(true)
	require.NoError(t, p.exec("node1", "select pg_terminate_backend(pid) from pg_stat_replication"))
	p.until("node1 drops node2 from sync", 10, func() bool {
		return p.repModeConf("node1") == "synchronous_standby_names = ''\n"
	})
	p.vip.setCut(false)
	p.until("node2 streams asynchronously", 30, func() bool {
		return p.queryString("node1", "select coalesce(string_agg(state, ','), '') from pg_stat_replication") == "streaming"
	})
	// From here on nothing the primary sends reaches the standby; the
	// commits below are acknowledged without waiting for it.
	p.vip.hold()
	acked := 0
	for i := 1; i <= 200; i++ {
		require.NoError(t, p.exec("node1", fmt.Sprintf("insert into t values (%d, repeat('x', 100))", i)))
		acked++
	}
	p.until("node2 named synchronous and streaming as SYNC", 20, func() bool {
		return p.repModeConf("node1") == "synchronous_standby_names = '\"node2\"'\n" &&
			p.queryString("node1", "select coalesce(string_agg(sync_state, ','), '') from pg_stat_replication") == "sync"
	})
	// The primary is lost at the first moment a monitor finds the standby
	// promotable; until then the held WAL is let through after the first
	// monitor.
	promotable := false
	for i := 0; i < 40 && !promotable; i++ {
		r := p.monitor("node1")
		require.Equal(t, 8, r.RC, r.Stderr)
		if promotable = p.score("node2") == "100"; promotable {
			break
		}
		if i == 0 {
			assert.Equal(t, "STREAMING|ASYNC", p.data("node2"), "shown as what it holds while the acknowledged commits are in flight")
			assert.Equal(t, "HS:async", p.status("node2"))
			assert.Contains(t, r.Stderr, "has not yet flushed every commit acknowledged before it was")
			lock, err := os.ReadFile(filepath.Join(p.node("node1").inst.Tmp, "PGSQL.lock"))
			require.NoError(t, err)
			assert.Contains(t, string(lock), "synchronous=node2\nsync_from=", "the lock records where the wait began")
			var st syscall.Stat_t
			require.NoError(t, syscall.Lstat(filepath.Join(p.node("node1").inst.Tmp, "PGSQL.lock"), &st))
			assert.Equal(t, uint32(p.node("node1").inst.UID), st.Uid, "PGSQL.lock belongs to pgdba, who owns tmpdir (the exporter reads it as that user)")
			assert.Equal(t, uint32(0o600), st.Mode&0o777)
			p.vip.release()
		}
		time.Sleep(250 * time.Millisecond)
	}
	require.True(t, promotable, "node2 becomes promotable once it has caught up; data %s status %s", p.data("node2"), p.status("node2"))
	assert.Equal(t, "STREAMING|SYNC", p.data("node2"))
	p.vip.setCut(true)
	require.NoError(t, syscall.Kill(p.node("node1").inst.PostmasterPID(), syscall.SIGKILL))
	require.Eventually(t, func() bool { return p.monitor("node1").RC == 7 }, 20*time.Second, 200*time.Millisecond)
	require.Equal(t, 0, p.demote("node1").RC)
	require.Equal(t, 0, p.stop("node1").RC)
	r := p.promote("node2")
	require.Equal(t, 0, r.RC, "%s\n%s", r.ExitReason(), r.Stderr)
	var n int
	c := p.node("node2").inst.Conn(t)
	defer c.Close(context.Background())
	require.NoError(t, c.QueryRow(context.Background(), "select count(*) from t").Scan(&n))
	assert.Equal(t, acked, n, "every acknowledged commit is on the new primary")
}
