// SPDX-License-Identifier: Apache-2.0

package main

// The operator tools talk to people in English, or in Japanese when the
// locale says so (PG-REX's users expect it). This file holds the message
// catalogue and the plumbing every subcommand shares to talk: the
// environment (streams, command runner, syslog) and the prompt.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/syslog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/toolsconf"
	"github.com/pgrex/pgrex/ra/cmdrun"
)

// Exit codes shared by the subcommands (docs/operations.md).
const (
	exitOK       = 0
	exitError    = 1 // could not do it: bad input, a command failed
	exitAttn     = 2 // status: degraded; lock status: lock present; refused by a safety check
	exitDown     = 3 // status: no (single) primary
	exitDeclined = 3 // the operator answered no at a prompt
)

// lang is the language of the messages.
type lang int

const (
	en lang = iota
	ja
)

// langFrom picks the language as the C library does for LC_MESSAGES: the
// first set of LC_ALL, LC_MESSAGES, LANG decides; Japanese when it starts
// with "ja".
func langFrom(getenv func(string) string) lang {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "ja") {
				return ja
			}
			return en
		}
	}
	return en
}

// catalog maps a message key to its English and Japanese text. Arguments
// are positional (%[1]s…) so a translation may reorder them; both texts of
// a key use the same arguments (TestCatalog checks).
var catalog = map[string][2]string{
	// Common.
	"error":         {"error: %[1]s", "エラー: %[1]s"},
	"warning":       {"warning: %[1]s", "警告: %[1]s"},
	"yes-no":        {" [y/N] ", " [y/N] "},
	"declined":      {"Nothing was changed.", "何も変更していません。"},
	"manual":        {"manual %[1]s", "マニュアル %[1]s"},
	"manual-table":  {"manual %[1]s, table %[2]s", "マニュアル %[1]s、表 %[2]s"},
	"manual-tonly":  {"table %[1]s", "表 %[1]s"},
	"source":        {"(from %[1]s)", "(%[1]s より)"},
	"src.flag":      {"command line", "コマンドライン"},
	"src.config":    {"config file", "設定ファイル"},
	"src.cib":       {"CIB", "CIB"},
	"src.default":   {"default", "デフォルト"},
	"src.cib-file":  {"on-disk CIB %[1]s", "ディスク上の CIB %[1]s"},
	"src.cluster":   {"cluster", "クラスタ"},
	"no-cluster":    {"Cannot read the cluster status (is Pacemaker running on this node?): %[1]s", "クラスタの状態を取得できません(このノードで Pacemaker は起動していますか?): %[1]s"},
	"local-lock":    {"This node's %[1]s: %[2]s", "このノードの %[1]s: %[2]s"},
	"lock.yes":      {"present", "present"},
	"lock.no":       {"absent", "absent"},
	"unknown-value": {"?", "?"},

	// status: layout.
	"st.cluster": {"Cluster: DC %[1]s, stonith-enabled=%[2]s, maintenance-mode=%[3]s", "クラスタ: DC %[1]s、stonith-enabled=%[2]s、maintenance-mode=%[3]s"},
	// Column headings stay ASCII in both languages: tabwriter aligns
	// runes, not display width, and the names are the manual's anyway.
	"st.header":      {"NODE\tSTATE\tROLE\tpgsql-status\tdata-status\tscore\tVIPs\tlock\tfail-count", "NODE\tSTATE\tROLE\tpgsql-status\tdata-status\tscore\tVIPs\tlock\tfail-count"},
	"st.failed":      {"Failed actions:", "制御エラー情報:"},
	"st.failure":     {"  %[1]s on %[2]s: %[3]s (rc=%[4]s) %[5]s", "  %[2]s の %[1]s: %[3]s (rc=%[4]s) %[5]s"},
	"st.constraints": {"Move/ban constraints:", "移動・禁止制約:"},
	"st.constraint":  {"  %[1]s: %[2]s on %[3]s (%[4]s)", "  %[1]s: %[3]s の %[2]s (%[4]s)"},
	"st.fencing":     {"Fencing history:", "STONITH 履歴:"},
	"st.fence":       {"  %[1]s of %[2]s by %[3]s: %[4]s %[5]s", "  %[3]s による %[2]s の %[1]s: %[4]s %[5]s"},
	"st.diagnosis":   {"Diagnosis [%[1]s]: %[2]s (%[3]s)", "診断 [%[1]s]: %[2]s (%[3]s)"},
	"st.steps":       {"Next steps:", "次の手順:"},
	"st.notes":       {"Notes:", "補足:"},
	"st.none":        {"Nothing to do.", "対処は不要です。"},
	"st.from-cib":    {"(CIB)", "(CIB)"},
	"sev.ok":         {"ok", "正常"},
	"sev.degraded":   {"degraded", "縮退"},
	"sev.down":       {"down", "停止"},

	// status: rows. Arguments: node, peer, resource, task.
	"row.healthy":                                {"normal state: primary %[1]s, synchronous standby %[2]s", "正常状態: Primary %[1]s、同期 Standby %[2]s"},
	"row.split-brain":                            {"two primaries: %[1]s and %[2]s", "Primary が 2 台: %[1]s と %[2]s"},
	"row.resource-failure-demote-stop":           {"resource failure (%[4]s) of %[3]s on %[1]s", "%[1]s で %[3]s のリソース故障(%[4]s)"},
	"row.node-unclean":                           {"%[1]s is UNCLEAN: fencing failed or has not finished (a failed stop, disk or node failure)", "%[1]s が UNCLEAN: STONITH の reset が失敗または未完了(stop 故障・内蔵ディスク故障・ノード故障)"},
	"row.internal-disk-failure":                  {"internal disk failure on %[1]s", "%[1]s の内蔵ディスク故障"},
	"row.router-failure":                         {"router failure: both nodes lost their ping target", "ルータ故障: 両ノードで ping 先への疎通が断"},
	"row.s-lan-failure":                          {"S-LAN failure on %[1]s", "%[1]s の S-LAN 故障"},
	"row.ic-lan-failure":                         {"IC-LAN failure: %[3]s is dead as seen from %[1]s", "IC-LAN 故障: %[1]s から見て %[3]s が dead"},
	"row.switchover":                             {"switchover under way: a move/ban constraint on %[3]s keeps the primary off %[1]s", "系切り替え中: %[3]s の移動・禁止制約により %[1]s は Primary になれない"},
	"row.resource-failure-start-promote-monitor": {"resource failure (%[4]s) of %[3]s on %[1]s", "%[1]s で %[3]s のリソース故障(%[4]s)"},
	"row.vip-master-failure":                     {"resource failure (%[4]s) of %[3]s on %[1]s", "%[1]s で %[3]s のリソース故障(%[4]s)"},
	"row.vip-rep-failure":                        {"resource failure (%[4]s) of %[3]s on %[1]s", "%[1]s で %[3]s のリソース故障(%[4]s)"},
	"row.vip-slave-failure":                      {"resource failure (%[4]s) of %[3]s on %[1]s", "%[1]s で %[3]s のリソース故障(%[4]s)"},
	"row.resource-failure-other":                 {"failure (%[4]s) of %[3]s on %[1]s", "%[1]s で %[3]s の故障(%[4]s)"},
	"row.node-fenced":                            {"%[1]s was fenced and is offline: a failed stop, an IC-LAN, disk or node failure (its logs tell which)", "%[1]s は STONITH で停止され OFFLINE: stop 故障・IC-LAN 故障・内蔵ディスク故障・ノード故障のいずれか(ログで特定)"},
	"row.node-stopped":                           {"Pacemaker is stopped on %[1]s (NONE)", "%[1]s の Pacemaker が停止中(NONE)"},
	"row.election":                               {"no primary: the agent is electing one", "Primary なし: エージェントが Primary を選出中"},
	"row.no-primary":                             {"no primary, and no election under way", "Primary なし(選出も行われていない)"},
	"row.d-lan-failure":                          {"D-LAN (replication link) failure: %[1]s is HS:alone / DISCONNECT", "D-LAN(レプリケーション経路)故障: %[1]s が HS:alone / DISCONNECT"},
	"row.replication-not-sync":                   {"standby %[1]s does not replicate synchronously (yet)", "Standby %[1]s が同期レプリケーション状態になっていない"},
	"row.standby-stopped":                        {"no standby: PostgreSQL does not run on %[1]s", "Standby なし: %[1]s で PostgreSQL が停止中"},

	// status: steps. Arguments: node, peer, resource.
	"step.stop-pacemaker":      {"Stop Pacemaker on %[1]s (manual 4.5/4.6).", "%[1]s の Pacemaker を停止する(マニュアル 4.5/4.6)。"},
	"step.report":              {"Report the fault (service state, cluster state, faulty part) and have it repaired.", "保守者へ報告し(サービス稼働状況・クラスタ状態・故障箇所)、復旧を依頼する。"},
	"step.rebuild":             {"%[1]s was primary and may hold WAL that %[2]s lacks: rebuild its data directory from %[2]s (pg_basebackup or pg_rewind) and sync its archive from %[2]s (manual 6.3 (4)).", "%[1]s は Primary だったため %[2]s にない WAL を持つ可能性がある: %[2]s からデータベースクラスタを再作成し(pg_basebackup または pg_rewind)、アーカイブを %[2]s から同期する(マニュアル 6.3 (4))。"},
	"step.clear-lock":          {"Then remove PGSQL.lock on %[1]s: pgrex lock clear", "その後 %[1]s の起動禁止フラグ(PGSQL.lock)を削除する: pgrex lock clear"},
	"step.start-standby":       {"Start %[1]s as standby of %[2]s (manual 4.3). If PGSQL.lock exists there, it was primary: rebuild it first.", "%[1]s を %[2]s の Standby として起動する(マニュアル 4.3)。PGSQL.lock が残っていれば Primary だったノードなので、先に再作成する。"},
	"step.start-primary":       {"Start %[1]s as primary (manual 4.2); if it holds PGSQL.lock, remove it first (pgrex lock clear).", "%[1]s を Primary として起動する(マニュアル 4.2)。PGSQL.lock があれば先に削除する(pgrex lock clear)。"},
	"step.cleanup":             {"Clear the fail count of %[3]s on %[1]s: crm_resource --cleanup -r %[3]s -N %[1]s", "%[1]s の %[3]s のフェイルカウントをクリアする: crm_resource --cleanup -r %[3]s -N %[1]s"},
	"step.clear-constraint":    {"Remove the move/ban constraint: crm_resource --clear -r %[3]s", "移動・禁止制約を解除する: crm_resource --clear -r %[3]s"},
	"step.power-off":           {"Power %[1]s off by hand.", "%[1]s を強制電源断する。"},
	"step.confirm-fencing":     {"On %[2]s, tell the cluster that %[1]s is down: stonith_admin --confirm=%[1]s (meatclient in PG-REX 9.1).", "%[2]s で %[1]s の停止をクラスタに通知する(保守者介在処理): stonith_admin --confirm=%[1]s"},
	"step.power-on":            {"Boot %[1]s (if it did not come back by itself).", "%[1]s を起動する(自動で起動しなかった場合)。"},
	"step.check-node-log":      {"Find out from %[1]s's logs what failed (table 5-6): a failed pgsql stop → 5.10; every corosync link down → IC-LAN failure 5.16; neither → node failure 5.15.", "%[1]s のログから故障を特定する(表 5-6): pgsql の stop 失敗 → 5.10、corosync の全リンク断 → IC-LAN 故障 5.16、いずれでもない → ノード故障 5.15。"},
	"step.check-walsender-log": {"Confirm the cut in %[1]s's PostgreSQL log: \"terminating walsender\" (manual 5.4.1).", "%[1]s の PostgreSQL サーバログに \"terminating walsender\" が出ていることを確認する(マニュアル 5.4.1)。"},
	"step.check-replication":   {"If %[1]s does not reach HS:sync / STREAMING|SYNC within a few monitor intervals, check the replication network and its server log.", "数回のモニタ間隔のうちに %[1]s が HS:sync / STREAMING|SYNC にならない場合は、レプリケーション経路とサーバログを確認する。"},
	"step.wait":                {"Wait a few monitor intervals, then run pgrex status again.", "モニタ間隔の数回分待ってから、再度 pgrex status を実行する。"},
	"step.find-latest":         {"%[1]s has the newest data (pgsql-data-status LATEST, manual 5.6.2 STEP1).", "データが最新のノードは %[1]s(pgsql-data-status が LATEST、マニュアル 5.6.2 STEP1)。"},
	"step.find-latest.none":    {"No node shows LATEST: compare the nodes' data (pg_controldata) before choosing the primary.", "LATEST のノードがない: Primary を決める前に各ノードのデータ(pg_controldata)を比較する。"},
	"step.stop-second-primary": {"Stop writes; decide which of %[1]s and %[2]s holds the committed data; stop Pacemaker on the other and rebuild it as standby.", "更新を止め、%[1]s と %[2]s のどちらがコミット済みデータを持つか判断し、もう一方の Pacemaker を停止して Standby として再作成する。"},
	"step.check-both-views":    {"Run crm_mon on both nodes: if each shows the other offline, it is an IC-LAN failure (manual 5.4.1, 5.16).", "両ノードで crm_mon を実行し、互いに相手を offline と表示していれば IC-LAN 故障(マニュアル 5.4.1、5.16)。"},
	"step.confirm-standby":     {"Check that %[1]s comes up as standby: HS:sync / STREAMING|SYNC (manual 4.3, 6.3 (6)).", "%[1]s が Standby として起動したことを確認する: HS:sync / STREAMING|SYNC(マニュアル 4.3、6.3 (6))。"},

	// status: notes. Arguments: node, resource, value.
	"note.stonith-disabled":   {"STONITH is disabled; PG-REX requires it (manual 2.3 No.1).", "STONITH が無効(PG-REX では必須: マニュアル 2.3 No.1)。"},
	"note.maintenance-mode":   {"maintenance-mode is on: Pacemaker neither monitors nor recovers resources.", "maintenance-mode が有効: Pacemaker はリソースを監視・復旧しない。"},
	"note.resource-unmanaged": {"%[2]s is unmanaged.", "%[2]s は unmanaged。"},
	"note.lock-present":       {"PGSQL.lock exists on %[1]s (%[3]s): PostgreSQL will not start there until it is removed (pgrex lock status).", "%[1]s に PGSQL.lock がある(%[3]s): 削除するまで PostgreSQL は起動しない(pgrex lock status)。"},
	"note.lock-refused-start": {"The start on %[1]s was refused because of PGSQL.lock (manual 5.4.3 (1)): %[3]s", "%[1]s の起動は PGSQL.lock により拒否された(マニュアル 5.4.3 (1)): %[3]s"},
	"note.cli-constraint":     {"Constraint %[3]s (%[2]s on %[1]s) remains: crm_resource --clear -r %[2]s", "制約 %[3]s(%[1]s の %[2]s)が残っている: crm_resource --clear -r %[2]s"},
	"note.fail-count":         {"Fail count of %[2]s on %[1]s: %[3]s", "%[1]s の %[2]s のフェイルカウント: %[3]s"},
	"note.no-primary":         {"No primary runs: the service is down.", "Primary が稼働していない: サービス停止中。"},
	"note.vip-misplaced":      {"%[2]s does not run on the primary %[1]s.", "%[2]s が Primary %[1]s で稼働していない。"},
	"note.node-standby-mode":  {"%[1]s is in standby mode: crm_standby --node %[1]s --update off", "%[1]s は standby モード: crm_standby --node %[1]s --update off"},

	// lock.
	"lk.path":            {"Lock file: %[1]s %[2]s", "起動禁止フラグ: %[1]s %[2]s"},
	"lk.absent":          {"No PGSQL.lock: PostgreSQL may start on this node.", "PGSQL.lock はありません: このノードで PostgreSQL を起動できます。"},
	"lk.present":         {"PGSQL.lock exists: this node was primary when it last stopped, and the agent will not start PostgreSQL here until the file is removed.", "PGSQL.lock があります: このノードは最後に停止したとき Primary でした。削除するまでエージェントは PostgreSQL を起動しません。"},
	"lk.created":         {"Created: %[1]s (%[2]s)", "作成日時: %[1]s(%[2]s)"},
	"lk.from-content":    {"written by the promote", "promote 時の記録"},
	"lk.from-mtime":      {"file modification time; the upstream agent writes an empty file", "ファイル更新日時。upstream のエージェントは空のファイルを作成する"},
	"lk.by":              {"Promote of %[1]s from timeline %[2]s at %[3]s", "%[1]s の promote(timeline %[2]s、位置 %[3]s)"},
	"lk.unknown":         {"Unrecognised lines: %[1]s", "解釈できない行: %[1]s"},
	"lk.facts":           {"This node: %[1]s; PostgreSQL: %[2]s; pgsql-data-status: %[3]s %[4]s", "このノード: %[1]s、PostgreSQL: %[2]s、pgsql-data-status: %[3]s %[4]s"},
	"lk.unset":           {"(unset)", "(未設定)"},
	"lk.unreadable":      {"(unreadable: %[1]s)", "(取得できません: %[1]s)"},
	"lk.backup-label":    {"backup_label in %[1]s: %[2]s", "%[1]s の backup_label: %[2]s"},
	"lk.refused":         {"Refusing to remove %[1]s:", "%[1]s の削除を拒否します:"},
	"lk.force-hint":      {"Use --force to remove it anyway.", "それでも削除する場合は --force を指定してください。"},
	"lk.forced":          {"--force: removing it despite:", "--force: 次の理由を無視して削除します:"},
	"lk.grounds":         {"Safe to remove:", "削除して問題ない理由:"},
	"lk.confirm":         {"Remove %[1]s?", "%[1]s を削除しますか?"},
	"lk.dry-run":         {"Dry run: would remove %[1]s.", "ドライラン: %[1]s を削除します(実際には削除しません)。"},
	"lk.removed":         {"Removed %[1]s.", "%[1]s を削除しました。"},
	"lk.gone":            {"%[1]s was already gone.", "%[1]s はすでにありませんでした。"},
	"lk.nothing":         {"Nothing to remove.", "削除するものはありません。"},
	"pg.stopped":         {"stopped", "停止"},
	"pg.primary":         {"running as primary", "Primary として稼働中"},
	"pg.standby":         {"running as standby", "Standby として稼働中"},
	"pg.unknown":         {"running (role unknown)", "稼働中(ロール不明)"},
	"lk.primary-running": {"PostgreSQL runs here as primary: the lock is what keeps this node from rejoining as a standby after a failure.", "このノードで PostgreSQL が Primary として稼働中: 故障後に Standby として再組み込みされないためのフラグです。"},
	"lk.role-unknown":    {"PostgreSQL runs here and its role cannot be told from the data directory.", "このノードで PostgreSQL が稼働中で、データディレクトリからロールを判断できません。"},
	"lk.data-behind":     {"pgsql-data-status is %[1]s: this node may lack committed data or have diverged from the current primary; rebuild it (pg_basebackup or pg_rewind) first.", "pgsql-data-status が %[1]s: コミット済みデータが欠けているか、現在の Primary から分岐している可能性があります。先に再作成してください(pg_basebackup または pg_rewind)。"},
	"lk.data-unset":      {"pgsql-data-status is not set for this node: nothing shows that its data is complete.", "このノードの pgsql-data-status が未設定: データが最新である根拠がありません。"},
	"lk.data-unreadable": {"pgsql-data-status could not be read: %[1]s", "pgsql-data-status を取得できません: %[1]s"},
	"lk.data-latest":     {"pgsql-data-status is LATEST: this node was the last primary and holds the newest data.", "pgsql-data-status が LATEST: 最後の Primary で、最新のデータを持っています。"},
	"lk.data-sync":       {"pgsql-data-status is STREAMING|SYNC: this node has every committed transaction.", "pgsql-data-status が STREAMING|SYNC: コミット済みのトランザクションをすべて持っています。"},
	"lk.rebuilt":         {"the data directory was rebuilt after the lock was made (backup_label of %[1]s).", "フラグ作成後にデータベースクラスタが再作成されています(backup_label %[1]s)。"},
	"lk.forced-ground":   {"--force", "--force"},
	"lk.peer-unreachable": {"Pacemaker is stopped here, so pgsql-data-status is this node's memory of when it left, and the peer %[1]s could not be asked (%[2]s): nothing shows that it was not promoted since. What would prove it: ssh to the peer working (--peer, --ssh-option), so that its CIB, PostgreSQL role and timeline can be read; or, with the peer known to be gone for good, --force.",
		"このノードの Pacemaker は停止中のため pgsql-data-status は離脱時の記録であり、相手ノード %[1]s に問い合わせできません(%[2]s): その後相手が昇格していないという根拠がありません。根拠となるもの: 相手ノードへの ssh 接続(--peer、--ssh-option)で相手の CIB、PostgreSQL のロールとタイムラインを確認すること。相手ノードが二度と戻らないことが確実な場合は --force。"},
	"lk.peer-primary": {"%[1]s runs as primary: it was promoted after this node left; rejoin this node with standby-start (it removes the lock after a rebuild).",
		"%[1]s が Primary として稼働中: このノードの離脱後に昇格しています。standby-start でこのノードを再組み込みしてください(再作成後にフラグを削除します)。"},
	"lk.peer-latest": {"the peer's CIB says %[1]s is LATEST (%[2]s): it, not this node, holds the newest data.",
		"相手ノードの CIB で %[1]s が LATEST(%[2]s): 最新のデータを持つのはこのノードではなく相手です。"},
	"lk.peer-says-behind": {"the peer's CIB, which knows of promotes after this node left, says this node is %[2]s: this node may lack data of %[1]s.",
		"このノードの離脱後の昇格を知る相手ノードの CIB では、このノードは %[2]s: %[1]s のデータが欠けている可能性があります。"},
	"lk.peer-newer-timeline": {"%[1]s is on timeline %[2]s, this node on %[3]s: the peer was promoted after this node left.",
		"%[1]s はタイムライン %[2]s、このノードは %[3]s: このノードの離脱後に相手が昇格しています。"},
	"lk.peer-ahead": {"%[1]s reaches %[2]s, further than this node's %[3]s on the same timeline.",
		"%[1]s は同じタイムラインでこのノード(%[3]s)より先の %[2]s まで進んでいます。"},
	"lk.peer-unknown": {"the timelines of this node and %[1]s could not be compared: %[2]s",
		"このノードと %[1]s のタイムラインを比較できません: %[2]s"},
	"lk.peer-not-ahead": {"the peer %[1]s was asked: it does not run as primary, is not LATEST, and its timeline %[2]s is not ahead of this node's %[3]s.",
		"相手ノード %[1]s に確認済み: Primary ではなく、LATEST でもなく、タイムライン %[2]s はこのノードの %[3]s より進んでいません。"},

	// archive-clean.
	"ar.need":        {"WAL needed by %[1]s: %[2]s", "%[1]s が必要とする WAL: %[2]s"},
	"ar.cutoff":      {"Oldest WAL needed: %[1]s (%[2]s). Files before it can go.", "必要な最古の WAL: %[1]s(%[2]s)。これより前のファイルを削除できます。"},
	"ar.timelines":   {"Timeline history kept for timelines: %[1]s", "履歴ファイルを残すタイムライン: %[1]s"},
	"ar.delete":      {"  delete %[1]s", "  削除 %[1]s"},
	"ar.summary":     {"%[1]v files to delete (%[2]s); %[3]v kept (%[4]s); %[5]v left untouched (compressed or not PostgreSQL's).", "削除 %[1]v ファイル(%[2]s)、保持 %[3]v ファイル(%[4]s)、対象外 %[5]v ファイル(圧縮済み・PostgreSQL 以外)。"},
	"ar.no-backup":   {"No base backup given (--backup): every base backup that starts before %[1]s becomes unusable.", "ベースバックアップの指定(--backup)がありません: %[1]s より前から始まるベースバックアップは使えなくなります。"},
	"ar.confirm":     {"Delete %[1]v files from %[2]s?", "%[2]s から %[1]v ファイルを削除しますか?"},
	"ar.nothing":     {"Nothing to delete.", "削除対象はありません。"},
	"ar.dry-run":     {"Dry run: nothing was deleted.", "ドライラン: 何も削除していません。"},
	"ar.deleted-one": {" -- deleted %[1]s", " -- 削除 %[1]s"},
	"ar.done":        {"Deleted %[1]v files (%[2]s) from %[3]s.", "%[3]s から %[1]v ファイル(%[2]s)を削除しました。"},
	"ar.skipped":     {"%[1]v files changed or vanished since planning and were left alone.", "計画後に変更・削除された %[1]v ファイルはそのままにしました。"},
	"ar.no-needs":    {"Nothing says which WAL is still needed: give --backup, --standby-redo or --pgdata.", "必要な WAL を判断できません: --backup、--standby-redo または --pgdata を指定してください。"},
	"ar.refused":     {"Refusing to clean %[1]s: %[2]s", "%[1]s の削除を拒否します: %[2]s"},
	"ar.no-archive":  {"No archive directory: give --archive or set Archive_dir in %[1]s.", "アーカイブディレクトリがありません: --archive を指定するか、%[1]s に Archive_dir を設定してください。"},
	"ar.src-backup":  {"base backup %[1]s", "ベースバックアップ %[1]s"},
	"ar.src-standby": {"checkpoint %[1]s", "チェックポイント %[1]s"},
	"ar.src-pgdata":  {"last checkpoint of %[1]s (%[2]s)", "%[1]s の最終チェックポイント(%[2]s)"},
}

// env is what a subcommand needs from the outside world. Production uses
// defaultEnv; tests put their own in App.Metadata["env"].
type env struct {
	run      attrd.Runner
	stdin    *bufio.Reader
	stdout   io.Writer
	stderr   io.Writer
	getenv   func(string) string
	now      func() time.Time
	syslog   func(msg string) error
	hostname func() (string, error)
	lang     lang
}

func defaultEnv(c *cli.Context) *env {
	return &env{
		run:      &cmdrun.Runner{},
		stdin:    bufio.NewReader(os.Stdin),
		stdout:   c.App.Writer,
		stderr:   c.App.ErrWriter,
		getenv:   os.Getenv,
		now:      time.Now,
		syslog:   sendSyslog,
		hostname: os.Hostname,
		lang:     langFrom(os.Getenv),
	}
}

// envOf returns the subcommand's environment.
func envOf(c *cli.Context) *env {
	if e, ok := c.App.Metadata["env"].(*env); ok {
		return e
	}
	return defaultEnv(c)
}

// sendSyslog logs one notice under the tag "pgrex"; best effort, as in
// the agent (no /dev/log in containers).
func sendSyslog(msg string) error {
	w, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_NOTICE, "pgrex")
	if err != nil {
		return err
	}
	defer w.Close()
	return w.Notice(msg)
}

// T renders a catalogue message in the environment's language. A missing
// key is a programming error that TestCatalog catches; at run time the key
// itself is shown rather than nothing.
func (e *env) T(key string, args ...any) string {
	m, ok := catalog[key]
	if !ok {
		return key
	}
	text := m[e.lang]
	// Callers pass a row's or a step's full argument list; a message that
	// uses fewer arguments must not print fmt's %!(EXTRA …).
	if n := maxArgIndex(text); n < len(args) {
		args = args[:n]
	}
	return fmt.Sprintf(text, args...)
}

var argIndexRE = regexp.MustCompile(`%\[(\d+)\]`)

// maxArgIndex is the highest explicit argument index in a message.
func maxArgIndex(text string) int {
	n := 0
	for _, m := range argIndexRE.FindAllStringSubmatch(text, -1) {
		if i, err := strconv.Atoi(m[1]); err == nil && i > n {
			n = i
		}
	}
	return n
}

// say prints a message line on stdout (PG-REX's tools print there too).
func (e *env) say(key string, args ...any) {
	fmt.Fprintln(e.stdout, e.T(key, args...))
}

// fail prints an error on stderr and returns the exit code for the
// Action to return.
func (e *env) fail(code int, err error) error {
	fmt.Fprintln(e.stderr, e.T("error", err.Error()))
	return cli.Exit("", code)
}

// logAction records a change in syslog and on stderr.
func (e *env) logAction(msg string) {
	fmt.Fprintln(e.stderr, msg)
	if e.syslog != nil {
		_ = e.syslog(msg)
	}
}

// confirm asks a yes/no question; only "y" or "yes" is yes. End of input
// is no.
func (e *env) confirm(key string, args ...any) bool {
	fmt.Fprint(e.stdout, e.T(key, args...)+e.T("yes-no"))
	line, err := e.stdin.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	if errors.Is(err, io.EOF) {
		fmt.Fprintln(e.stdout)
	}
	return false
}

// configFlag is the --config flag every subcommand takes (a new one each
// time: urfave/cli flags keep parse state).
func configFlag() cli.Flag {
	return &cli.StringFlag{Name: "config", Usage: "tools configuration file", Value: toolsconf.DefaultPath,
		EnvVars: []string{"PGREX_TOOLS_CONF"}}
}

// loadConfig reads the tools configuration; warnings (unknown keys) go to
// stderr.
func loadConfig(c *cli.Context, e *env) (toolsconf.Config, error) {
	cfg, warns, err := toolsconf.Load(c.String("config"), c.IsSet("config"))
	for _, w := range warns {
		fmt.Fprintln(e.stderr, e.T("warning", w.String()))
	}
	return cfg, err
}

// ctxTimeout bounds one external command by the configured timeout.
func ctxTimeout(c *cli.Context, cfg toolsconf.Config) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Context, cfg.CommandTimeout)
}

// sourceText renders where a setting came from.
func (e *env) sourceText(s toolsconf.Source) string {
	switch s {
	case toolsconf.FromFlag:
		return e.T("source", e.T("src.flag"))
	case toolsconf.FromConfig:
		return e.T("source", e.T("src.config"))
	case toolsconf.FromCIB:
		return e.T("source", e.T("src.cib"))
	}
	return e.T("source", e.T("src.default"))
}

// humanBytes renders a size for people.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
