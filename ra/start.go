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

func (a *Agent) start(ctx context.Context) int {
	live, err := a.liveness()
	if err != nil {
		a.Log.ExitReason("checking whether PostgreSQL runs: %s", oneLine(err))
		return OCFErrGeneric
	}
	switch decideStart(startFacts{Live: live}) {
	case startRefuse:
		if live.Running {
			a.Log.ExitReason("%s; pg_ctl cannot manage it", live.Reason)
		} else {
			a.Log.ExitReason("%s; PostgreSQL cannot start with it (check it and move it away)", live.Reason)
		}
		return OCFErrGeneric
	case startAlreadyUp:
		a.Log.Infof("PostgreSQL already runs (PID %d); waiting until it answers", live.PID)
		return a.waitHealthy(ctx)
	case startSetStaleAside:
		aside := filepath.Join(a.Cfg.PgData, fmt.Sprintf("postmaster.pid.stale-%d", time.Now().Unix()))
		if err := os.Rename(filepath.Join(a.Cfg.PgData, "postmaster.pid"), aside); err != nil {
			a.Log.ExitReason("moving the stale postmaster.pid aside: %s", oneLine(err))
			return OCFErrGeneric
		}
		a.Log.Warnf("%s; moved it to %s", live.Reason, aside)
	}
	if rc := a.prepareStart(); rc != OCFSuccess {
		return rc
	}
	if rc := a.launch(ctx); rc != OCFSuccess {
		return rc
	}
	return a.waitHealthy(ctx)
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
func (a *Agent) launch(ctx context.Context) int {
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
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	return OCFSuccess
}

// waitHealthy polls the server until monitor_sql succeeds, within the
// operation budget. A server that is up on another port than pgport fails
// at once: waiting cannot fix a configuration mismatch.
func (a *Agent) waitHealthy(ctx context.Context) int {
	var last string
	for attempt := 0; ; attempt++ {
		h, err := a.gatherHealth(ctx)
		if err != nil {
			last = oneLine(err)
		} else {
			rc, reason := decidePlainMonitor(h)
			switch {
			case rc == OCFSuccess:
				a.Log.Infof("PostgreSQL is started and answers")
				return OCFSuccess
			case rc == OCFNotRunning:
				last = "PostgreSQL is not running (" + h.Live.Reason + ")"
			case h.Live.Port != 0 && h.Live.Port != h.Port && h.Live.Status == "ready":
				a.Log.ExitReason("%s", reason)
				return OCFErrGeneric
			default:
				last = reason
			}
		}
		select {
		case <-ctx.Done():
			a.Log.ExitReason("PostgreSQL did not become ready within the start timeout: %s", last)
			return OCFErrGeneric
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
func (a *Agent) prepareStart() int {
	if lf := a.Cfg.LogFile; lf != "" && lf != "/dev/null" {
		if err := ensureLogFile(lf, a.DBA); err != nil {
			a.Log.ExitReason("preparing logfile %s: %s", lf, oneLine(err))
			return OCFErrPerm
		}
	}
	if sd := a.Cfg.SocketDir; sd != "" {
		if err := ensureSocketDir(sd, a.DBA); err != nil {
			a.Log.ExitReason("preparing socketdir %s: %s", sd, oneLine(err))
			return OCFErrPerm
		}
	}
	return OCFSuccess
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
