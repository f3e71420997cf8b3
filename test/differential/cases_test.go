// SPDX-License-Identifier: Apache-2.0

package differential

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Action sets used by many cases.
var (
	validation = []string{"validate-all", "probe", "monitor", "start", "stop"}
	noStart    = []string{"validate-all", "probe", "monitor", "stop"}
)

func chmod(path string, mode os.FileMode) func(t *testing.T, s *sandbox) {
	return func(t *testing.T, s *sandbox) {
		require.NoError(t, os.Chmod(filepath.Join(s.Dir, path), mode))
	}
}

func touch(path string, mode os.FileMode) func(t *testing.T, s *sandbox) {
	return func(t *testing.T, s *sandbox) {
		p := filepath.Join(s.Dir, path)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), mode))
	}
}

func appendConf(text string) func(t *testing.T, s *sandbox) {
	return func(t *testing.T, s *sandbox) {
		f, err := os.OpenFile(filepath.Join(s.Data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(t, err)
		defer f.Close()
		_, err = f.WriteString(text)
		require.NoError(t, err)
	}
}

// cases is the differential table. Keep names short: they are the first
// column of the generated table in docs/compatibility.md.
var cases = []tcase{
	// The base configurations themselves.
	{name: "plain, valid, stopped", kind: stopped, actions: []string{"validate-all", "validate-all/10", "probe", "monitor", "monitor/no-interval", "status", "stop", "notify", "promote", "demote", "frobnicate"}},
	{name: "sync, valid, stopped", repl: true, kind: stopped, actions: []string{"validate-all", "probe", "monitor", "stop", "notify", "demote"}},
	{name: "plain, running", kind: running, actions: []string{"probe", "monitor", "status"}},
	{name: "sync, running primary", repl: true, kind: running, actions: []string{"probe"}},
	{name: "plain, running, bad monitor_sql", kind: running, env: map[string]string{"OCF_RESKEY_monitor_sql": "select nonsense"}, actions: []string{"probe", "monitor"}},

	// pgctl: missing, bare, relative, not executable, a directory.
	{name: "pgctl missing", env: map[string]string{"OCF_RESKEY_pgctl": "/nonexistent/pg_ctl"},
		actions: []string{"validate-all", "validate-all/0", "validate-all/10", "probe", "monitor/no-interval", "monitor", "status", "start", "stop", "frobnicate"},
		diff:    map[string]string{"validate-all": "validate-all-level", "validate-all/0": "validate-all-level", "monitor": "monitor-install-code", "status": "monitor-install-code", "frobnicate": "unknown-action"}},
	{name: "pgctl default (/usr/bin/pg_ctl, absent on Debian)", env: map[string]string{"OCF_RESKEY_pgctl": unset}, actions: validation,
		diff: map[string]string{"validate-all": "validate-all-level", "monitor": "monitor-install-code"}},
	{name: "pgctl bare name, not on PATH", env: map[string]string{"OCF_RESKEY_pgctl": "pg_ctl"}, actions: validation,
		diff: map[string]string{"validate-all": "absolute-paths", "probe": "absolute-paths", "monitor": "absolute-paths", "start": "absolute-paths"}},
	{name: "pgctl bare name, on PATH", env: map[string]string{"OCF_RESKEY_pgctl": "pg_ctl", "PATH": "{tools}:{pgbin}:/usr/sbin:/usr/bin:/sbin:/bin"}, actions: noStart,
		diff: map[string]string{"validate-all": "absolute-paths", "probe": "absolute-paths", "monitor": "absolute-paths"}},
	{name: "pgctl relative path", env: map[string]string{"OCF_RESKEY_pgctl": "bin/pg_ctl"}, prepare: touch("bin/pg_ctl", 0o755), actions: noStart,
		diff: map[string]string{"validate-all": "absolute-paths", "probe": "absolute-paths", "monitor": "absolute-paths"}},
	{name: "pgctl not executable", env: map[string]string{"OCF_RESKEY_pgctl": "{dir}/bin/pg_ctl"}, prepare: touch("bin/pg_ctl", 0o644), actions: validation,
		diff: map[string]string{"validate-all": "validate-all-level", "monitor": "monitor-install-code"}},
	{name: "pgctl a directory", env: map[string]string{"OCF_RESKEY_pgctl": "{dir}"}, actions: validation,
		diff: map[string]string{"validate-all": "validate-all-level", "monitor": "monitor-install-code"}},
	{name: "plain, running, pgctl missing", kind: running, env: map[string]string{"OCF_RESKEY_pgctl": "/nonexistent/pg_ctl"}, actions: []string{"probe", "stop"},
		diff: map[string]string{"probe": "running-without-pgctl", "stop": "running-without-pgctl"}},
	{name: "sync, pgctl missing", repl: true, env: map[string]string{"OCF_RESKEY_pgctl": "/nonexistent/pg_ctl", "OCF_RESKEY_CRM_meta_timeout": "5000"}, actions: validation,
		diff: map[string]string{"stop": "stop-hangs-upstream", "validate-all": "validate-all-level", "monitor": "monitor-install-code"}},

	// psql: pgrex never runs it.
	{name: "psql missing", env: map[string]string{"OCF_RESKEY_psql": "/nonexistent/psql"}, actions: []string{"validate-all", "validate-all/10", "probe", "monitor", "stop"},
		diff: map[string]string{"validate-all": "psql-unused", "validate-all/10": "psql-unused"}},
	{name: "psql bare name, not on PATH", env: map[string]string{"OCF_RESKEY_psql": "nosuch-psql"}, actions: []string{"validate-all"},
		diff: map[string]string{"validate-all": "psql-unused"}},

	// pgdba.
	{name: "pgdba does not exist", env: map[string]string{"OCF_RESKEY_pgdba": "no-such-user"}, actions: validation},
	{name: "pgdba cannot write pgdata (nobody)", env: map[string]string{"OCF_RESKEY_pgdba": "nobody"}, actions: validation,
		diff: map[string]string{"validate-all": "validate-all-level", "monitor": "monitor-install-code"}},
	{name: "pgdba root", env: map[string]string{"OCF_RESKEY_pgdba": "root"}, actions: []string{"validate-all", "probe"}},

	// pgdata: missing, relative, a file, wrong owner, wrong mode.
	{name: "pgdata missing", env: map[string]string{"OCF_RESKEY_pgdata": "{dir}/missing"}, actions: validation,
		diff: map[string]string{"validate-all": "validate-all-level", "monitor": "monitor-install-code"}},
	{name: "pgdata missing, config elsewhere", env: map[string]string{"OCF_RESKEY_pgdata": "{dir}/missing", "OCF_RESKEY_config": "{dir}/data/postgresql.conf"}, actions: validation,
		diff: map[string]string{"validate-all": "validate-all-level", "monitor": "monitor-install-code", "start": "pgdata-missing"}},
	{name: "pgdata relative", env: map[string]string{"OCF_RESKEY_pgdata": "data"}, actions: noStart,
		diff: map[string]string{"validate-all": "absolute-paths", "probe": "absolute-paths", "monitor": "absolute-paths"}},
	{name: "pgdata a file", env: map[string]string{"OCF_RESKEY_pgdata": "{dir}/data/PG_VERSION"}, actions: validation,
		diff: map[string]string{"validate-all": "validate-all-level", "monitor": "monitor-install-code"}},
	{name: "pgdata owned by root", prepare: func(t *testing.T, s *sandbox) { require.NoError(t, os.Chown(s.Data, 0, 0)) }, actions: validation,
		diff: map[string]string{"validate-all": "validate-all-level", "monitor": "monitor-install-code"}},
	{name: "pgdata mode 0500", prepare: chmod("data", 0o500), actions: validation,
		diff: map[string]string{"validate-all": "validate-all-level", "monitor": "monitor-install-code"}},
	{name: "pgdata mode 0750", kind: stopped, prepare: chmod("data", 0o750), actions: []string{"validate-all", "probe"}},

	// config.
	{name: "config missing", env: map[string]string{"OCF_RESKEY_config": "{dir}/nope.conf"}, actions: validation,
		diff: map[string]string{"validate-all": "validate-all-level", "monitor": "monitor-install-code"}},
	{name: "config relative", env: map[string]string{"OCF_RESKEY_config": "data/postgresql.conf"}, actions: noStart,
		diff: map[string]string{"validate-all": "absolute-paths", "probe": "absolute-paths", "monitor": "absolute-paths"}},
	{name: "config a directory", env: map[string]string{"OCF_RESKEY_config": "{dir}/data"}, actions: []string{"validate-all", "validate-all/10", "probe", "monitor", "start", "stop"},
		diff: map[string]string{"validate-all": "validate-all-level", "monitor": "monitor-install-code"}},
	{name: "unix_socket_directories set, socketdir empty", env: map[string]string{"OCF_RESKEY_socketdir": unset}, prepare: appendConf("unix_socket_directories = '/tmp'\n"), actions: noStart,
		diff: map[string]string{"validate-all": "socketdir-from-conf"}},

	// Numbers, units and booleans.
	{name: "pgport not a number", env: map[string]string{"OCF_RESKEY_pgport": "abc"}, actions: noStart,
		diff: map[string]string{"validate-all": "bad-number", "probe": "bad-number", "monitor": "bad-number"}},
	{name: "pgport out of range", env: map[string]string{"OCF_RESKEY_pgport": "70000"}, actions: []string{"validate-all", "probe"},
		diff: map[string]string{"validate-all": "bad-number", "probe": "bad-number"}},
	{name: "stop_escalate with a unit", env: map[string]string{"OCF_RESKEY_stop_escalate": "10s"}, actions: noStart,
		diff: map[string]string{"validate-all": "bad-number", "probe": "bad-number", "monitor": "bad-number"}},
	{name: "stop_escalate negative", env: map[string]string{"OCF_RESKEY_stop_escalate": "-5"}, actions: []string{"validate-all"},
		diff: map[string]string{"validate-all": "bad-number"}},
	{name: "crm_attr_timeout with a unit", repl: true, env: map[string]string{"OCF_RESKEY_crm_attr_timeout": "5s"}, actions: noStart,
		diff: map[string]string{"validate-all": "bad-number", "probe": "bad-number", "monitor": "bad-number"}},
	{name: "xlog_check_count not a number", repl: true, env: map[string]string{"OCF_RESKEY_xlog_check_count": "three"}, actions: noStart,
		diff: map[string]string{"validate-all": "bad-number", "probe": "bad-number", "monitor": "bad-number"}},
	{name: "restart_on_promote not a boolean", repl: true, env: map[string]string{"OCF_RESKEY_restart_on_promote": "maybe"}, actions: noStart,
		diff: map[string]string{"validate-all": "bad-number", "probe": "bad-number", "monitor": "bad-number"}},
	{name: "check_wal_receiver not a boolean", env: map[string]string{"OCF_RESKEY_check_wal_receiver": "ja-nein"}, actions: []string{"validate-all"},
		diff: map[string]string{"validate-all": "bad-number"}},

	// Replication modes.
	{name: "rep_mode unknown", env: map[string]string{"OCF_RESKEY_CRM_meta_timeout": "5000", "OCF_RESKEY_rep_mode": "bogus"}, actions: noStart,
		diff: map[string]string{"stop": "stop-hangs-upstream", "probe": "config-error-on-monitor", "monitor": "config-error-on-monitor"}},
	{name: "rep_mode unknown, promotable", repl: true, env: map[string]string{"OCF_RESKEY_rep_mode": "bogus"}, actions: noStart,
		diff: map[string]string{"probe": "config-error-on-monitor", "monitor": "config-error-on-monitor"}},
	{name: "sync, not promotable", repl: true, env: map[string]string{"OCF_RESKEY_CRM_meta_promotable": unset, "OCF_RESKEY_CRM_meta_promoted_max": unset}, actions: validation,
		diff: map[string]string{"probe": "config-error-on-monitor", "monitor": "config-error-on-monitor"}},
	{name: "sync, promotable via master_max", repl: true, env: map[string]string{"OCF_RESKEY_CRM_meta_promotable": unset, "OCF_RESKEY_CRM_meta_promoted_max": unset, "OCF_RESKEY_CRM_meta_master_max": "1"}, actions: []string{"validate-all", "probe"}},
	{name: "sync, promotable without notify", repl: true, env: map[string]string{"OCF_RESKEY_CRM_meta_notify": unset}, actions: []string{"validate-all", "probe"}},
	{name: "sync, node_list missing", repl: true, env: map[string]string{"OCF_RESKEY_node_list": unset}, actions: validation,
		diff: map[string]string{"probe": "config-error-on-monitor", "monitor": "config-error-on-monitor"}},
	{name: "sync, master_ip missing", repl: true, env: map[string]string{"OCF_RESKEY_CRM_meta_timeout": "5000", "OCF_RESKEY_master_ip": unset}, actions: validation,
		diff: map[string]string{"stop": "stop-hangs-upstream", "probe": "config-error-on-monitor", "monitor": "config-error-on-monitor"}},
	{name: "async", repl: true, env: map[string]string{"OCF_RESKEY_rep_mode": "async"}, actions: []string{"validate-all", "probe"}},
	{name: "slave in a promotable clone", repl: true, env: map[string]string{"OCF_RESKEY_rep_mode": "slave"}, actions: noStart,
		diff: map[string]string{"probe": "config-error-on-monitor", "monitor": "config-error-on-monitor"}},
	{name: "slave without master_ip", env: map[string]string{"OCF_RESKEY_rep_mode": "slave"}, actions: []string{"validate-all", "probe"},
		diff: map[string]string{"probe": "config-error-on-monitor"}},
	{name: "replication_slot_name invalid", repl: true, env: map[string]string{"OCF_RESKEY_replication_slot_name": "Bad-Name"}, actions: noStart,
		diff: map[string]string{"probe": "config-error-on-monitor", "monitor": "config-error-on-monitor"}},
	{name: "external_standby_node_list set", repl: true, env: map[string]string{"OCF_RESKEY_external_standby_node_list": "dr1"}, actions: []string{"validate-all", "probe"},
		diff: map[string]string{"validate-all": "external-standby", "probe": "external-standby"}},
	{name: "stop_on_demote=no", repl: true, env: map[string]string{"OCF_RESKEY_stop_on_demote": "no"}, actions: []string{"validate-all", "probe"},
		diff: map[string]string{"validate-all": "stop-on-demote", "probe": "stop-on-demote"}},
	{name: "sync, tmpdir is a file", repl: true, env: map[string]string{"OCF_RESKEY_tmpdir": "{dir}/data/PG_VERSION"}, actions: []string{"validate-all", "validate-all/10", "probe", "start"},
		diff: map[string]string{"validate-all": "validate-all-level"}},
	{name: "tmpdir relative", repl: true, env: map[string]string{"OCF_RESKEY_tmpdir": "tmp"}, actions: []string{"validate-all", "probe"},
		diff: map[string]string{"validate-all": "absolute-paths", "probe": "absolute-paths"}},
	{name: "sync, start with PGSQL.lock", repl: true, prepare: func(t *testing.T, s *sandbox) { writeOwned(t, s, filepath.Join(s.Tmp, "PGSQL.lock"), "") }, actions: []string{"start"}},

	// Monitoring users.
	{name: "monitor_user without monitor_password", env: map[string]string{"OCF_RESKEY_monitor_user": "mon"}, actions: noStart,
		diff: map[string]string{"validate-all": "monitor-user-pgpass"}},
	{name: "monitor_password without monitor_user", env: map[string]string{"OCF_RESKEY_monitor_password": "secret"}, actions: validation},

	// A start the server refuses; upstream's start loop waits for it until
	// the operation timeout (8 s here, to keep the test short).
	{name: "start with a postgresql.conf the server rejects", kind: stopped, env: map[string]string{"OCF_RESKEY_CRM_meta_timeout": "8000"},
		prepare: appendConf("shared_buffers = 'plenty'\n"), actions: []string{"start"}, diff: map[string]string{"start": "start-fails-fast"}},

	// Files the start needs.
	{name: "logfile in a missing directory", env: map[string]string{"OCF_RESKEY_logfile": "{dir}/nodir/pg.log"}, actions: []string{"validate-all", "start"}},

	// The invocation itself.
	{name: "no OCF_RESOURCE_INSTANCE", env: map[string]string{"OCF_RESOURCE_INSTANCE": unset}, actions: []string{"meta-data", "validate-all", "probe"}},
	{name: "no action argument", actions: []string{"(no action)"}},
	{name: "OCF_RESKEY_OCF_CHECK_LEVEL=10", env: map[string]string{"OCF_RESKEY_pgctl": "/nonexistent/pg_ctl", "OCF_RESKEY_OCF_CHECK_LEVEL": "10"}, actions: []string{"validate-all"}},
	{name: "unknown action, broken parameter", env: map[string]string{"OCF_RESKEY_pgport": "abc"}, actions: []string{"frobnicate", "reload"}},
	{name: "unknown action, sync", repl: true, actions: []string{"frobnicate", "migrate_to"}},
}
