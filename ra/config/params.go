// SPDX-License-Identifier: Apache-2.0

package config

// ParamType is the OCF content type of a parameter.
type ParamType string

// Content types used by the agent's parameters.
const (
	TypeString  ParamType = "string"
	TypeInteger ParamType = "integer"
	TypeBoolean ParamType = "boolean"
)

// Param describes one instance parameter. The table below is the single
// source for parsing, validation, meta-data and docs/parameters.md, so the
// four can never disagree.
type Param struct {
	Name      string
	Type      ParamType
	Default   string
	ShortDesc string
	LongDesc  string
	// Origin says where the name comes from: "upstream" (heartbeat/pgsql),
	// "upstream-2026" (newer than Debian 12's resource-agents), "pg-rex"
	// (PG-REX 9.1's agent) or "pgrex" (this agent's own).
	Origin string
}

// Params lists every parameter the agent accepts: all of upstream
// heartbeat/pgsql's, in upstream's order, then PG-REX 9.1's additions.
// Descriptions are pgrex's own words.
var Params = []Param{
	{Name: "pgctl", Type: TypeString, Default: "/usr/bin/pg_ctl", Origin: "upstream",
		ShortDesc: "path to pg_ctl",
		LongDesc:  "Absolute path of the pg_ctl program used to start, stop, reload and promote PostgreSQL. Its directory is also where pg_controldata is looked for when pgctldata is not set."},
	{Name: "start_opt", Type: TypeString, Default: "", Origin: "upstream",
		ShortDesc: "extra postgres options",
		LongDesc:  "Additional options handed to the postgres server through pg_ctl -o, for example \"-p 5432\". PG-REX forbids -h here; use pghost instead."},
	{Name: "ctl_opt", Type: TypeString, Default: "", Origin: "upstream",
		ShortDesc: "extra pg_ctl options",
		LongDesc:  "Additional options given to pg_ctl itself when starting the server, split on white space."},
	{Name: "psql", Type: TypeString, Default: "/usr/bin/psql", Origin: "upstream",
		ShortDesc: "path to psql (accepted, not used)",
		LongDesc:  "Accepted for compatibility with the upstream agent. pgrex talks to PostgreSQL over the wire protocol itself and never runs psql, so this program need not exist."},
	{Name: "pgdata", Type: TypeString, Default: "/var/lib/pgsql/data", Origin: "upstream",
		ShortDesc: "data directory",
		LongDesc:  "The PostgreSQL data directory. It must exist and be writable by pgdba."},
	{Name: "pgdba", Type: TypeString, Default: "postgres", Origin: "upstream",
		ShortDesc: "operating-system owner of PostgreSQL",
		LongDesc:  "The operating-system user that owns the data directory and runs the server. When the agent runs as root, PostgreSQL is started and queried as this user."},
	{Name: "pghost", Type: TypeString, Default: "", Origin: "upstream",
		ShortDesc: "host to listen on and to query",
		LongDesc:  "Passed to the server as -h and used as the host of the agent's own connections. Empty means a Unix-domain socket (socketdir)."},
	{Name: "pgport", Type: TypeInteger, Default: "5432", Origin: "upstream",
		ShortDesc: "port",
		LongDesc:  "Port the agent connects to, and the port in the standby's primary_conninfo."},
	{Name: "pglibs", Type: TypeString, Default: "/usr/lib", Origin: "upstream",
		ShortDesc: "library directory",
		LongDesc:  "Appended to LD_LIBRARY_PATH for the PostgreSQL programs the agent runs."},
	{Name: "monitor_user", Type: TypeString, Default: "", Origin: "upstream",
		ShortDesc: "database user for monitoring",
		LongDesc:  "Database user of every read-only query the agent runs. Empty means pgdba. In async and sync mode it must be a superuser or a member of pg_monitor (or pg_read_all_stats), or it would see the replication state as NULL: start refuses it (4), and so does validate-all while the server runs."},
	{Name: "monitor_password", Type: TypeString, Default: "", Origin: "upstream",
		ShortDesc: "password of monitor_user",
		LongDesc:  "Password of monitor_user. Empty means pgdba's ~/.pgpass or password-less authentication. Setting it without monitor_user is a configuration error."},
	{Name: "monitor_sql", Type: TypeString, Default: "select now();", Origin: "upstream",
		ShortDesc: "health-check query",
		LongDesc:  "SQL run by monitor to decide that the server is healthy. In replication modes a value other than the default also runs on the primary."},
	{Name: "config", Type: TypeString, Default: "", Origin: "upstream",
		ShortDesc: "path to postgresql.conf",
		LongDesc:  "The server configuration file, passed to the server as config_file. Empty means postgresql.conf inside pgdata."},
	{Name: "pgdb", Type: TypeString, Default: "template1", Origin: "upstream",
		ShortDesc: "database to connect to",
		LongDesc:  "Database the agent's monitoring session connects to."},
	{Name: "logfile", Type: TypeString, Default: "/dev/null", Origin: "upstream",
		ShortDesc: "server log file",
		LongDesc:  "File the server's standard output and error go to (pg_ctl -l). Created owned by pgdba with mode 0600 when missing."},
	{Name: "socketdir", Type: TypeString, Default: "", Origin: "upstream",
		ShortDesc: "Unix-domain socket directory",
		LongDesc:  "Directory of the server's Unix-domain socket, used by the agent's connections and created at start when missing. Required when postgresql.conf sets unix_socket_directories."},
	{Name: "stop_escalate", Type: TypeInteger, Default: "90", Origin: "upstream",
		ShortDesc: "seconds of fast shutdown before immediate",
		LongDesc:  "How long a stop of a primary or plain instance waits for a fast shutdown before it escalates to an immediate one. Capped so that the immediate shutdown still fits in the operation timeout."},
	{Name: "rep_mode", Type: TypeString, Default: "none", Origin: "upstream",
		ShortDesc: "replication mode",
		LongDesc:  "none (a single server), async, sync (a promotable clone with streaming replication; PG-REX uses sync) or slave (a stand-alone standby outside a promotable clone)."},
	{Name: "node_list", Type: TypeString, Default: "", Origin: "upstream",
		ShortDesc: "nodes of the replication cluster",
		LongDesc:  "Space-separated names of every node that may run the server. Required in async and sync modes."},
	{Name: "restore_command", Type: TypeString, Default: "", Origin: "upstream",
		ShortDesc: "restore_command of a standby",
		LongDesc:  "Written into the standby's recovery settings."},
	{Name: "archive_cleanup_command", Type: TypeString, Default: "", Origin: "upstream",
		ShortDesc: "archive_cleanup_command of a standby",
		LongDesc:  "Written into the standby's recovery settings when set."},
	{Name: "recovery_end_command", Type: TypeString, Default: "", Origin: "upstream",
		ShortDesc: "recovery_end_command of a standby",
		LongDesc:  "Written into the standby's recovery settings when set."},
	{Name: "master_ip", Type: TypeString, Default: "", Origin: "upstream",
		ShortDesc: "address standbys replicate from",
		LongDesc:  "Host of primary_conninfo, normally the replication virtual IP that follows the promoted instance. Required in async, sync and slave modes."},
	{Name: "repuser", Type: TypeString, Default: "postgres", Origin: "upstream",
		ShortDesc: "replication user",
		LongDesc:  "Database user of primary_conninfo."},
	{Name: "primary_conninfo_opt", Type: TypeString, Default: "", Origin: "upstream",
		ShortDesc: "extra primary_conninfo options",
		LongDesc:  "Appended to primary_conninfo, for example keepalive settings."},
	{Name: "restart_on_promote", Type: TypeBoolean, Default: "false", Origin: "upstream",
		ShortDesc: "promote by restarting",
		LongDesc:  "Promote by stopping the standby and starting it as a primary instead of pg_ctl promote."},
	{Name: "replication_slot_name", Type: TypeString, Default: "", Origin: "upstream",
		ShortDesc: "base name of replication slots",
		LongDesc:  "When set, each standby streams through a physical replication slot on the primary named <base>_<node> (node name lower-cased, '-' and '.' turned into '_'). Only a-z, 0-9 and _ are allowed. The agent manages these slots, and only these: start drops the ones a former primary left on itself; promote creates one per other node, keeping no WAL until that node streams; the primary keeps a slot while its node streams or its instance runs, and releases it (drops it and creates it again without reserved WAL) once the node is not streaming and its instance is stopped, so a node that is gone does not fill the primary's disk. A node that returns after its WAL was recycled needs restore_command or a new base backup. A slot in use is never dropped. Set max_slot_wal_keep_size to bound what a running but cut-off standby keeps."},
	{Name: "tmpdir", Type: TypeString, Default: "/var/lib/pgsql/tmp", Origin: "upstream",
		ShortDesc: "agent work directory",
		LongDesc:  "Holds rep_mode.conf, PGSQL.lock, the election notes and (PostgreSQL 12 and later) the recovery settings. PG-REX uses /var/lib/pg-rex."},
	{Name: "xlog_check_count", Type: TypeInteger, Default: "3", Origin: "upstream",
		ShortDesc: "election rounds",
		LongDesc:  "Number of consecutive monitors with a stable WAL location before a standby claims the right to be promoted when no primary exists."},
	{Name: "crm_attr_timeout", Type: TypeInteger, Default: "5", Origin: "upstream",
		ShortDesc: "seconds allowed for a permanent attribute write",
		LongDesc:  "Timeout of one attempt of the crm_attribute call that records pgsql-data-status with lifetime forever. A failed attempt is repeated, with a short pause, within the operation's timeout."},
	{Name: "stop_escalate_in_slave", Type: TypeInteger, Default: "90", Origin: "upstream",
		ShortDesc: "seconds of fast shutdown before immediate, on a standby",
		LongDesc:  "Like stop_escalate, for the stop of a standby."},
	{Name: "check_wal_receiver", Type: TypeBoolean, Default: "false", Origin: "upstream",
		ShortDesc: "publish the WAL receiver state",
		LongDesc:  "Publish the node attribute <resource>-receiver-status from the standby's WAL receiver."},
	{Name: "external_standby_node_list", Type: TypeString, Default: "", Origin: "upstream-2026",
		ShortDesc: "standbys outside the cluster",
		LongDesc:  "Space-separated application_names of synchronous standbys that are not cluster nodes. Only with rep_mode=sync."},
	{Name: "stop_on_demote", Type: TypeBoolean, Default: "true", Origin: "pg-rex",
		ShortDesc: "stop PostgreSQL on demote",
		LongDesc:  "PG-REX 9.1: demote stops PostgreSQL, so a former primary never rejoins without the operator. This is also the upstream behaviour; PG-REX requires yes."},
	{Name: "pgctldata", Type: TypeString, Default: "", Origin: "pg-rex",
		ShortDesc: "path to pg_controldata",
		LongDesc:  "PG-REX 9.1: pg_controldata, used to read the data directory's state while no server runs (cluster state, timeline, latest checkpoint, minimum recovery point, system identifier), logged before every start and after every stop. Empty means pg_controldata next to pgctl; a path that is set must be an executable file (validate-all fails with 6 otherwise)."},
	{Name: "degraded_promoted", Type: TypeBoolean, Default: "false", Origin: "pgrex",
		ShortDesc: "report a primary without a standby as degraded (191)",
		LongDesc:  "false (default, as the shell agent): the primary's monitor returns 8 (running promoted). true: it returns 191 (OCF 1.1 degraded promoted) while no standby holds every commit — with rep_mode=sync no node streams as the synchronous standby, with rep_mode=async none streams — so crm_mon shows the degradation; Pacemaker counts 191 as running promoted and recovers nothing."},
	{Name: "rejoin", Type: TypeString, Default: "off", Origin: "pgrex",
		ShortDesc: "how a former primary rejoins (off, rewind, rewind,basebackup)",
		LongDesc:  "off (default, PG-REX's behaviour): a node holding PGSQL.lock refuses to start until the operator has rebuilt it. rewind: start proves that another node is the primary (the cluster says so, its walsender answers repuser at master_ip with the same system identifier, a later timeline whose history leaves this node's timeline, wal_log_hints or data checksums here, and no commit of this node beyond the fork that a client may have been told was committed), keeps what this node had beyond the fork in tmpdir as evidence, runs pg_rewind from the primary as repuser, removes PGSQL.lock and starts as a standby. Any missing proof refuses the start with the reason, and the lock stays. rewind,basebackup: as rewind, and when pg_rewind cannot run (no wal_log_hints, an interrupted rewind, …) the data directory is moved aside (pgdata.pgrex-old-<time>, never deleted) and a base backup is taken from the primary instead; an interrupted base backup is redone by the next start."},
}

// paramByName indexes Params.
var paramByName = func() map[string]*Param {
	m := make(map[string]*Param, len(Params))
	for i := range Params {
		m[Params[i].Name] = &Params[i]
	}
	return m
}()

// LookupParam returns the description of a parameter, for tools (crmgen
// --check) that validate configurations against the agent.
func LookupParam(name string) (Param, bool) {
	p, ok := paramByName[name]
	if !ok {
		return Param{}, false
	}
	return *p, true
}
