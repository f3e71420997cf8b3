// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/pg"
)

// Settings are the resolved configuration a procedure works with (from
// the tools configuration, the pgsql resource's parameters in the CIB and
// the command line).
type Settings struct {
	// Node is this node's cluster name; Peer the other node's ("" until
	// known); PeerHost where ssh reaches the peer (its D-LAN address).
	Node, Peer, PeerHost string
	// Resource is the pgsql primitive, Clone its promotable clone ("" =
	// as crm_mon shows it).
	Resource, Clone string
	// The VIPs waited for (resources absent from the cluster are skipped).
	VIPPrimary, VIPReplication, VIPStandby string

	PGData, Tmpdir, ArchiveDir string
	// PGUser is the OS user PostgreSQL runs as (the pgdba parameter).
	PGUser string
	// PGBin is the directory of PostgreSQL's programs ("" = PATH).
	PGBin string
	// PSQL is the psql program (the psql parameter).
	PSQL string
	// PGPort, SocketDir, PGDB: how psql reaches the server locally.
	PGPort, SocketDir, PGDB string
	// MasterIP is where the primary serves replication (the replication
	// VIP, the master_ip parameter); RepUser the replication user.
	MasterIP, RepUser string
	// RewindUser connects pg_rewind to the primary (a superuser).
	RewindUser string
	CIBFile    string

	// StartPacemaker and StopPacemaker are the commands that start and
	// stop Pacemaker (and Corosync) on a node.
	StartPacemaker, StopPacemaker []string
	// SSHOptions are given to ssh and scp.
	SSHOptions []string
	// WaitTimeout bounds every wait; RebuildTimeout pg_basebackup and
	// pg_rewind; CommandTimeout every other command.
	WaitTimeout, RebuildTimeout, CommandTimeout time.Duration
	// Dialect is how the local Pacemaker spells crm_mon's and
	// crm_resource's options (attrd.DetectDialect).
	Dialect attrd.Dialect
}

// Bin returns the path of a PostgreSQL program.
func (s Settings) Bin(name string) string {
	if s.PGBin == "" {
		return name
	}
	return s.PGBin + "/" + name
}

// LockPath is PGSQL.lock in the agent's tmpdir.
func (s Settings) LockPath() string { return lockfile.Path(s.Tmpdir) }

// Observation is one source's value of an attribute.
type Observation struct {
	// Source names where the value was read ("on-disk CIB of node1",
	// "live CIB of node2").
	Source string `json:"source"`
	Value  string `json:"value,omitempty"`
	Found  bool   `json:"found"`
}

// LocalFacts is what this node knows about itself.
type LocalFacts struct {
	PacemakerRunning bool `json:"pacemaker_running"`
	PostgresRunning  bool `json:"postgres_running"`
	// PGRole is the running server's role as its data directory tells.
	PGRole lockfile.PGRole `json:"pg_role"`
	// PGDataExists: PG_VERSION is there. PGDataDir: the directory exists;
	// PGDataEmpty: and holds nothing.
	PGDataExists bool   `json:"pgdata_exists"`
	PGDataDir    bool   `json:"pgdata_dir"`
	PGDataEmpty  bool   `json:"pgdata_empty,omitempty"`
	PGVersion    string `json:"pg_version,omitempty"`
	// PGDataMount: the data directory is a mount point (cannot be moved
	// aside).
	PGDataMount bool `json:"pgdata_mount,omitempty"`
	// WALDir is the target of pg_wal when it is a symbolic link;
	// WALDirMount when that target is a mount point.
	WALDir      string `json:"wal_dir,omitempty"`
	WALDirMount bool   `json:"wal_dir_mount,omitempty"`
	// PGDataDeletion and WALDirDeletion (nil: pg_wal is no link) are what
	// proves those directories may be deleted (ProveDataDir, ProveWALDir).
	PGDataDeletion DeletionFacts  `json:"pgdata_deletion"`
	WALDirDeletion *DeletionFacts `json:"wal_dir_deletion,omitempty"`

	Lock    lockfile.Info `json:"lock"`
	LockErr string        `json:"lock_error,omitempty"`
	// Signals are standby.signal / recovery.signal found in the data
	// directory.
	Signals []string `json:"signals,omitempty"`
	// RewindMarker: postgresql.conf carries "# added by
	// pg-rex_standby_start" (PG-REX's tool died in a pg_rewind).
	RewindMarker bool `json:"rewind_marker,omitempty"`
	// AgentRejoin is the agent's rejoin marker (lockfile.RejoinMarker in
	// tmpdir) when it exists: the agent's rebuild of this data directory
	// did not finish. AgentRejoinRegular: it is a regular file (a base
	// backup removes only that, never what a link points to).
	AgentRejoin        string `json:"agent_rejoin_marker,omitempty"`
	AgentRejoinRegular bool   `json:"-"`
	// BackupLabel is the modification time of backup_label (zero: none).
	BackupLabel time.Time `json:"backup_label,omitzero"`

	Control    *pg.ControlData `json:"control,omitempty"`
	ControlErr string          `json:"control_error,omitempty"`
	// HistoryTLI is the highest timeline with a history file in pg_wal: a
	// standby fetches it when it follows the primary onto that timeline,
	// which its control file may not show yet (no restartpoint since, or
	// an immediate shutdown).
	HistoryTLI uint32 `json:"history_tli,omitempty"`
	WALEnd     WALEnd `json:"wal_end"`
	// WALBytes is the size of the segment files in pg_wal, plus one: what
	// a crash recovery before pg_rewind keeps (pg.WALBytes).
	WALBytes int64 `json:"wal_bytes,omitempty"`

	// Archive lists the local archive directory (nil: not read).
	Archive    Listing `json:"archive,omitempty"`
	ArchiveErr string  `json:"archive_error,omitempty"`

	// DataStatus is this node's pgsql-data-status as each readable CIB
	// tells it; PeerDataStatus the peer's.
	DataStatus     []Observation `json:"data_status,omitempty"`
	PeerDataStatus []Observation `json:"peer_data_status,omitempty"`
	// NotInCIB names the CIBs that list nodes but not this node's name (a
	// wrong node name would read nothing and look like a first start).
	NotInCIB []string `json:"not_in_cib,omitempty"`
}

// Timeline is the latest timeline this node's data is known to have
// followed: its control file's, or a later one whose history file it has.
func (l LocalFacts) Timeline() uint32 {
	t := uint32(0)
	if l.Control != nil {
		t = l.Control.Timeline()
	}
	return max(t, l.HistoryTLI)
}

// PeerPG is the peer's PostgreSQL as `pg_ctl status` reports it.
type PeerPG string

// The answers of `pg_ctl status` (exit 0, exit 3, anything else).
const (
	PeerPGRunning PeerPG = "running"
	PeerPGStopped PeerPG = "stopped"
	PeerPGUnknown PeerPG = "unknown"
)

// PeerFacts is what the peer (over ssh) says.
type PeerFacts struct {
	Host string `json:"host"`
	// Err is set when the peer could not be asked at all.
	Err              string `json:"error,omitempty"`
	PacemakerRunning bool   `json:"pacemaker_running"`
	// Cluster is the peer's crm_mon view (nil: Pacemaker stopped there or
	// crm_mon failed, ClusterErr says which).
	Cluster    *status.Model `json:"cluster,omitempty"`
	ClusterErr string        `json:"cluster_error,omitempty"`

	Control    *pg.ControlData `json:"control,omitempty"`
	ControlErr string          `json:"control_error,omitempty"`
	// PGState is what `pg_ctl status` says about the peer's PostgreSQL.
	PGState PeerPG `json:"pg_state"`

	Primary    *PrimaryFacts     `json:"primary,omitempty"`
	PrimaryErr string            `json:"primary_error,omitempty"`
	History    []pg.HistoryEntry `json:"history,omitempty"`
	HistoryErr string            `json:"history_error,omitempty"`

	Archive Listing `json:"archive,omitempty"`
	PGWal   Listing `json:"pg_wal,omitempty"`
	ListErr string  `json:"list_error,omitempty"`
}
