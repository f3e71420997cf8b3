// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/pgrex/pgrex/ra/atomicfile"
	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/pg"
)

// recoveryFile is where the standby's recovery settings go.
func (a *Agent) recoveryFile() string {
	if v := a.pgVersion(); v != 0 && v < 1200 {
		return filepath.Join(a.Cfg.PgData, "recovery.conf")
	}
	return filepath.Join(a.Cfg.TmpDir, "recovery.conf")
}

func (a *Agent) noteFile() string { return filepath.Join(a.Cfg.TmpDir, "xlog_note") }

// includeMarker ends the include lines the agent adds, as upstream's do,
// so operators and tools recognise them.
const includeMarker = " # added by pgsql RA"

// ensureIncludes appends the include lines PostgreSQL needs to see the
// agent's files — rep_mode.conf (sync mode) and, on PostgreSQL 12+, the
// recovery settings — when postgresql.conf lacks them. This is the one
// change the agent makes to the operator's configuration, done at start
// only (never while validating or monitoring), atomically, keeping the
// file's mode and owner.
func (a *Agent) ensureIncludes() error {
	var want []string
	if a.Cfg.RepMode == config.ModeSync {
		want = append(want, a.Cfg.RepModeConf())
	}
	if v := a.pgVersion(); v == 0 || v >= 1200 {
		want = append(want, a.recoveryFile())
	}
	path := a.Cfg.ConfigFile
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	conf, err := pg.ParseConf(data)
	if err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	var add []string
	for _, f := range want {
		if !conf.Has("include", f) && !conf.Has("include_if_exists", f) {
			add = append(add, "include "+pg.QuoteConfValue(f)+includeMarker)
		}
	}
	if len(add) == 0 {
		return nil
	}
	st, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("inspecting %s: %w", path, err)
	}
	text := string(data)
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	text += strings.Join(add, "\n") + "\n"
	sys := statOwner(st)
	if _, err := atomicfile.WriteFileAtomic(path, []byte(text), st.Mode().Perm(), sys); err != nil {
		return fmt.Errorf("adding include lines to %s: %w", path, err)
	}
	for _, l := range add {
		a.Log.Infof("added to %s: %s", path, l)
	}
	return nil
}

// prepareStandbyFiles writes the recovery settings and standby.signal
// (PostgreSQL 12+) so the server starts as a standby of master_ip.
func (a *Agent) prepareStandbyFiles() error {
	if err := atomicfile.EnsurePrivateDir(a.Cfg.TmpDir, a.owner()); err != nil {
		return fmt.Errorf("preparing tmpdir: %w", err)
	}
	if err := a.ensureIncludes(); err != nil {
		return err
	}
	slot := ""
	if a.Cfg.ReplicationSlotName != "" {
		slot = pg.SlotName(a.Cfg.ReplicationSlotName, a.node)
	}
	text := pg.RenderRecovery(pg.RecoverySettings{
		Version: a.pgVersion(), MasterIP: a.Cfg.MasterIP, Port: a.Cfg.PgPort, RepUser: a.Cfg.RepUser,
		ApplicationName: a.node, ConninfoOpt: a.Cfg.PrimaryConninfoOpt, RestoreCommand: a.Cfg.RestoreCommand,
		ArchiveCleanupCommand: a.Cfg.ArchiveCleanupCommand, RecoveryEndCommand: a.Cfg.RecoveryEndCommand, SlotName: slot,
	})
	if _, err := atomicfile.WriteFileAtomic(a.recoveryFile(), []byte(text), 0o600, a.owner()); err != nil {
		return fmt.Errorf("writing the recovery settings: %w", err)
	}
	if v := a.pgVersion(); v == 0 || v >= 1200 {
		if _, err := atomicfile.WriteFileAtomic(filepath.Join(a.Cfg.PgData, "standby.signal"), nil, 0o600, a.owner()); err != nil {
			return fmt.Errorf("writing standby.signal: %w", err)
		}
	}
	return nil
}

// writeRepMode writes rep_mode.conf (rep_mode=sync only) and reports
// whether it changed.
func (a *Agent) writeRepMode(name string) (bool, error) {
	if a.Cfg.RepMode != config.ModeSync {
		return false, nil
	}
	return a.writeRepModeConf(pg.RenderRepModeConf(name))
}

// writeRepModeConf writes rep_mode.conf's text and reports whether it
// changed.
func (a *Agent) writeRepModeConf(text string) (bool, error) {
	changed, err := atomicfile.WriteFileAtomic(a.Cfg.RepModeConf(), []byte(text), 0o600, a.owner())
	if err != nil {
		return false, fmt.Errorf("writing rep_mode.conf: %w", err)
	}
	return changed, nil
}

// currentSyncName reads the standby rep_mode.conf names.
func (a *Agent) currentSyncName() string {
	data, err := os.ReadFile(a.Cfg.RepModeConf())
	if err != nil {
		return ""
	}
	return pg.ParseRepModeConf(string(data))
}

// lockExists reports whether PGSQL.lock is there.
func (a *Agent) lockExists() (bool, error) {
	_, err := os.Lstat(a.Cfg.LockFile())
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checking %s: %w", a.Cfg.LockFile(), err)
	}
	return true, nil
}

func statOwner(st os.FileInfo) *atomicfile.Owner {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return &atomicfile.Owner{UID: int(sys.Uid), GID: int(sys.Gid)}
	}
	return nil
}
