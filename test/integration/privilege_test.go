// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMonitorUserPrivilege: a monitor_user that may not read the
// replication views is refused by start and validate-all (4, with the
// reason); one with pg_monitor runs the whole cluster, slots included; and
// the monitors never read the NULL columns such a user sees as "standby
// gone".
func TestMonitorUserPrivilege(t *testing.T) {
	p := newPair(t)
	n1 := p.node("node1").inst
	// Peer authentication maps OS users to database users of the same
	// name; the two monitoring roles log in over the socket without it.
	hbaPath := filepath.Join(n1.Data, "pg_hba.conf")
	hba, err := os.ReadFile(hbaPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(hbaPath, append([]byte("local all pgrex_mon,pgrex_mon_ok trust\n"), hba...), 0o600))
	p.pgctl("node1", "start")
	require.NoError(t, p.exec("node1", "create role pgrex_mon login; create role pgrex_mon_ok login in role pg_monitor"))
	p.pgctl("node1", "-m", "fast", "stop")
	p.cloneNode2()

	plain := "OCF_RESKEY_monitor_user=pgrex_mon"
	ok := "OCF_RESKEY_monitor_user=pgrex_mon_ok"
	validate := func(user string) (int, string) {
		r := p.run("node1", "validate-all", user, "OCF_CHECK_LEVEL=10")
		return r.RC, r.ExitReason()
	}

	// Without the privilege: start refused once the server answers.
	p.extra = []string{plain}
	r := p.start("node1")
	assert.Equal(t, 4, r.RC)
	assert.Equal(t, `database user "pgrex_mon" is neither a superuser nor a member of pg_read_all_stats or pg_monitor: it would read the replication state in pg_stat_replication and pg_stat_wal_receiver as NULL (GRANT pg_monitor TO "pgrex_mon")`, r.ExitReason())
	assert.Equal(t, "STOP", p.status("node1"))
	// validate-all checks while the server runs …
	rc, reason := validate(plain)
	assert.Equal(t, 4, rc)
	assert.Contains(t, reason, "pg_read_all_stats")
	rc, reason = validate(ok)
	assert.Equal(t, 0, rc, reason)
	require.Equal(t, 0, p.run("node1", "stop").RC)
	// … and leaves it to start while it does not.
	rc, reason = validate(plain)
	assert.Equal(t, 0, rc, reason)

	// With pg_monitor: the whole life, slots created and dropped as
	// pgdba (pgrex_mon_ok has no REPLICATION attribute).
	p.extra = []string{ok, "OCF_RESKEY_replication_slot_name=pgrex"}
	require.Equal(t, "node1", p.coldStart())
	assert.Equal(t, []string{"pgrex_node2:true:true"}, p.slots("node1"))

	// Privilege lost at run time (or a primary adopted by a probe): the
	// primary sees node2's walsender with NULL state and must not take
	// it for gone.
	r = p.run("node1", "monitor", "OCF_RESKEY_CRM_meta_interval=9000", plain)
	assert.Equal(t, 8, r.RC, r.Stderr)
	assert.Contains(t, r.Stderr, "cannot read the replication state of node2")
	assert.Equal(t, "HS:sync", p.status("node2"))
	assert.Equal(t, "STREAMING|SYNC", p.data("node2"))
	assert.Equal(t, "100", p.score("node2"))
	assert.Equal(t, "synchronous_standby_names = '\"node2\"'\n", p.repModeConf("node1"), "the synchronous standby stays")
	assert.Equal(t, `"node2"`, p.queryString("node1", "show synchronous_standby_names"))
	// The standby cannot tell whether it streams: an error, not "alone".
	r = p.run("node2", "monitor", "OCF_RESKEY_CRM_meta_interval=10000", plain)
	assert.Equal(t, 1, r.RC)
	assert.Contains(t, r.ExitReason(), "pg_stat_wal_receiver")
	assert.Contains(t, r.ExitReason(), "pg_read_all_stats")
	assert.Equal(t, "HS:sync", p.status("node2"))

	p.monitorAll()
	assert.Equal(t, "HS:sync", p.status("node2"))
}
