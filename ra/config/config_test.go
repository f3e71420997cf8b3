// SPDX-License-Identifier: Apache-2.0

package config

import (
	"testing"
	"time"

	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDefaults(t *testing.T) {
	c, errs := Parse(ocf.Env{"OCF_RESOURCE_INSTANCE": "pgsql:1"})
	require.Empty(t, errs)
	assert.Equal(t, "pgsql", c.Resource)
	assert.Equal(t, "/usr/bin/pg_ctl", c.PgCtl)
	assert.Equal(t, "/var/lib/pgsql/data", c.PgData)
	assert.Equal(t, "/var/lib/pgsql/data/postgresql.conf", c.ConfigFile)
	assert.Equal(t, "/usr/bin/pg_controldata", c.PgCtlData)
	assert.Equal(t, 5432, c.PgPort)
	assert.Equal(t, "postgres", c.PgDBA)
	assert.Equal(t, "postgres", c.DBUser())
	assert.Equal(t, DefaultMonitorSQL, c.MonitorSQL)
	assert.Equal(t, 90*time.Second, c.StopEscalate)
	assert.Equal(t, 5*time.Second, c.CrmAttrTimeout)
	assert.Equal(t, 3, c.XlogCheckCount)
	assert.Equal(t, ModeNone, c.RepMode)
	assert.True(t, c.StopOnDemote)
	assert.False(t, c.RestartOnPromote)
	assert.Equal(t, "/var/lib/pgsql/tmp/PGSQL.lock", c.LockFile())
	assert.Equal(t, "/var/lib/pgsql/tmp/rep_mode.conf", c.RepModeConf())
}

func TestParseValues(t *testing.T) {
	c, errs := Parse(ocf.Env{
		"OCF_RESKEY_pgctl":              "/usr/lib/postgresql/15/bin/pg_ctl",
		"OCF_RESKEY_pgdata":             "/srv/pg",
		"OCF_RESKEY_pgport":             "",
		"OCF_RESKEY_node_list":          "PG-REX01  pg-rex02",
		"OCF_RESKEY_tmpdir":             "/var/lib/pg-rex",
		"OCF_RESKEY_check_wal_receiver": "ja",
		"OCF_RESKEY_stop_on_demote":     "yes",
		"OCF_RESKEY_monitor_user":       "mon",
	})
	require.Empty(t, errs)
	assert.Equal(t, 5432, c.PgPort, "an empty value takes the default")
	assert.Equal(t, "/usr/lib/postgresql/15/bin/pg_controldata", c.PgCtlData, "pg_controldata is looked for next to pg_ctl")
	assert.Equal(t, "/srv/pg/postgresql.conf", c.ConfigFile)
	assert.Equal(t, []string{"pg-rex01", "pg-rex02"}, c.NodeList, "node names are lower-cased")
	assert.True(t, c.CheckWalReceiver)
	assert.Equal(t, "mon", c.DBUser())
	assert.Equal(t, "/var/lib/pg-rex/PGSQL.lock", c.LockFile())
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, key, value, reason string
	}{
		{"port not a number", "pgport", "54x", `pgport="54x": expected an integer`},
		{"port out of range", "pgport", "70000", "not a TCP port"},
		{"negative escalate", "stop_escalate", "-1", "expected an integer >= 0"},
		{"negative check count", "xlog_check_count", "-1", "expected an integer >= 0"},
		{"bad boolean", "restart_on_promote", "maybe", "expected a boolean"},
		{"bad rep_mode", "rep_mode", "bogus", `rep_mode="bogus": expected none, async, sync or slave`},
		{"relative pgdata", "pgdata", "data", "expected an absolute path"},
		{"relative pgctl", "pgctl", "pg_ctl", "expected an absolute path"},
		{"stop_on_demote no", "stop_on_demote", "no", "not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := Parse(ocf.Env{"OCF_RESKEY_" + tc.key: tc.value})
			require.Len(t, errs, 1)
			assert.Equal(t, ocf.ErrConfigured, errs[0].RC)
			assert.Equal(t, tc.key, errs[0].Param)
			assert.Contains(t, errs[0].Reason, tc.reason)
		})
	}
}

func TestCheckStatic(t *testing.T) {
	promotable := ocf.Meta{Promotable: true}
	cases := []struct {
		name   string
		env    ocf.Env
		meta   ocf.Meta
		rc     ocf.Status
		reason string
	}{
		{"plain ok", ocf.Env{}, ocf.Meta{}, 0, ""},
		{"password without user", ocf.Env{"OCF_RESKEY_monitor_password": "x"}, ocf.Meta{}, ocf.ErrConfigured, "monitor_password is set but monitor_user is not"},
		{"sync without master_ip", ocf.Env{"OCF_RESKEY_rep_mode": "sync", "OCF_RESKEY_node_list": "a b"}, promotable, ocf.ErrConfigured, "master_ip is required"},
		{"sync not promotable", ocf.Env{"OCF_RESKEY_rep_mode": "sync", "OCF_RESKEY_node_list": "a b", "OCF_RESKEY_master_ip": "192.0.2.10"}, ocf.Meta{}, ocf.ErrConfigured, "needs a promotable clone"},
		{"sync without node_list", ocf.Env{"OCF_RESKEY_rep_mode": "sync", "OCF_RESKEY_master_ip": "192.0.2.10"}, promotable, ocf.ErrConfigured, "node_list is required"},
		{"async with external standbys", ocf.Env{"OCF_RESKEY_rep_mode": "async", "OCF_RESKEY_node_list": "a b", "OCF_RESKEY_master_ip": "192.0.2.10", "OCF_RESKEY_external_standby_node_list": "x"}, promotable, ocf.ErrConfigured, "needs rep_mode=sync"},
		{"sync with external standbys", ocf.Env{"OCF_RESKEY_rep_mode": "sync", "OCF_RESKEY_node_list": "a b", "OCF_RESKEY_master_ip": "192.0.2.10", "OCF_RESKEY_external_standby_node_list": "x"}, promotable, ocf.ErrConfigured, "not supported"},
		{"slave promotable", ocf.Env{"OCF_RESKEY_rep_mode": "slave", "OCF_RESKEY_master_ip": "192.0.2.10"}, promotable, ocf.ErrConfigured, "must not run in a promotable clone"},
		{"bad slot name", ocf.Env{"OCF_RESKEY_rep_mode": "sync", "OCF_RESKEY_node_list": "a b", "OCF_RESKEY_master_ip": "192.0.2.10", "OCF_RESKEY_replication_slot_name": "Slot-1"}, promotable, ocf.ErrConfigured, "only a-z, 0-9 and _"},
		{"slot name with a space", ocf.Env{"OCF_RESKEY_rep_mode": "sync", "OCF_RESKEY_node_list": "a b", "OCF_RESKEY_master_ip": "192.0.2.10", "OCF_RESKEY_replication_slot_name": "slot 1"}, promotable, ocf.ErrConfigured, "only a-z, 0-9 and _"},
		{"slot name with a non-ASCII letter", ocf.Env{"OCF_RESKEY_rep_mode": "sync", "OCF_RESKEY_node_list": "a b", "OCF_RESKEY_master_ip": "192.0.2.10", "OCF_RESKEY_replication_slot_name": "slöt"}, promotable, ocf.ErrConfigured, "only a-z, 0-9 and _"},
		{"sync ok", ocf.Env{"OCF_RESKEY_rep_mode": "sync", "OCF_RESKEY_node_list": "a b", "OCF_RESKEY_master_ip": "192.0.2.10"}, promotable, 0, ""},
		{"promotable via master_max", ocf.Env{"OCF_RESKEY_rep_mode": "sync", "OCF_RESKEY_node_list": "a b", "OCF_RESKEY_master_ip": "192.0.2.10"}, ocf.ParseMeta(ocf.Env{"OCF_RESKEY_CRM_meta_master_max": "1"}), 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, errs := Parse(tc.env)
			require.Empty(t, errs)
			err := c.CheckStatic(tc.meta)
			if tc.rc == 0 {
				assert.Nil(t, err)
				return
			}
			require.NotNil(t, err)
			assert.Equal(t, tc.rc, err.RC)
			assert.Contains(t, err.Reason, tc.reason)
		})
	}
}
