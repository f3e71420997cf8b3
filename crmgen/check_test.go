// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"strings"
	"testing"
)

// pgsqlSheet builds a minimal sheet with one pgsql primitive of the given
// provider whose params are the given "name,value" rows.
func pgsqlSheet(provider string, params ...string) string {
	var b strings.Builder
	b.WriteString(",RESOURCES\n,,resourceItem,resourceItem,id\n,,Clone,,ms\n,,,Primitive,pgsql\n")
	b.WriteString(",PRIMITIVE\n,P,id,class,provider,type\n,,pgsql,ocf," + provider + ",pgsql\n")
	b.WriteString(",A,type,name,value\n")
	for i, p := range params {
		typ := ""
		if i == 0 {
			typ = "params"
		}
		b.WriteString(",," + typ + "," + p + "\n")
	}
	return b.String()
}

func TestCheckPgsql(t *testing.T) {
	sync := []string{"rep_mode,sync", "node_list,pg1 pg2", "master_ip,10.0.0.1"}
	tests := []struct {
		name   string
		csv    string
		known  func(string) bool
		status int
		diags  string // diagnostics at -V
	}{
		{"valid sync configuration", pgsqlSheet("pgrex", sync...), nil, StatusOK, ""},
		{"PG-REX 9.1 parameters are known", pgsqlSheet("pgrex", append(sync, "stop_on_demote,yes", "pgctldata,/x")...), nil, StatusOK, ""},
		{"unknown parameter, reported at its row",
			pgsqlSheet("pgrex", append(sync, "pgdta,/d")...), nil, StatusError,
			"ERROR : c.csv(L12): [id: pgsql] のパラメータ [pgdta] は ocf:pgrex:pgsql のパラメータではありません。\n"},
		{"bad rep_mode",
			pgsqlSheet("pgrex", "rep_mode,Sync"), nil, StatusError,
			"ERROR : c.csv(L9): [id: pgsql] のパラメータ rep_mode の値 [Sync] が正しくありません。(none, async, sync, slave のいずれか)\n"},
		{"sync without node_list and master_ip",
			pgsqlSheet("pgrex", "pgdata,/d", "rep_mode,sync", "node_list,"), nil, StatusError,
			"ERROR : c.csv(L10): [id: pgsql] rep_mode=sync にはパラメータ node_list (全ノード名の空白区切り) が必要です。\n" +
				"ERROR : c.csv(L10): [id: pgsql] rep_mode=sync にはパラメータ master_ip (レプリケーション用仮想IP) が必要です。\n"},
		{"slave needs master_ip only",
			pgsqlSheet("pgrex", "rep_mode,slave"), nil, StatusError,
			"ERROR : c.csv(L9): [id: pgsql] rep_mode=slave にはパラメータ master_ip (レプリケーション用仮想IP) が必要です。\n"},
		{"plain mode needs neither", pgsqlSheet("pgrex", "rep_mode,none"), nil, StatusOK, ""},
		{"the agent's own table is used when wired",
			pgsqlSheet("pgrex", append(sync, "new_param,1")...), func(n string) bool { return n == "new_param" || BuiltinPgsqlParam(n) }, StatusOK, ""},
		{"other providers are not checked, which is said",
			pgsqlSheet("heartbeat", "pgdta,/d"), nil, StatusWarning,
			"WARN  : c.csv: --check: ocf:pgrex:pgsql のPrimitiveリソースがないため、パラメータを検査していません。\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Generate("c.csv", []byte(tt.csv), Options{Check: true, KnownParam: tt.known})
			if res.Status != tt.status {
				t.Errorf("status %d, want %d", res.Status, tt.status)
			}
			if got := diagText(res.Diags, int(LevelWarn)); got != tt.diags {
				t.Errorf("diagnostics:\n%s\nwant:\n%s", got, tt.diags)
			}
			if (res.Output == nil) != (tt.status == StatusError) {
				t.Errorf("output present = %v with status %d", res.Output != nil, res.Status)
			}
			// Without --check the same sheet must generate as pm_crmgen would.
			if plain := Generate("c.csv", []byte(tt.csv), Options{}); plain.Status != StatusOK {
				t.Errorf("without --check: status %d:\n%s", plain.Status, diagText(plain.Diags, int(LevelWarn)))
			}
		})
	}
}
