// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRenderRecoveryPG15(t *testing.T) {
	got := RenderRecovery(RecoverySettings{
		Version: 1500, MasterIP: "192.0.2.10", Port: 5432, RepUser: "repuser", ApplicationName: "pg-rex02",
		ConninfoOpt:    "keepalives_idle=60 keepalives_interval=5 keepalives_count=5",
		RestoreCommand: "/bin/cp /dbfp/pgarch/arc1/%f %p",
	})
	assert.Equal(t, `# written by pgrex (ocf:pgrex:pgsql) at standby start; changes are overwritten
primary_conninfo = 'host=192.0.2.10 port=5432 user=repuser application_name=pg-rex02 keepalives_idle=60 keepalives_interval=5 keepalives_count=5'
restore_command = '/bin/cp /dbfp/pgarch/arc1/%f %p'
recovery_target_timeline = 'latest'
`, got)
	c, err := ParseConf([]byte(got))
	require.NoError(t, err)
	v, _ := c.Get("restore_command")
	assert.Equal(t, "/bin/cp /dbfp/pgarch/arc1/%f %p", v)
}

func TestRenderRecoveryPG11WithOptions(t *testing.T) {
	got := RenderRecovery(RecoverySettings{
		Version: 1100, MasterIP: "vip", Port: 5433, RepUser: "rep user", ApplicationName: "n1",
		RestoreCommand: "cp '/arc/%f' %p", ArchiveCleanupCommand: "pg_archivecleanup /arc %r",
		RecoveryEndCommand: "echo done", SlotName: SlotName("slot", "PG-REX01.example"),
	})
	c, err := ParseConf([]byte(got))
	require.NoError(t, err, got)
	get := func(n string) string { v, _ := c.Get(n); return v }
	assert.Equal(t, "host=vip port=5433 user='rep user' application_name=n1", get("primary_conninfo"))
	assert.Equal(t, "cp '/arc/%f' %p", get("restore_command"), "quotes survive")
	assert.Equal(t, "on", get("standby_mode"))
	assert.Equal(t, "pg_archivecleanup /arc %r", get("archive_cleanup_command"))
	assert.Equal(t, "echo done", get("recovery_end_command"))
	assert.Equal(t, "slot_pg_rex01_example", get("primary_slot_name"))
}

func TestSlotName(t *testing.T) {
	for node, want := range map[string]string{
		"node1":            "slot_node1",
		"PG-REX01.example": "slot_pg_rex01_example",
		"ノード1":             "slot____1",
		"a b\x00c":         "slot_a_b_c",
	} {
		assert.Equal(t, want, SlotName("slot", node), node)
	}
}
