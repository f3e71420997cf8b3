// SPDX-License-Identifier: Apache-2.0

package main

// Messages of the procedures (primary-start, standby-start, switchover,
// stop), added to the catalogue at start-up:
//
//   - "pc.*": the CLI's own lines, in both languages;
//   - "ps.<code>" (steps) and "pr.<code>" (refusals, method reasons,
//     notes): the English text is internal/procedure's (StepTemplate,
//     RefusalTemplate), the Japanese is here;
//   - "pm.<method>": the names of standby-start's methods.

import (
	"strings"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/procedure"
)

var procMessages = map[string][2]string{
	"pc.title":           {"**** pgrex %[1]s on %[2]s ****", "**** pgrex %[1]s (%[2]s) ****"},
	"pc.primary-start":   {"primary-start", "primary-start(Primary の起動)"},
	"pc.standby-start":   {"standby-start", "standby-start(Standby の起動)"},
	"pc.switchover":      {"switchover", "switchover(系切り替え)"},
	"pc.stop":            {"stop", "stop(停止)"},
	"pc.note":            {"Note:", "補足:"},
	"pc.refused":         {"Refused; nothing was changed:", "以下の理由により中止しました(何も変更していません):"},
	"pc.nothing":         {"Nothing to do.", "実施する作業はありません。"},
	"pc.plan":            {"Plan:", "実施する手順:"},
	"pc.destructive":     {"[asks first]", "[実行前に確認]"},
	"pc.confirm":         {"%[1]s: go ahead?", "%[1]s: 実行しますか?"},
	"pc.dry-run":         {"Dry run: nothing was changed.", "ドライラン: 何も変更していません。"},
	"pc.ignored":         {"(ignored) %[1]s", "(無視します) %[1]s"},
	"pc.ctrl-c":          {"Ctrl-C is ignored while a step changes this node; it ends only a wait.", "このノードを変更する手順の実行中は Ctrl-C を無視します(待機中のみ中断できます)。"},
	"pc.timeout":         {"the state was not reached within %[1]s; last seen: %[2]s", "%[1]s 以内に目的の状態になりませんでした。最後の状態: %[2]s"},
	"pc.resource-failed": {"a resource failed while Pacemaker started: %[1]s (crm_mon -fA shows the details)", "Pacemaker の起動中にリソースが故障しました: %[1]s(詳細は crm_mon -fA で確認してください)"},
	"pc.data-status":     {"pgsql-data-status of %[1]s: %[2]s (%[3]s)", "%[1]s の pgsql-data-status: %[2]s(%[3]s)"},
	"pc.methods":         {"Methods to start this node as standby:", "Standby として起動する方法:"},
	"pc.available":       {"available", "可能"},
	"pc.unavailable":     {"not available: %[1]s", "不可: %[1]s"},
	"pc.chosen":          {"Chosen: %[1]s", "選択した方法: %[1]s"},
	"pc.primary-started": {"Primary has started on %[1]s.", "ノード(%[1]s)が Primary として起動しました。"},
	"pc.standby-started": {"Standby has started on %[1]s (synchronous standby of %[2]s).", "ノード(%[1]s)が Standby として起動しました(%[2]s の同期 Standby)。"},
	"pc.switch-roles":    {"Primary: %[1]s -> %[2]s, standby: %[2]s -> %[1]s", "Primary: %[1]s -> %[2]s、Standby: %[2]s -> %[1]s"},
	"pc.availability":    {"The service is unavailable while the primary moves.", "系切り替え中はサービスを提供できません。"},
	"pc.phase2":          {"Then %[1]s rejoins as standby (standby-start; its method is decided once the peer is primary).", "その後 %[1]s を Standby として組み込みます(standby-start。方法は相手ノードが Primary になった時点で決定します)。"},
	"pc.primary-moved":   {"**** Primary has started on %[1]s ****", "**** ノード(%[1]s)が Primary として起動しました ****"},
	"pc.rejoin-failed":   {"The primary has moved, but %[1]s did not rejoin as standby: fix the above and run pgrex standby-start there.", "Primary は移動しましたが、%[1]s を Standby として組み込めませんでした。上記を解消してから、そのノードで pgrex standby-start を実行してください。"},
	"pc.switchover-done": {"**** Switchover completed: primary %[1]s, standby %[2]s ****", "**** 系切り替えが完了しました: Primary %[1]s、Standby %[2]s ****"},
	"pc.stopped":         {"Pacemaker has stopped.", "Pacemaker が停止しました。"},

	"pm.reuse":      {"n) start as it is", "n) そのまま起動"},
	"pm.rewind":     {"r) pg_rewind, then start", "r) pg_rewind を実行してから起動"},
	"pm.basebackup": {"b) a new base backup from the primary", "b) Primary から新たにベースバックアップを取得して起動"},
}

// procJapanese is the Japanese of internal/procedure's step and refusal texts.
var procJapanese = map[string]string{
	// Steps.
	"ps.remove-lock":           "起動禁止フラグ %[1]s を削除(%[2]s)",
	"ps.remove-signal":         "%[1]s を削除(必要なものはエージェントが作成)",
	"ps.start-pacemaker":       "%[1]s の Pacemaker を起動: %[2]s",
	"ps.wait-primary":          "%[1]s が Primary(PRI / LATEST)になるまで待機(最大 %[2]s)",
	"ps.wait-standby":          "%[1]s が同期 Standby(HS:sync / STREAMING|SYNC)になるまで待機(最大 %[2]s)",
	"ps.pg-rewind":             "%[2]s の Primary から pg_rewind で %[1]s を Primary のタイムラインに巻き戻す",
	"ps.remove-data":           "%[1]s を削除(--remove-old-data の指定による)",
	"ps.move-data-aside":       "旧データ %[1]s を %[2]s に退避",
	"ps.mkdir":                 "新しいデータ用に %[1]s を作成",
	"ps.pg-basebackup":         "%[2]s の Primary から %[1]s に新たにベースバックアップを取得",
	"ps.mkdir-staging":         "一時ディレクトリ %[1]s を作成",
	"ps.fetch-archive":         "Primary %[2]s からアーカイブファイル %[1]s 個を取得(%[3]s … %[4]s)",
	"ps.install-archive":       "取得した %[1]s 個のファイルを検査して %[2]s に配置",
	"ps.ban-promoted":          "Primary を %[2]s から %[3]s へ移動(%[1]s に crm_resource --ban)",
	"ps.clear-constraint":      "移動制約を解除(crm_resource --clear -r %[1]s)",
	"ps.stop-pacemaker":        "%[1]s の Pacemaker を停止: %[2]s",
	"ps.wait-stopped":          "%[1]s の Pacemaker と PostgreSQL が停止するまで待機(最大 %[2]s)",
	"ps.checkpoint":            "%[1]s で CHECKPOINT(停止時間を短縮。エラーは無視)",
	"ps.stop-standby":          "Standby %[1]s を停止: %[2]s",
	"ps.stop-node":             "%[1]s を停止(PostgreSQL は稼働していません): %[2]s",
	"ps.stop-primary":          "Primary %[1]s を停止: %[2]s",
	"ps.stop-unknown-role":     "%[1]s を停止(このノードからはロールがわからないため Primary の可能性あり): %[2]s",
	"ps.stop-primary-failover": "Standby 稼働中に Primary %[1]s を停止(Standby へフェイルオーバします): %[2]s",

	// Refusals.
	"pr.pacemaker-running-here":     "%[1]s で Pacemaker がすでに起動しています",
	"pr.postgres-running-here":      "%[1]s の PostgreSQL が Pacemaker の管理外で稼働しています",
	"pr.no-data":                    "%[1]s にデータベースクラスタがありません",
	"pr.rewind-incomplete":          "%[1]s は pg-rex_standby_start による巻き戻しが完了していません(postgresql.conf に記録があります)",
	"pr.lock-unreadable":            "起動禁止フラグを確認できません: %[1]s",
	"pr.peer-unreachable":           "相手ノード %[1]s に問い合わせできません(%[2]s)。停止していることが確かなら --ignore-peer を指定してください",
	"pr.peer-in-production":         "%[1]s の PostgreSQL が Pacemaker 管理外で Primary として稼働中か、Primary のまま異常停止して状態を確認できません(制御ファイルが \"in production\")",
	"pr.peer-crashed-primary":       "%[1]s の PostgreSQL は Primary のまま異常停止しています(シャットダウンチェックポイントなし)。後で Standby として再構築します",
	"pr.peer-newer-timeline":        "%[1]s はタイムライン %[2]s、このノードは %[3]s: このノードの停止後に相手ノードが昇格しており、より新しいデータを持っています",
	"pr.data-status":                "%[2]s でこのノードの pgsql-data-status が %[1]s: コミット済みデータが欠けている可能性があります(Primary として起動できるのは LATEST か STREAMING|SYNC のみ)",
	"pr.peer-is-latest":             "%[2]s で %[1]s が LATEST: 直前まで Primary だったのは相手ノードです。そちらを Primary として起動してください(マニュアル 4.2 (1))",
	"pr.lock-present":               "起動禁止フラグ %[1]s があり、このノードが最新のデータを持つ根拠がありません(%[2]s)。pgrex lock status を参照してください",
	"pr.peer-status-unknown":        "%[1]s のクラスタ状態を取得できません: %[2]s",
	"pr.primary-running":            "%[1]s で Primary が稼働しています",
	"pr.no-primary":                 "%[1]s で Primary が稼働していません",
	"pr.primary-facts":              "%[1]s の Primary の PostgreSQL に問い合わせできません: %[2]s",
	"pr.no-peer-address":            "相手ノードのアドレスがわかりません: D_LAN_IPAddress を設定するか --peer を指定してください",
	"pr.no-archive-dir":             "ツール設定に Archive_dir がありません(共有アーカイブの場合は --shared-archive)",
	"pr.archive-unreadable":         "アーカイブディレクトリ %[1]s を読めません: %[2]s",
	"pr.peer-archive-unreadable":    "%[1]s のアーカイブディレクトリを一覧できません: %[2]s",
	"pr.future-archive":             "%[1]s に Primary の履歴にあり得ない WAL(より新しいタイムライン、または現在位置より先)があります: %[2]s。先に退避してください",
	"pr.no-method":                  "指定された方法(%[1]s)はいずれも実施できません",
	"pr.pacemaker-not-running-here": "%[1]s で Pacemaker が起動していません",
	"pr.status-unreadable":          "クラスタの状態を取得できません: %[1]s",
	"pr.not-two-nodes":              "クラスタのノード数が %[1]s です(PG-REX は 2 ノード)",
	"pr.node-unknown":               "%[1]s はクラスタのノードではありません",
	"pr.node-not-online":            "%[1]s が online ではありません",
	"pr.two-primaries":              "Primary が複数あります: %[1]s",
	"pr.not-primary-here":           "%[1]s は Primary ではありません(%[2]s %[3]s/%[4]s)。switchover は Primary で実行してください",
	"pr.no-standby":                 "Standby がありません",
	"pr.standby-not-sync":           "%[1]s が同期 Standby ではありません(%[2]s %[3]s/%[4]s)",
	"pr.maintenance-mode":           "maintenance-mode が有効です",
	"pr.unmanaged":                  "%[1]s が Pacemaker の管理外です",
	"pr.constraint-present":         "%[2]s の移動・禁止制約 %[1]s が残っています(crm_resource --clear)",
	"pr.node-not-in-cib":            "%[2]s にノード %[1]s がありません: このノードのクラスタ上の名前(Node_name、--node)を確認してください",
	"pr.no-clone":                   "%[1]s の promotable クローンがわかりません",
	"pr.version-unsupported":        "Primary の PostgreSQL は %[1]s(server_version_num)です。standby-start には 13 以降が必要です",

	// Reasons a standby method is not available.
	"pr.control-unreadable":      "pg_controldata で %[1]s を読めません: %[2]s",
	"pr.version-mismatch":        "データは PostgreSQL %[1]s、Primary は %[2]s です",
	"pr.system-id":               "データベースシステム識別子が Primary と異なります(%[1]s != %[2]s)",
	"pr.timeline-ahead":          "このノードのタイムライン %[1]s が Primary の %[2]s より大きい",
	"pr.history-unreadable":      "Primary のタイムライン %[1]s の履歴を読めません: %[2]s",
	"pr.timeline-not-in-history": "Primary のタイムライン %[2]s はこのノードのタイムライン %[1]s から分岐していません",
	"pr.lock-present-rebuild":    "起動禁止フラグ %[1]s があります: Primary だったノードなので再作成します(マニュアル 4.3 (4))",
	"pr.wal-end-unknown":         "%[1]s の WAL の終端を特定できません",
	"pr.ahead-of-primary":        "このノードの WAL(%[1]s)が Primary の現在位置 %[2]s より先に進んでいます",
	"pr.diverged":                "このノードの WAL(%[1]s)が、Primary がこのノードのタイムラインから分岐した位置 %[2]s を越えています",
	"pr.wal-gone":                "%[1]s 以降の WAL が %[2]s(アーカイブ・pg_wal)にもう残っていません: データが古すぎます",
	"pr.rewind-same-timeline":    "このノードは Primary と同じタイムライン %[1]s にあり、pg_rewind で巻き戻すものがありません",
	"pr.full-page-writes-off":    "%[1]s の full_page_writes が off です",
	"pr.no-wal-log-hints":        "pg_rewind には wal_log_hints=on かデータチェックサムが必要です",
	"pr.checkpoint-after-fork":   "このノードの最終チェックポイント(%[1]s)が分岐点 %[2]s より後です",
	"pr.archive-not-empty":       "アーカイブディレクトリ %[1]s が空でなく、別のデータベースのファイルがあります",
	"pr.pgdata-mountpoint":       "%[1]s はマウントポイントのため退避できません(--remove-old-data で中身を削除します)",
	"pr.no-master-ip":            "pgsql リソースの master_ip がわかりません",
	"pr.delete-path":             "%[1]s は正規化された絶対パスではありません: 何も削除しません",
	"pr.delete-system-dir":       "%[1]s はシステムディレクトリで、データベースクラスタではありません: 何も削除しません",
	"pr.delete-symlink":          "%[1]s はシンボリックリンクです: リンク先は削除しません",
	"pr.delete-not-dir":          "%[1]s はディレクトリではありません",
	"pr.delete-no-pg-version":    "%[1]s に PG_VERSION がありません: データベースクラスタではないため何も削除しません",
	"pr.delete-pg-version":       "%[1]s の PG_VERSION は %[2]s で、standby-start が対応する PostgreSQL のメジャーバージョンではありません: 何も削除しません",
	"pr.delete-no-control":       "%[1]s に global/pg_control がありません: データベースクラスタではないため何も削除しません",
	"pr.delete-sysid-unknown":    "%[1]s のデータベースシステム識別子を読めません(%[2]s): このクラスタのものである根拠がないため何も削除しません",
	"pr.delete-sysid":            "%[1]s は別のデータベースクラスタのものです(システム識別子 %[2]s、Primary は %[3]s): 何も削除しません",
	"pr.delete-nested":           "%[1]s の下に別のデータベースクラスタ %[2]s があります: 何も削除しません",
	"pr.delete-nested-unknown":   "%[1]s の下に別のデータベースクラスタがないか確認できません(%[2]s): 何も削除しません",
	"pr.delete-wal-not-wal":      "pg_wal のリンク先 %[1]s に WAL 以外のもの(%[2]s)があります: 何も削除しません",
	"pr.delete-wal-unreadable":   "pg_wal のリンク先 %[1]s の一覧を取得できません(%[2]s): 何も削除しません",

	// Notes.
	"pr.peer-ignored":               "相手ノード %[1]s には問い合わせていません(%[2]s): --ignore-peer",
	"pr.peer-control-unknown":       "%[1]s で pg_controldata を実行できませんでした: %[2]s",
	"pr.data-status-unset":          "%[1]s の pgsql-data-status が未設定: 初回起動として扱います",
	"pr.archive-ahead":              "アーカイブ %[1]s が Primary のものより新しいため、WAL セグメントは取得しません",
	"pr.archive-incomplete-skipped": "Primary でアーカイブ中のファイルは取得しません: %[1]s",
	"pr.archive-in-sync":            "アーカイブ %[1]s は Primary のファイルをすべて持っています",
	"pr.peer-unknown":               "相手ノードのアドレスがわかりません(D_LAN_IPAddress または --peer): このノードだけを停止します",
	"pr.already-stopped":            "%[1]s の Pacemaker は起動していません",
	"pr.failover-warning":           "Primary %[1]s を停止すると Standby %[2]s へフェイルオーバします。Primary を移動する場合は pgrex switchover を使用してください",
}

func init() {
	for k, v := range procMessages {
		catalog[k] = v
	}
	for k, ja := range procJapanese {
		code := k[len("ps."):]
		en := procedure.RefusalTemplate(code)
		if strings.HasPrefix(k, "ps.") {
			en = procedure.StepTemplate(code)
		}
		catalog[k] = [2]string{en, ja}
	}
}
