// SPDX-License-Identifier: Apache-2.0

package procedure

import "sort"

// stepText is the English description of every step code (the CLI's
// catalogue has them in English and Japanese under "ps.<code>").
var stepText = map[string]string{
	"remove-lock":           "Remove PGSQL.lock %[1]s (%[2]s)",
	"remove-signal":         "Remove %[1]s (the agent writes what it needs)",
	"start-pacemaker":       "Start Pacemaker on %[1]s: %[2]s",
	"wait-primary":          "Wait until %[1]s is primary (PRI / LATEST), at most %[2]s",
	"wait-standby":          "Wait until %[1]s is a synchronous standby (HS:sync / STREAMING|SYNC), at most %[2]s",
	"pg-rewind":             "Rewind %[1]s to the primary's timeline with pg_rewind from %[2]s",
	"remove-data":           "Delete %[1]s (asked for with --remove-old-data)",
	"move-data-aside":       "Move the old data %[1]s aside to %[2]s",
	"mkdir":                 "Create %[1]s for the new data",
	"pg-basebackup":         "Take a fresh base backup into %[1]s from the primary at %[2]s",
	"mkdir-staging":         "Create the staging directory %[1]s",
	"fetch-archive":         "Fetch %[1]s archive files from the primary %[2]s (%[3]s … %[4]s)",
	"install-archive":       "Check the %[1]s fetched files and move them into %[2]s",
	"ban-promoted":          "Move the primary role away from %[2]s to %[3]s (crm_resource --ban on %[1]s)",
	"clear-constraint":      "Remove the move constraint (crm_resource --clear -r %[1]s)",
	"stop-pacemaker":        "Stop Pacemaker on %[1]s: %[2]s",
	"wait-stopped":          "Wait until Pacemaker and PostgreSQL have stopped on %[1]s, at most %[2]s",
	"checkpoint":            "CHECKPOINT on %[1]s (shortens the shutdown; an error is ignored)",
	"stop-standby":          "Stop the standby %[1]s: %[2]s",
	"stop-node":             "Stop %[1]s, where PostgreSQL does not run: %[2]s",
	"stop-primary":          "Stop the primary %[1]s: %[2]s",
	"stop-unknown-role":     "Stop %[1]s, whose role cannot be told from here (it may be the primary): %[2]s",
	"stop-primary-failover": "Stop the primary %[1]s while the standby runs (the standby takes over): %[2]s",
}

// refusalText is the English text of every refusal, method reason and note.
var refusalText = map[string]string{
	// Refusals.
	"pacemaker-running-here":     "Pacemaker already runs on %[1]s",
	"postgres-running-here":      "PostgreSQL runs in %[1]s outside Pacemaker",
	"no-data":                    "there is no database cluster in %[1]s",
	"rewind-incomplete":          "%[1]s was left half-rewound by pg-rex_standby_start (its postgresql.conf says so)",
	"lock-unreadable":            "PGSQL.lock cannot be inspected: %[1]s",
	"peer-unreachable":           "the peer %[1]s cannot be asked (%[2]s); if it is down, say so with --ignore-peer",
	"peer-in-production":         "PostgreSQL on %[1]s runs as primary outside Pacemaker, or crashed as primary and cannot be checked (its control file says \"in production\")",
	"peer-crashed-primary":       "PostgreSQL on %[1]s stopped without a shutdown checkpoint while it was primary; it is rebuilt as standby afterwards",
	"peer-newer-timeline":        "%[1]s is on timeline %[2]s, this node on %[3]s: the peer was promoted after this node stopped and has newer data",
	"data-status":                "pgsql-data-status of this node is %[1]s in the %[2]s: it may lack committed data (only LATEST or STREAMING|SYNC may start as primary)",
	"peer-is-latest":             "%[1]s is LATEST in the %[2]s: it was the primary; start it as primary instead (manual 4.2 (1))",
	"lock-present":               "PGSQL.lock %[1]s exists and nothing proves this node has the newest data (%[2]s); see pgrex lock status",
	"peer-status-unknown":        "the cluster status of %[1]s cannot be read: %[2]s",
	"primary-running":            "a primary runs on %[1]s",
	"no-primary":                 "no primary runs on %[1]s",
	"primary-facts":              "the primary's PostgreSQL on %[1]s cannot be asked: %[2]s",
	"no-peer-address":            "the peer's address is unknown: set D_LAN_IPAddress or give --peer",
	"no-archive-dir":             "Archive_dir is not set in the tools configuration (or give --shared-archive)",
	"archive-unreadable":         "the archive directory %[1]s cannot be read: %[2]s",
	"peer-archive-unreadable":    "the archive directory of %[1]s cannot be listed: %[2]s",
	"future-archive":             "%[1]s holds WAL the primary's history cannot have (a later timeline or beyond its position): %[2]s; move them away first",
	"no-method":                  "none of the methods asked for (%[1]s) can be used",
	"pacemaker-not-running-here": "Pacemaker does not run on %[1]s",
	"status-unreadable":          "the cluster status cannot be read: %[1]s",
	"not-two-nodes":              "the cluster has %[1]s nodes; PG-REX has two",
	"node-unknown":               "%[1]s is not in the cluster",
	"node-not-online":            "%[1]s is not online",
	"two-primaries":              "more than one primary: %[1]s",
	"not-primary-here":           "%[1]s is not the primary (%[2]s %[3]s/%[4]s): run switchover on the primary",
	"no-standby":                 "there is no standby",
	"standby-not-sync":           "%[1]s is not a synchronous standby (%[2]s %[3]s/%[4]s)",
	"maintenance-mode":           "maintenance-mode is on",
	"unmanaged":                  "%[1]s is not managed by Pacemaker",
	"constraint-present":         "a move/ban constraint %[1]s on %[2]s is still there (crm_resource --clear)",
	"no-clone":                   "the promotable clone of %[1]s is unknown",
	"node-not-in-cib":            "the %[2]s has no node %[1]s: is this node's cluster name right (Node_name, --node)?",
	"version-unsupported":        "the primary runs PostgreSQL %[1]s (server_version_num); standby-start needs 13 or later",

	// Why a standby method is not available.
	"control-unreadable":      "pg_controldata cannot read %[1]s: %[2]s",
	"version-mismatch":        "the data is of PostgreSQL %[1]s, the primary runs %[2]s",
	"system-id":               "the database system identifier differs from the primary's (%[1]s != %[2]s)",
	"timeline-ahead":          "this node's timeline %[1]s is above the primary's %[2]s",
	"history-unreadable":      "the primary's history of timeline %[1]s cannot be read: %[2]s",
	"timeline-not-in-history": "the primary's timeline %[2]s did not come from this node's timeline %[1]s",
	"lock-present-rebuild":    "PGSQL.lock %[1]s exists: this node was primary and is rebuilt (manual 4.3 (4))",
	"wal-end-unknown":         "the end of the WAL in %[1]s cannot be told",
	"ahead-of-primary":        "this node's WAL (%[1]s) is ahead of the primary's position %[2]s",
	"diverged":                "this node's WAL (%[1]s) goes past the point where the primary left its timeline (%[2]s)",
	"wal-gone":                "the WAL from %[1]s on is no longer on %[2]s (archive or pg_wal): the data is too old",
	"rewind-same-timeline":    "this node is on the primary's timeline %[1]s: pg_rewind has nothing to rewind",
	"full-page-writes-off":    "full_page_writes is off on %[1]s",
	"no-wal-log-hints":        "pg_rewind needs wal_log_hints=on or data checksums",
	"checkpoint-after-fork":   "this node's last checkpoint (%[1]s) is after the fork point %[2]s",
	"archive-not-empty":       "the archive directory %[1]s is not empty, and its files belong to another database",
	"pgdata-mountpoint":       "%[1]s is a mount point and cannot be moved aside (--remove-old-data empties it)",
	"no-master-ip":            "master_ip of the pgsql resource is unknown",
	"delete-path":             "%[1]s is not an absolute, clean path: nothing is deleted",
	"delete-system-dir":       "%[1]s is a system directory, never a data directory: nothing is deleted",
	"delete-symlink":          "%[1]s is a symbolic link: nothing is deleted through it",
	"delete-not-dir":          "%[1]s is not a directory",
	"delete-no-pg-version":    "%[1]s has no PG_VERSION: it is not a data directory, nothing is deleted",
	"delete-pg-version":       "PG_VERSION of %[1]s says %[2]s, not a PostgreSQL major standby-start supports: nothing is deleted",
	"delete-no-control":       "%[1]s has no global/pg_control: it is not a data directory, nothing is deleted",
	"delete-sysid-unknown":    "the system identifier of %[1]s cannot be read (%[2]s): nothing proves it is this cluster's, nothing is deleted",
	"delete-sysid":            "%[1]s belongs to another database cluster (system identifier %[2]s, the primary's is %[3]s): nothing is deleted",
	"delete-nested":           "%[1]s holds another data directory, %[2]s: nothing is deleted",
	"delete-nested-unknown":   "%[1]s could not be searched for other data directories (%[2]s): nothing is deleted",
	"delete-wal-not-wal":      "%[1]s, the target of pg_wal, holds what is not WAL (%[2]s): nothing is deleted",
	"delete-wal-unreadable":   "%[1]s, the target of pg_wal, cannot be listed (%[2]s): nothing is deleted",

	// Notes.
	"peer-ignored":               "the peer %[1]s was not asked (%[2]s): --ignore-peer",
	"peer-control-unknown":       "pg_controldata could not be run on %[1]s: %[2]s",
	"data-status-unset":          "pgsql-data-status of %[1]s is not set: a first start",
	"archive-ahead":              "the archive %[1]s is newer than the primary's: no WAL segment is fetched",
	"archive-incomplete-skipped": "files still being archived on the primary are not fetched: %[1]s",
	"archive-in-sync":            "the archive %[1]s has every file of the primary's",
	"peer-unknown":               "the peer's address is unknown (D_LAN_IPAddress or --peer): only this node is stopped",
	"already-stopped":            "Pacemaker is not running on %[1]s",
	"failover-warning":           "the standby %[2]s takes over when the primary %[1]s stops; to move the primary use pgrex switchover",
}

// StepCodes lists every step code.
func StepCodes() []string { return keys(stepText) }

// RefusalCodes lists every refusal, reason and note code.
func RefusalCodes() []string { return keys(refusalText) }

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// StepTemplate is the English template of a step code ("" if unknown).
func StepTemplate(code string) string { return stepText[code] }

// RefusalTemplate is the English template of a refusal, reason or note
// code ("" if unknown).
func RefusalTemplate(code string) string { return refusalText[code] }
