// SPDX-License-Identifier: Apache-2.0

// Package config is the agent's instance parameters: the parameter table
// (the one source for parsing, meta-data, docs/parameters.md and crmgen's
// checks), the typed Config, and the checks that need nothing else.
package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pgrex/pgrex/ra/ocf"
)

// Replication modes.
const (
	ModeNone  = "none"
	ModeAsync = "async"
	ModeSync  = "sync"
	ModeSlave = "slave"
)

// Values of rejoin: what start does on a node that holds PGSQL.lock.
const (
	RejoinOff              = "off"
	RejoinRewind           = "rewind"
	RejoinRewindBaseBackup = "rewind,basebackup"
)

// RepModes are the values rep_mode accepts.
var RepModes = []string{ModeNone, ModeAsync, ModeSync, ModeSlave}

// DefaultMonitorSQL is upstream's default health query; replication mode
// treats a different value as "also run this on the primary".
const DefaultMonitorSQL = "select now();"

// Config is the typed form of the OCF_RESKEY_* instance parameters.
type Config struct {
	// Instance is OCF_RESOURCE_INSTANCE (e.g. "pgsql" or "pgsql:0");
	// Resource is the part before the first ':' that attribute names use.
	Instance string
	Resource string

	PgCtl, StartOpt, CtlOpt, Psql, PgData, PgDBA, PgHost string
	PgPort                                               int
	PgLibs                                               string
	MonitorUser, MonitorPassword, MonitorSQL             string
	ConfigFile, PgDB, LogFile, SocketDir                 string
	StopEscalate, StopEscalateInSlave                    time.Duration
	RepMode                                              string
	NodeList                                             []string
	RestoreCommand, ArchiveCleanupCommand                string
	RecoveryEndCommand, MasterIP, RepUser                string
	PrimaryConninfoOpt                                   string
	RestartOnPromote                                     bool
	ReplicationSlotName                                  string
	TmpDir                                               string
	XlogCheckCount                                       int
	CrmAttrTimeout                                       time.Duration
	CheckWalReceiver                                     bool
	ExternalStandbyNodeList                              []string
	StopOnDemote                                         bool
	PgCtlData                                            string
	Rejoin                                               string
	DegradedPromoted                                     bool
}

// Replicating reports whether the agent manages streaming replication as a
// promotable clone (async or sync).
func (c *Config) Replicating() bool { return c.RepMode == ModeAsync || c.RepMode == ModeSync }

// DBUser is the database user of the agent's own queries.
func (c *Config) DBUser() string {
	if c.MonitorUser != "" {
		return c.MonitorUser
	}
	return c.PgDBA
}

// Path helpers for the files the agent owns in tmpdir.
func (c *Config) RepModeConf() string { return filepath.Join(c.TmpDir, "rep_mode.conf") }

// LockFile is PG-REX's start-prohibition flag.
func (c *Config) LockFile() string { return filepath.Join(c.TmpDir, "PGSQL.lock") }

// Error is a configuration or installation problem with the OCF code it
// maps to and a one-line reason for the log and the exit reason.
type Error struct {
	RC     ocf.Status
	Param  string // the offending parameter, when there is one
	Reason string
}

func (e *Error) Error() string { return e.Reason }

// Errorf is an Error of param with code rc.
func Errorf(rc ocf.Status, param, format string, args ...any) *Error {
	return &Error{RC: rc, Param: param, Reason: fmt.Sprintf(format, args...)}
}

// slotNameOK is PostgreSQL's rule for slot names, [a-z0-9_]+, checked by
// hand: a package-level regexp would be compiled by every invocation of the
// agent, which starts once per monitor (docs/performance.md).
func slotNameOK(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !slotChar(r) {
			return false
		}
	}
	return true
}

func slotChar(r rune) bool { return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' }

// Parse builds a Config from the environment. Unset and empty
// parameters take their defaults (an empty value means "default", as in the
// shell agent). The first value that cannot be parsed is reported as a
// Error with OCF_ERR_CONFIGURED; cfg still holds defaults for it, so a
// stop can go ahead with a partly broken configuration.
func Parse(env ocf.Env) (Config, []*Error) {
	var errs []*Error
	val := func(name string) string {
		v := env["OCF_RESKEY_"+name]
		if v == "" {
			if p, ok := paramByName[name]; ok {
				return p.Default
			}
		}
		return v
	}
	integer := func(name string, min int) int {
		s := strings.TrimSpace(val(name))
		n, err := strconv.Atoi(s)
		if err != nil || n < min {
			errs = append(errs, Errorf(ocf.ErrConfigured, name, "parameter %s=%q: expected an integer >= %d", name, env["OCF_RESKEY_"+name], min))
			n, _ = strconv.Atoi(paramByName[name].Default)
		}
		return n
	}
	boolean := func(name string) bool {
		s := val(name)
		switch {
		case ocf.IsTrue(s):
			return true
		case ocf.IsFalse(s):
			return false
		}
		errs = append(errs, Errorf(ocf.ErrConfigured, name, "parameter %s=%q: expected a boolean (yes/no, true/false, on/off, 1/0)", name, s))
		return ocf.IsTrue(paramByName[name].Default)
	}
	seconds := func(name string) time.Duration { return time.Duration(integer(name, 0)) * time.Second }

	c := Config{
		Instance:                env["OCF_RESOURCE_INSTANCE"],
		PgCtl:                   val("pgctl"),
		StartOpt:                val("start_opt"),
		CtlOpt:                  val("ctl_opt"),
		Psql:                    val("psql"),
		PgData:                  val("pgdata"),
		PgDBA:                   val("pgdba"),
		PgHost:                  val("pghost"),
		PgPort:                  integer("pgport", 1),
		PgLibs:                  val("pglibs"),
		MonitorUser:             val("monitor_user"),
		MonitorPassword:         env["OCF_RESKEY_monitor_password"],
		MonitorSQL:              val("monitor_sql"),
		ConfigFile:              val("config"),
		PgDB:                    val("pgdb"),
		LogFile:                 val("logfile"),
		SocketDir:               val("socketdir"),
		StopEscalate:            seconds("stop_escalate"),
		StopEscalateInSlave:     seconds("stop_escalate_in_slave"),
		RepMode:                 val("rep_mode"),
		NodeList:                strings.Fields(strings.ToLower(val("node_list"))),
		RestoreCommand:          env["OCF_RESKEY_restore_command"],
		ArchiveCleanupCommand:   env["OCF_RESKEY_archive_cleanup_command"],
		RecoveryEndCommand:      env["OCF_RESKEY_recovery_end_command"],
		MasterIP:                val("master_ip"),
		RepUser:                 val("repuser"),
		PrimaryConninfoOpt:      env["OCF_RESKEY_primary_conninfo_opt"],
		RestartOnPromote:        boolean("restart_on_promote"),
		ReplicationSlotName:     val("replication_slot_name"),
		TmpDir:                  val("tmpdir"),
		XlogCheckCount:          integer("xlog_check_count", 0),
		CrmAttrTimeout:          seconds("crm_attr_timeout"),
		CheckWalReceiver:        boolean("check_wal_receiver"),
		ExternalStandbyNodeList: strings.Fields(val("external_standby_node_list")),
		StopOnDemote:            boolean("stop_on_demote"),
		PgCtlData:               val("pgctldata"),
		Rejoin:                  strings.ToLower(strings.TrimSpace(val("rejoin"))),
		DegradedPromoted:        boolean("degraded_promoted"),
	}
	if c.Instance == "" {
		c.Instance = "pgsql"
	}
	c.Resource, _, _ = strings.Cut(c.Instance, ":")
	if c.ConfigFile == "" {
		c.ConfigFile = filepath.Join(c.PgData, "postgresql.conf")
	}
	if c.PgCtlData == "" {
		c.PgCtlData = filepath.Join(filepath.Dir(c.PgCtl), "pg_controldata")
	}
	if c.PgPort > 65535 {
		errs = append(errs, Errorf(ocf.ErrConfigured, "pgport", "parameter pgport=%d: not a TCP port", c.PgPort))
		c.PgPort = 5432
	}
	for _, p := range []struct{ name, v string }{{"pgctl", c.PgCtl}, {"pgdata", c.PgData}, {"tmpdir", c.TmpDir}, {"config", env["OCF_RESKEY_config"]}} {
		if p.v != "" && !filepath.IsAbs(p.v) {
			errs = append(errs, Errorf(ocf.ErrConfigured, p.name, "parameter %s=%q: expected an absolute path", p.name, p.v))
		}
	}
	if !slices.Contains(RepModes, c.RepMode) {
		errs = append(errs, Errorf(ocf.ErrConfigured, "rep_mode", "parameter rep_mode=%q: expected none, async, sync or slave", c.RepMode))
	}
	switch c.Rejoin {
	case RejoinOff, RejoinRewind, RejoinRewindBaseBackup:
	default:
		errs = append(errs, Errorf(ocf.ErrConfigured, "rejoin", "parameter rejoin=%q: expected off, rewind or rewind,basebackup", val("rejoin")))
	}
	if !c.StopOnDemote && boolOK(val("stop_on_demote")) {
		errs = append(errs, Errorf(ocf.ErrConfigured, "stop_on_demote", "parameter stop_on_demote=no is not supported yet: demote always stops PostgreSQL"))
	}
	return c, errs
}

func boolOK(s string) bool { return ocf.IsTrue(s) || ocf.IsFalse(s) }

// CheckStatic runs the checks that need nothing but the configuration and
// the clone meta: the replication-mode rules of the upstream agent. It has
// no side effects.
func (c *Config) CheckStatic(m ocf.Meta) *Error {
	if c.MonitorPassword != "" && c.MonitorUser == "" {
		return Errorf(ocf.ErrConfigured, "monitor_password", "monitor_password is set but monitor_user is not")
	}
	if c.Rejoin != RejoinOff && c.Rejoin != "" && !c.Replicating() {
		return Errorf(ocf.ErrConfigured, "rejoin", "rejoin=%s needs rep_mode=sync or async", c.Rejoin)
	}
	if c.RepMode == ModeNone {
		return nil
	}
	if c.MasterIP == "" {
		return Errorf(ocf.ErrConfigured, "master_ip", "master_ip is required when rep_mode=%s", c.RepMode)
	}
	if c.Replicating() {
		if !m.Promotable {
			return Errorf(ocf.ErrConfigured, "rep_mode", "rep_mode=%s needs a promotable clone (promotable=true)", c.RepMode)
		}
		if len(c.ExternalStandbyNodeList) > 0 && c.RepMode != ModeSync {
			return Errorf(ocf.ErrConfigured, "external_standby_node_list", "external_standby_node_list needs rep_mode=sync")
		}
		if len(c.ExternalStandbyNodeList) > 0 {
			// Refused rather than ignored: silently not waiting for an
			// external synchronous standby would lose the data it guards.
			return Errorf(ocf.ErrConfigured, "external_standby_node_list", "external_standby_node_list is not supported by this version of pgrex")
		}
		if len(c.NodeList) == 0 {
			return Errorf(ocf.ErrConfigured, "node_list", "node_list is required when rep_mode=%s", c.RepMode)
		}
	}
	if c.RepMode == ModeSlave && m.Promotable {
		return Errorf(ocf.ErrConfigured, "rep_mode", "rep_mode=slave must not run in a promotable clone")
	}
	if c.ReplicationSlotName != "" && !slotNameOK(c.ReplicationSlotName) {
		return Errorf(ocf.ErrConfigured, "replication_slot_name", "replication_slot_name=%q: only a-z, 0-9 and _ are allowed", c.ReplicationSlotName)
	}
	return nil
}
