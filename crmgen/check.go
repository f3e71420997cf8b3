// SPDX-License-Identifier: Apache-2.0

package crmgen

import "slices"

// The pgrex agent this check is about.
const (
	pgsqlClass    = "ocf"
	pgsqlProvider = "pgrex"
	pgsqlType     = "pgsql"
)

// builtinPgsqlParams are the instance parameters of pgrex's pgsql agent:
// upstream heartbeat/pgsql's (including the 2026 external_standby_node_list)
// plus PG-REX 9.1's stop_on_demote and pgctldata. The agent's own table
// (package ra) is the source of truth; this copy keeps crmgen free of the
// agent's dependencies and is used only when Options.KnownParam is nil.
var builtinPgsqlParams = []string{
	"pgctl", "start_opt", "ctl_opt", "psql", "pgdata", "pgdba", "pghost", "pgport", "pglibs",
	"monitor_user", "monitor_password", "monitor_sql", "config", "pgdb", "logfile", "socketdir",
	"stop_escalate", "rep_mode", "node_list", "restore_command", "archive_cleanup_command",
	"recovery_end_command", "master_ip", "repuser", "primary_conninfo_opt", "restart_on_promote",
	"replication_slot_name", "tmpdir", "xlog_check_count", "crm_attr_timeout",
	"stop_escalate_in_slave", "check_wal_receiver", "external_standby_node_list",
	"stop_on_demote", "pgctldata",
}

// BuiltinPgsqlParam reports whether name is in crmgen's built-in list of
// pgsql agent parameters.
func BuiltinPgsqlParam(name string) bool {
	return slices.Contains(builtinPgsqlParams, name)
}

// repModes are the values the agent accepts for rep_mode.
var repModes = []string{"none", "async", "sync", "slave"}

// checkPgsql validates the params of every ocf:pgrex:pgsql primitive the
// way the agent's validate-all would reject them, but at generation time
// and pointing at the sheet row: unknown parameter names (typically a
// typo that the agent would silently ignore), an invalid rep_mode, and the
// node_list / master_ip that replication modes require.
func checkPgsql(c *config, d *diags, known func(string) bool) {
	if known == nil {
		known = BuiltinPgsqlParam
	}
	found := false
	for _, p := range c.resources {
		if p.kind != kindPrimitive || p.class != pgsqlClass || p.provider != pgsqlProvider || p.raType != pgsqlType {
			continue
		}
		found = true
		var params []nv
		if blk := p.attrs.find("params"); blk != nil {
			for _, it := range blk.items {
				if it.rule != nil {
					params = append(params, it.rule.items...)
				} else {
					params = append(params, it.nv)
				}
			}
		}
		value := map[string]nv{}
		for _, kv := range params {
			d.rec = kv.rec
			if !known(kv.name) {
				d.errAt("[id: %s] のパラメータ [%s] は %s:%s:%s のパラメータではありません。", p.id, kv.name, pgsqlClass, pgsqlProvider, pgsqlType)
				continue
			}
			if kv.name == "rep_mode" && !slices.Contains(repModes, kv.value) {
				d.errAt("[id: %s] のパラメータ rep_mode の値 [%s] が正しくありません。(none, async, sync, slave のいずれか)", p.id, kv.value)
			}
			value[kv.name] = kv
		}
		mode, ok := value["rep_mode"]
		if !ok {
			continue
		}
		d.rec = mode.rec
		replicating := mode.value == "sync" || mode.value == "async"
		if replicating && value["node_list"].value == "" {
			d.errAt("[id: %s] rep_mode=%s にはパラメータ node_list (全ノード名の空白区切り) が必要です。", p.id, mode.value)
		}
		if (replicating || mode.value == "slave") && value["master_ip"].value == "" {
			d.errAt("[id: %s] rep_mode=%s にはパラメータ master_ip (レプリケーション用仮想IP) が必要です。", p.id, mode.value)
		}
	}
	if !found {
		d.rec = 0
		d.add(LevelWarn, 0, d.file, "--check: "+pgsqlClass+":"+pgsqlProvider+":"+pgsqlType+" のPrimitiveリソースがないため、パラメータを検査していません。")
	}
}
