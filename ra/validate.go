// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/pgrex/pgrex/ra/pg"
)

// ValidationFacts is what level-10 validation reads from the node. It is
// gathered once per invocation and reused by the action.
type ValidationFacts struct {
	PGVersion string // from PG_VERSION; "" when unreadable

	PgCtlErr error // why pgctl is unusable, nil when executable
	// MayBeRunning is gathered only when pgctl is unusable: a server
	// runs from pgdata, or its pid file could not be judged.
	MayBeRunning bool

	PgDataExists   bool
	PgDataIsDir    bool
	PgDataWritable bool

	ConfExists bool
	ConfIsFile bool     // a regular file (not a directory or a device)
	Conf       *pg.Conf // nil when missing or unparsable
	ConfErr    error    // why the file could not be read or parsed

	// SocketDirFromConf is the first unix_socket_directories entry, used
	// when socketdir is not set.
	SocketDirFromConf string

	// TmpDirNotDir: tmpdir exists but is not a directory, even through a
	// symbolic link (a link to a directory is refused by start itself,
	// which never writes through one).
	TmpDirNotDir bool
}

// GatherValidation reads the facts validation needs. It only reads: no
// file is created, changed or removed, so it is safe in every action,
// monitor included.
func GatherValidation(c *config.Config, dba *pg.User, probe bool) ValidationFacts {
	var f ValidationFacts
	f.PGVersion = pg.ReadVersion(c.PgData)
	f.PgCtlErr = executable(c.PgCtl)
	if f.PgCtlErr != nil {
		live, err := pg.CheckLiveness(c.PgData)
		f.MayBeRunning = err != nil || live.Running
	}
	if st, err := os.Stat(c.TmpDir); err == nil && !st.IsDir() {
		f.TmpDirNotDir = true
	}

	if st, err := os.Stat(c.PgData); err == nil {
		f.PgDataExists = true
		f.PgDataIsDir = st.IsDir()
		f.PgDataWritable = dba != nil && pg.CanWriteDir(dba, st)
	}

	if st, err := os.Stat(c.ConfigFile); err == nil {
		f.ConfIsFile = st.Mode().IsRegular()
	}
	data, err := os.ReadFile(c.ConfigFile)
	switch {
	case err == nil:
		f.ConfExists = true
		if conf, perr := pg.ParseConf(data); perr == nil {
			f.Conf = conf
		} else {
			f.ConfErr = perr
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		f.ConfExists = true // it is there, we just cannot read it
		f.ConfErr = err
	}
	if f.Conf != nil {
		if v, ok := f.Conf.Get("unix_socket_directories"); ok {
			first, _, _ := strings.Cut(v, ",")
			if first = strings.TrimSpace(first); strings.HasPrefix(first, "/") {
				f.SocketDirFromConf = first
			}
		} else if v, ok := f.Conf.Get("unix_socket_directory"); ok && strings.HasPrefix(v, "/") {
			f.SocketDirFromConf = v
		}
	}
	return f
}

func executable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		return errors.New("not an executable file")
	}
	return nil
}

// DecideValidation applies the level-10 rules to the facts, in the shell
// agent's order, and returns the first failure.
func DecideValidation(c *config.Config, f ValidationFacts, action string, probe bool) *config.Error {
	// A probe on a node without the software must say "not running" (7),
	// and a stop there must succeed: neither needs pg_ctl to find that no
	// server runs from pgdata (docs/compatibility.md, "Side by side with
	// upstream"). A stop of a server that does run cannot do without it.
	switch {
	case f.PgCtlErr == nil:
	case probe:
	case action == "stop" && !f.MayBeRunning:
	case action == "stop":
		return config.Errorf(ocf.ErrInstalled, "pgctl", "pgctl %s is not usable (%v) and PostgreSQL may be running from %s: it cannot be stopped", c.PgCtl, f.PgCtlErr, c.PgData)
	default:
		return config.Errorf(ocf.ErrInstalled, "pgctl", "pgctl %s is not usable: %v", c.PgCtl, f.PgCtlErr)
	}
	// A probe must not fail on a node without the files, and a stop only
	// has to stop what runs: a missing data directory proves nothing runs
	// from it, so it must not turn into a stop failure (and a fencing).
	if !probe && action != "stop" {
		switch {
		case !f.ConfExists:
			return config.Errorf(ocf.ErrInstalled, "config", "configuration file %s does not exist", c.ConfigFile)
		case !f.ConfIsFile:
			return config.Errorf(ocf.ErrInstalled, "config", "configuration file %s is not a regular file", c.ConfigFile)
		case !f.PgDataExists:
			return config.Errorf(ocf.ErrInstalled, "pgdata", "data directory %s does not exist", c.PgData)
		case !f.PgDataIsDir:
			return config.Errorf(ocf.ErrInstalled, "pgdata", "data directory %s is not a directory", c.PgData)
		case !f.PgDataWritable:
			return config.Errorf(ocf.ErrPerm, "pgdata", "data directory %s is not writable by %s", c.PgData, c.PgDBA)
		case c.Replicating() && f.TmpDirNotDir:
			return config.Errorf(ocf.ErrPerm, "tmpdir", "tmpdir %s exists and is not a directory", c.TmpDir)
		}
	}
	if c.RepMode != config.ModeNone && f.PGVersion != "" && pg.VersionNum(f.PGVersion) < 901 {
		return config.Errorf(ocf.ErrInstalled, "rep_mode", "rep_mode=%s needs PostgreSQL 9.1 or later (data directory is %s)", c.RepMode, f.PGVersion)
	}
	if c.ReplicationSlotName != "" && f.PGVersion != "" && pg.VersionNum(f.PGVersion) < 904 {
		return config.Errorf(ocf.ErrConfigured, "replication_slot_name", "replication slots need PostgreSQL 9.4 or later (data directory is %s)", f.PGVersion)
	}
	return nil
}
