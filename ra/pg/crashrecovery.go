// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pgrex/pgrex/ra/cmdrun"
)

// CrashRecovery is the command that completes crash recovery of the data
// directory in single-user mode — what pg_rewind runs by itself (since
// PostgreSQL 13) when its target was not shut down cleanly — but with the
// server's own configuration file and keeping keep bytes of WAL behind its
// end. Without that, the end-of-recovery checkpoint removes every segment
// older than itself, and pg_rewind, which reads the target's WAL back from
// the fork to the last checkpoint before it, then fails with "could not
// find previous WAL record" on any database that wrote more than
// wal_keep_size between its last checkpoint and the crash.
// version is VersionNum of the data directory (wal_keep_segments before 13).
func (c *Ctl) CrashRecovery(configFile string, version int, keep, segSize int64, timeout time.Duration) cmdrun.Cmd {
	cmd := c.Tool("postgres", CrashRecoveryArgs(c.PgData, configFile, version, keep, segSize), timeout)
	cmd.Stdin = []byte{}
	return cmd
}

// CrashRecoveryArgs are the postgres arguments of CrashRecovery (the
// operator tools run the same command), standard input to be empty.
func CrashRecoveryArgs(pgdata, configFile string, version int, keep, segSize int64) []string {
	if segSize <= 0 {
		segSize = 16 << 20
	}
	segs := (keep + segSize - 1) / segSize
	retain := fmt.Sprintf("wal_keep_size=%dMB", segs*segSize>>20)
	if version > 0 && version < 1300 {
		retain = fmt.Sprintf("wal_keep_segments=%d", segs)
	}
	args := []string{"--single", "-F", "-D", pgdata}
	if configFile != "" {
		args = append(args, "-c", "config_file="+configFile)
	}
	// template1: the database pg_rewind names too; single-user mode needs
	// one, and it reads no command (standard input is empty).
	return append(args, "-c", retain, "template1")
}

// WALBytes is the size of the WAL segment files in pgdata/pg_wal (files
// named as segments: 24 hexadecimal digits), plus one segment: what a
// crash recovery must keep for nothing present to be removed.
func WALBytes(pgdata string, segSize int64) (int64, error) {
	if segSize <= 0 {
		segSize = 16 << 20
	}
	ents, err := os.ReadDir(filepath.Join(pgdata, "pg_wal"))
	if err != nil {
		return 0, fmt.Errorf("listing the WAL of %s: %w", pgdata, err)
	}
	n := int64(1)
	for _, e := range ents {
		if _, ok := ParseWALFileName(e.Name()); ok && e.Type().IsRegular() {
			n++
		}
	}
	return n * segSize, nil
}

// signalFiles are the files that ask a starting server for recovery.
var signalFiles = []string{"standby.signal", "recovery.signal"}

// asideSuffix marks a signal file set aside for a crash recovery.
const asideSuffix = ".pgrex-crash-recovery"

// SetAsideSignals renames pgdata's signal files (a crashed standby has
// standby.signal) out of the way of CrashRecovery: single-user mode
// refuses standby mode ("standby mode is not supported by single-user
// servers"), and crash recovery replays only the node's own WAL either way.
// restore puts them back; it is to be called whatever the recovery did.
func SetAsideSignals(pgdata string) (restore func() error, err error) {
	var moved []string
	restore = func() error {
		var errs []error
		for _, name := range moved {
			p := filepath.Join(pgdata, name)
			if err := os.Rename(p+asideSuffix, p); err != nil {
				errs = append(errs, fmt.Errorf("putting %s back: %w", p, err))
			}
		}
		moved = nil
		return errors.Join(errs...)
	}
	for _, name := range signalFiles {
		p := filepath.Join(pgdata, name)
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			continue
		case err != nil:
			return restore, fmt.Errorf("inspecting %s: %w", p, err)
		case !fi.Mode().IsRegular():
			return restore, fmt.Errorf("%s is not a regular file (%s): not touched", p, fi.Mode().Type())
		}
		if err := os.Rename(p, p+asideSuffix); err != nil {
			return restore, fmt.Errorf("setting %s aside for the crash recovery: %w", p, err)
		}
		moved = append(moved, name)
	}
	return restore, nil
}
