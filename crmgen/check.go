// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"slices"

	agentconfig "github.com/pgrex/pgrex/ra/config"
)

// The pgrex agent this check is about.
const (
	pgsqlClass    = "ocf"
	pgsqlProvider = "pgrex"
	pgsqlType     = "pgsql"
)

// BuiltinPgsqlParam reports whether name is an instance parameter of
// pgrex's pgsql agent (its parameter table, ra/config).
func BuiltinPgsqlParam(name string) bool {
	_, ok := agentconfig.LookupParam(name)
	return ok
}

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
			if kv.name == "rep_mode" && !slices.Contains(agentconfig.RepModes, kv.value) {
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
