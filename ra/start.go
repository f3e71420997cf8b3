// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/atomicfile"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/pgrex/pgrex/ra/pg"
)

// startFacts is what start needs to know before it acts.
type startFacts struct {
	Live pg.Liveness
}

// startStep is what start decides to do.
type startStep int

const (
	startLaunch        startStep = iota // run pg_ctl start
	startAlreadyUp                      // a postmaster of this data directory runs: just wait until it answers
	startSetStaleAside                  // postmaster.pid names a live non-postgres process: move the file aside first
	startRefuse                         // a postmaster runs that postmaster.pid does not name, or the file is unusable: pg_ctl cannot manage it
)

// decideStart chooses the start path. postmaster.pid is never deleted
// blindly: a file naming a dead PID is left for the server (it recognises
// stale files itself), and a file naming a live process that is provably
// not this data directory's postmaster is renamed, not deleted.
func decideStart(f startFacts) startStep {
	switch {
	case f.Live.Running && !f.Live.PidFileOK, f.Live.PidFileUnusable:
		return startRefuse
	case f.Live.Running:
		return startAlreadyUp
	case f.Live.Stale && f.Live.PID > 0 && processAlive(f.Live.PID):
		return startSetStaleAside
	}
	return startLaunch
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func (a *Agent) start(ctx context.Context) (ocf.Status, error) {
	live, err := a.liveness()
	if err != nil {
		return 0, fmt.Errorf("checking whether PostgreSQL runs: %w", err)
	}
	switch decideStart(startFacts{Live: live}) {
	case startRefuse:
		if live.Running {
			return 0, failf(ocf.ErrGeneric, "%s; pg_ctl cannot manage it", live.Reason)
		}
		return 0, failf(ocf.ErrGeneric, "%s; PostgreSQL cannot start with it (check it and move it away)", live.Reason)
	case startAlreadyUp:
		a.Log.Infof("PostgreSQL already runs (PID %d); waiting until it answers", live.PID)
		return ocf.Success, a.waitHealthy(ctx)
	case startSetStaleAside:
		aside := filepath.Join(a.Cfg.PgData, fmt.Sprintf("postmaster.pid.stale-%d", time.Now().Unix()))
		if err := os.Rename(filepath.Join(a.Cfg.PgData, "postmaster.pid"), aside); err != nil {
			return 0, fmt.Errorf("moving the stale postmaster.pid aside: %w", err)
		}
		a.Log.Warnf("%s; moved it to %s", live.Reason, aside)
	}
	if err := a.prepareStart(); err != nil {
		return 0, err
	}
	if err := a.launch(ctx); err != nil {
		return 0, err
	}
	return ocf.Success, a.waitHealthy(ctx)
}

// waitReaped waits (bounded) while a lock file of the previous server names
// a zombie: PostgreSQL counts a zombie as alive and refuses to start, and
// the zombie of a killed postmaster lives until init reaps it.
func (a *Agent) waitReaped(ctx context.Context) {
	files := []string{filepath.Join(a.Cfg.PgData, "postmaster.pid")}
	if a.Cfg.SocketDir != "" {
		files = append(files, filepath.Join(a.Cfg.SocketDir, fmt.Sprintf(".s.PGSQL.%d.lock", a.Cfg.PgPort)))
	}
	for _, f := range files {
		// Never os.ReadFile: a FIFO in place of a lock file would block.
		pf, err := pg.ReadLockFile(f)
		if err != nil || !pg.IsZombie(pf.PID) {
			continue
		}
		a.Log.Infof("waiting for the previous postmaster (PID %d) to be reaped", pf.PID)
		for attempt := 0; pg.IsZombie(pf.PID); attempt++ {
			select {
			case <-ctx.Done():
				return
			case <-time.After(pollInterval(attempt)):
			}
		}
	}
}

// launch runs pg_ctl start, leaving a few seconds of the budget for the
// first health check.
func (a *Agent) launch(ctx context.Context) error {
	a.waitReaped(ctx)
	deadline, _ := ctx.Deadline()
	wait := time.Until(deadline) - 3*time.Second
	if wait < time.Second {
		wait = time.Second
	}
	opts := pg.StartOptions{
		CtlOpt:     strings.Fields(a.Cfg.CtlOpt),
		LogFile:    a.Cfg.LogFile,
		ConfigFile: a.Cfg.ConfigFile,
		Host:       a.Cfg.PgHost,
		StartOpt:   a.Cfg.StartOpt,
	}
	a.logControlData(ctx, beforeStart)
	a.Log.Infof("starting PostgreSQL in %s", a.Cfg.PgData)
	if err := a.ctl.Start(ctx, opts, wait); err != nil {
		return err
	}
	return nil
}

// waitHealthy polls the server until monitor_sql succeeds, within the
// operation budget. A server that is up on another port than pgport fails
// at once: waiting cannot fix a configuration mismatch.
func (a *Agent) waitHealthy(ctx context.Context) error {
	var last string
	for attempt := 0; ; attempt++ {
		h, err := a.gatherHealth(ctx)
		if err != nil {
			last = cmdrun.OneLine(err.Error())
		} else {
			rc, reason := decidePlainMonitor(h)
			switch {
			case rc == ocf.Success:
				a.Log.Infof("PostgreSQL is started and answers")
				return nil
			case rc == ocf.NotRunning:
				last = "PostgreSQL is not running (" + h.Live.Reason + ")"
			case h.Live.Port != 0 && h.Live.Port != h.Port && h.Live.Status == "ready":
				return failf(ocf.ErrGeneric, "%s", reason)
			default:
				last = reason
			}
		}
		select {
		case <-ctx.Done():
			return failf(ocf.ErrGeneric, "PostgreSQL did not become ready within the start timeout: %s", last)
		case <-time.After(pollInterval(attempt)):
		}
	}
}

// pollInterval backs off from 100 ms to 1 s.
func pollInterval(attempt int) time.Duration {
	d := time.Duration(100*(attempt+1)) * time.Millisecond
	if d > time.Second {
		d = time.Second
	}
	return d
}

// prepareStart creates what the server needs and the operator expects the
// agent to create: the log file and the socket directory. Both are created
// without following symbolic links and handed to pgdba.
func (a *Agent) prepareStart() error {
	if lf := a.Cfg.LogFile; lf != "" && lf != "/dev/null" {
		if err := ensureLogFile(lf, a.DBA); err != nil {
			return failf(ocf.ErrPerm, "preparing logfile %s: %s", lf, cmdrun.OneLine(err.Error()))
		}
	}
	if sd := a.Cfg.SocketDir; sd != "" {
		if err := ensureSocketDir(sd, a.DBA); err != nil {
			return failf(ocf.ErrPerm, "preparing socketdir %s: %s", sd, cmdrun.OneLine(err.Error()))
		}
	}
	return nil
}

func ensureLogFile(path string, dba *pg.User) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			return fmt.Errorf("creating it: %w", err)
		}
		if err := f.Close(); err != nil {
			return err
		}
		return handTo(path, dba)
	}
	if err != nil {
		return err
	}
	if st.Mode().IsRegular() && dba.NeedsSwitch() {
		sys := st.Sys().(*syscall.Stat_t)
		writable := (sys.Uid == dba.UID && st.Mode().Perm()&0o200 != 0) ||
			(dba.InGroup(sys.Gid) && st.Mode().Perm()&0o020 != 0) || st.Mode().Perm()&0o002 != 0
		if !writable {
			return fmt.Errorf("it is not writable by %s", dba.Name)
		}
	}
	return nil
}

// handTo makes a file the agent just created pgdba's.
func handTo(path string, dba *pg.User) error {
	if !dba.NeedsSwitch() {
		return nil
	}
	if err := os.Lchown(path, int(dba.UID), int(dba.GID)); err != nil {
		return fmt.Errorf("handing it to %s: %w", dba.Name, err)
	}
	return nil
}

func ensureSocketDir(path string, dba *pg.User) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(path, 0o2775); err != nil {
			return fmt.Errorf("creating it: %w", err)
		}
		if err := os.Chmod(path, 0o775|os.ModeSetgid); err != nil {
			return err
		}
		return handTo(path, dba)
	}
	if err != nil {
		return err
	}
	if st.Mode()&os.ModeSymlink != 0 {
		st, err = os.Stat(path)
		if err != nil {
			return err
		}
	}
	if !pg.CanWriteDir(dba, st) {
		return fmt.Errorf("it is not a directory %s can create its socket in", dba.Name)
	}
	return nil
}

// startStandby starts PostgreSQL as a hot standby of master_ip. A node whose
// PGSQL.lock exists was primary when it last stopped and may hold WAL the
// new primary lacks: it is refused until the operator has rebuilt it and
// removed the lock — or, with rejoin=rewind, until rejoin has proven and
// done the rebuild itself (rejoin.go).
func (a *Agent) startStandby(ctx context.Context) (ocf.Status, error) {
	// The attributes say "stopped, not promotable" whatever happens next,
	// as with the shell agent (a refused start shows STOP in crm_mon).
	if err := a.setMyStatus(ctx, attrd.StatusStop); err != nil {
		return 0, err
	}
	if err := a.attrs.SetScore(ctx, a.node, attrd.ScoreCanNotPromote); err != nil {
		return 0, err
	}
	for _, name := range []string{attrNames(&a.Cfg).MasterBaseline(), attrNames(&a.Cfg).XlogLoc(), attrNames(&a.Cfg).XlogTLI()} {
		if err := a.attrs.Delete(ctx, a.node, name, attrd.Reboot); err != nil {
			return 0, err
		}
	}
	locked, err := a.lockExists()
	if err != nil {
		return 0, err
	}
	if locked {
		if a.Cfg.Rejoin == config.RejoinOff || a.Cfg.Rejoin == "" {
			return 0, failf(ocf.ErrGeneric, "My data may be inconsistent. You have to remove %s file to force start.", a.Cfg.LockFile())
		}
		if err := a.rejoin(ctx); err != nil {
			return 0, err
		}
	}
	live, err := pg.CheckLiveness(a.Cfg.PgData)
	if err != nil {
		return 0, err
	}
	if live.Running {
		// Upstream behaviour: an instance Pacemaker did not know to be
		// running is not adopted by start (a probe adopts it instead).
		return 0, failf(ocf.ErrGeneric, "PostgreSQL is already running (PID %d) outside Pacemaker's control", live.PID)
	}
	if _, err := atomicfile.Remove(a.noteFile()); err != nil {
		return 0, err
	}
	if err := a.prepareStandbyFiles(); err != nil {
		return 0, err
	}
	if _, err := a.writeRepMode(""); err != nil {
		return 0, err
	}
	if err := a.prepareStart(); err != nil {
		return 0, err
	}
	if err := a.launch(ctx); err != nil {
		return 0, err
	}
	if err := a.waitStandby(ctx); err != nil {
		return 0, err
	}
	ce, err := a.checkPrivilege(ctx)
	if err != nil {
		return 0, err
	}
	if ce != nil {
		// PostgreSQL is left running, as after the
		// synchronous_standby_names check: Pacemaker stops it.
		return 0, ce
	}
	c, err := a.conn(ctx)
	if err != nil {
		return 0, err
	}
	ssn, err := c.Show(ctx, "synchronous_standby_names")
	if err != nil {
		return 0, err
	}
	if ssn != "" {
		return 0, failf(ocf.ErrConfigured, "Invalid synchronous_standby_names is set in postgresql.conf.")
	}
	if err := a.dropLeftoverSlots(ctx); err != nil {
		return 0, fmt.Errorf("cleaning up replication slots: %w", err)
	}
	if err := a.setMyStatus(ctx, attrd.StatusAlone); err != nil {
		return 0, err
	}
	a.Log.Infof("PostgreSQL started as a standby of %s", a.Cfg.MasterIP)
	return ocf.Success, nil
}

// waitStandby waits, within the budget, until the server answers as a
// standby. Coming up as a primary is a failure: two primaries must never
// run.
func (a *Agent) waitStandby(ctx context.Context) error {
	var last string
	for attempt := 0; ; attempt++ {
		c, err := a.conn(ctx)
		if err == nil {
			rec, qerr := c.InRecovery(ctx)
			switch {
			case qerr == nil && rec:
				return nil
			case qerr == nil:
				return failf(ocf.ErrGeneric, "PostgreSQL came up as a primary, not as a standby")
			default:
				a.dropConn()
				last = cmdrun.OneLine(qerr.Error())
			}
		} else {
			last = cmdrun.OneLine(err.Error())
		}
		select {
		case <-ctx.Done():
			return failf(ocf.ErrGeneric, "PostgreSQL did not become a ready standby within the start timeout: %s", last)
		case <-time.After(pollInterval(attempt)):
		}
	}
}

// startSlave: a stand-alone standby outside a promotable clone writes the
// recovery settings, then starts as in plain mode.
func (a *Agent) startSlave(ctx context.Context) (ocf.Status, error) {
	live, _ := pg.CheckLiveness(a.Cfg.PgData)
	if !live.Running {
		if err := a.prepareStandbyFiles(); err != nil {
			return 0, err
		}
	}
	return a.start(ctx)
}
