// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/atomicfile"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/pgrex/pgrex/ra/pg"
)

// rejoin=rewind: a node that holds PGSQL.lock was primary when it last
// stopped and may hold WAL the new primary lacks. Instead of refusing to
// start (rejoin=off, PG-REX's behaviour), start proves that rewinding it
// loses nothing a client was told was committed, keeps what it discards
// as evidence, runs pg_rewind from the primary and starts as a standby
// (docs/rejoin.md).

// rewindStarted is what pg_rewind prints once it starts changing the
// target: a failure before it left the data directory as it was.
const rewindStarted = "rewinding from last common checkpoint"

// standbyStartReserve is the part of the start budget kept for starting
// the rewound server as a standby.
const standbyStartReserve = 20 * time.Second

// rejoinFacts is what the rejoin decision needs: this node's data
// directory, the cluster's view, and the primary's own word.
type rejoinFacts struct {
	Self string
	// Running: a postmaster runs here (PostgreSQL must be stopped).
	Running string
	// Marker is an earlier rebuild that did not finish.
	Marker    *rejoinMarkerContent
	MarkerErr string
	// BaseBackup: rejoin=rewind,basebackup.
	BaseBackup bool
	// Primary is the one node the cluster shows promoted with pgsql-status
	// PRI; NoPrimary says why there is none when it is "".
	Primary, NoPrimary string
	Control            *pg.ControlData
	ControlErr         string
	Source             *pg.Source
	SourceErr          string
	// Settings come from the session pg_rewind will use (repuser, pgdb).
	Settings    *pg.SourceSettings
	SettingsErr string
	// Tail is this node's own WAL from the fork point on.
	Tail    *pg.WALTail
	TailErr string
	// Lock is this node's PGSQL.lock: its synchronous= line says which
	// standby this node's commits waited for when it was last primary.
	Lock                    lockfile.Content
	MasterIP, RepUser, PgDB string
}

// rejoinPlan is the decision: Refuse (one line naming the missing proof),
// or rebuild by Method from Fork. NotRewind says why a base backup is used
// instead of pg_rewind; Resume that an interrupted rebuild is redone.
type rejoinPlan struct {
	Refuse    string
	Method    string // rejoinRewind or rejoinBaseBackup
	NotRewind string
	Resume    bool
	Fork      pg.LSN
	Diverged  bool
}

const (
	rejoinRewind     = "rewind"
	rejoinBaseBackup = "basebackup"
)

// decideRejoin checks every proof in turn; the first one missing refuses.
// The proofs that no acknowledged commit is lost hold for every method; the
// ones pg_rewind alone needs make rejoin=rewind,basebackup take a base
// backup instead.
func decideRejoin(f rejoinFacts) rejoinPlan {
	refuse := func(format string, args ...any) rejoinPlan {
		return rejoinPlan{Refuse: "rejoin refused: " + fmt.Sprintf(format, args...)}
	}
	switch {
	case f.Running != "":
		return refuse("PostgreSQL runs here (%s)", f.Running)
	case f.MarkerErr != "":
		return refuse("the marker of an earlier rebuild cannot be read: %s", f.MarkerErr)
	case f.Primary == "":
		return refuse("no other node is the primary (%s)", f.NoPrimary)
	case f.Source == nil:
		return refuse("the primary %s does not answer for replication at master_ip %s as %s: %s", f.Primary, f.MasterIP, f.RepUser, f.SourceErr)
	case f.Settings != nil && f.Settings.InRecovery:
		return refuse("the server at master_ip %s is in recovery, not a primary", f.MasterIP)
	}
	if m := f.Marker; m != nil {
		// An interrupted rebuild: its proofs held when it began, and the
		// data directory is no longer evidence of anything.
		switch {
		case !f.BaseBackup:
			return refuse("an earlier %s did not finish (began %s); rebuild this node with a base backup (pgrex standby-start -b), or set rejoin=rewind,basebackup", m.Method, m.Stamp)
		case m.Primary != f.Primary || m.SystemID != f.Source.SystemID:
			return refuse("an earlier %s from %s (system identifier %s) did not finish, and the primary is now %s (system identifier %s): rebuild by hand", m.Method, m.Primary, m.SystemID, f.Primary, f.Source.SystemID)
		}
		return rejoinPlan{Method: rejoinBaseBackup, Resume: true, NotRewind: "an earlier " + m.Method + " did not finish (began " + m.Stamp + ")"}
	}
	if f.Control == nil {
		return refuse("this node's control data cannot be read: %s", f.ControlErr)
	}
	src, cd := f.Source, f.Control
	if src.SystemID != cd.SystemID {
		return refuse("the server at master_ip %s is another database cluster (system identifier %s, here %s)", f.MasterIP, src.SystemID, cd.SystemID)
	}
	here := cd.Timeline()
	if here >= src.TLI {
		return refuse("this node's timeline %d is not older than the primary's timeline %d: there is no fork to rewind to", here, src.TLI)
	}
	fork, ok := pg.ForkPoint(src.History, here)
	if !ok {
		return refuse("timeline %d is not in the history of the primary's timeline %d: this node is not on the primary's past", here, src.TLI)
	}
	switch {
	case f.Tail == nil:
		return refuse("this node's WAL after the fork at %s cannot be read: %s", fork, f.TailErr)
	case !f.Tail.EndsAt(fork, cd.SegSize):
		return refuse("the end of this node's WAL after the fork at %s is unknown (%s)", fork, f.Tail.Stop)
	}
	// A commit beyond the fork was never on the new primary. It was not
	// acknowledged to a client only if this node waited for the new
	// primary as its synchronous standby.
	if f.Tail.Commits > 0 && (!f.Lock.SyncKnown || f.Lock.Synchronous != f.Primary) {
		ran := "no record of its synchronous standby in " + lockfile.Name
		if f.Lock.SyncKnown {
			ran = fmt.Sprintf("synchronous standby %q", f.Lock.Synchronous)
		}
		return refuse("this node committed %d transaction(s) after the fork at %s (the last at %s) with %s, not waiting for %s: a client may have been told they committed; check them, then rebuild by hand",
			f.Tail.Commits, fork, f.Tail.LastCommit, ran, f.Primary)
	}
	p := rejoinPlan{Method: rejoinRewind, Fork: fork, Diverged: f.Tail.Records > 0}
	if why := rewindBlocked(f); why != "" {
		if !f.BaseBackup {
			return refuse("%s", why)
		}
		p.Method, p.NotRewind = rejoinBaseBackup, why
	}
	return p
}

// rewindBlocked is why pg_rewind cannot run ("" when it can).
func rewindBlocked(f rejoinFacts) string {
	switch st := f.Settings; {
	case st == nil:
		return fmt.Sprintf("pg_rewind cannot open its session to the primary at master_ip %s as %s (database %s): %s", f.MasterIP, f.RepUser, f.PgDB, f.SettingsErr)
	case !st.FullPageWrites:
		return "full_page_writes is off on the primary: pg_rewind cannot run"
	case st.CheckpointTLI != f.Source.TLI:
		return fmt.Sprintf("the primary has not completed a checkpoint on its timeline %d yet (its control file still says %d): pg_rewind would read a stale timeline; the next start retries", f.Source.TLI, st.CheckpointTLI)
	case !f.Control.WALLogHints && f.Control.DataChecksums == 0:
		return "neither wal_log_hints nor data checksums are on in this data directory: pg_rewind cannot run (set wal_log_hints = on)"
	}
	return ""
}

// rejoin runs at start on a node that holds PGSQL.lock when rejoin=rewind:
// gather, decide, and on success rewind and remove the lock. A refusal is
// an error carrying the reason; the lock then stays.
func (a *Agent) rejoin(ctx context.Context) error {
	f := a.gatherRejoin(ctx)
	plan := decideRejoin(f)
	if plan.Refuse != "" {
		return failf(ocf.ErrGeneric, "%s", plan.Refuse)
	}
	return a.applyRejoin(ctx, f, plan)
}

func (a *Agent) gatherRejoin(ctx context.Context) rejoinFacts {
	f := rejoinFacts{Self: a.node, MasterIP: a.Cfg.MasterIP, RepUser: a.Cfg.RepUser, PgDB: a.Cfg.PgDB}
	if info, err := lockfile.Read(a.Cfg.LockFile()); err == nil {
		f.Lock = info.Content
	}
	if live, err := pg.CheckLiveness(a.Cfg.PgData); err != nil {
		f.Running = cmdrun.OneLine(err.Error())
	} else if live.Running {
		f.Running = fmt.Sprintf("PID %d", live.PID)
	}
	f.BaseBackup = a.Cfg.Rejoin == config.RejoinRewindBaseBackup
	if b, err := readRegular(a.markerPath(), 4096); err == nil {
		m, perr := parseRejoinMarker(b)
		if perr != nil {
			f.MarkerErr = perr.Error()
		} else {
			f.Marker = &m
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		f.MarkerErr = cmdrun.OneLine(err.Error())
	}
	f.Primary, f.NoPrimary = a.clusterPrimary(ctx)
	if cd, err := a.ctl.ControlData(ctx, a.Cfg.PgCtlData); err != nil {
		f.ControlErr = cmdrun.OneLine(err.Error())
	} else {
		f.Control = cd
	}
	if f.Primary == "" {
		return f
	}
	p := pg.ConnParams{Host: a.Cfg.MasterIP, Port: a.Cfg.PgPort, User: a.Cfg.RepUser, As: a.DBA}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	src, err := pg.ReadSource(sctx, p)
	cancel()
	if err != nil {
		f.SourceErr = cmdrun.OneLine(err.Error())
		return f
	}
	f.Source = &src
	p.Database = a.Cfg.PgDB
	sctx, cancel = context.WithTimeout(ctx, 10*time.Second)
	st, err := pg.ReadSourceSettings(sctx, p)
	cancel()
	if err != nil {
		f.SettingsErr = cmdrun.OneLine(err.Error())
	} else {
		f.Settings = &st
	}
	if f.Control == nil || f.Marker != nil {
		return f
	}
	fork, ok := pg.ForkPoint(src.History, f.Control.Timeline())
	if !ok {
		return f
	}
	tail, err := a.walTail(ctx, f.Control.Timeline(), fork)
	if err != nil {
		f.TailErr = cmdrun.OneLine(err.Error())
	} else {
		f.Tail = &tail
	}
	return f
}

// clusterPrimary is the node the cluster shows as the one promoted
// instance of this resource with pgsql-status PRI, not this node.
func (a *Agent) clusterPrimary(ctx context.Context) (node, why string) {
	cl, err := a.attrs.Cluster(ctx)
	if err != nil {
		return "", "the cluster cannot be read: " + cmdrun.OneLine(err.Error())
	}
	promoted := cl.PromotedNodes(a.Cfg.Resource)
	switch {
	case len(promoted) == 0:
		return "", "no node runs " + a.Cfg.Resource + " promoted"
	case len(promoted) > 1:
		return "", "several nodes run it promoted: " + strings.Join(promoted, ", ")
	case promoted[0] == a.node:
		return "", "the cluster shows this node promoted"
	}
	st, _ := cl.Attr(promoted[0], attrNames(&a.Cfg).Status())
	if st != attrd.StatusPrimary {
		return "", fmt.Sprintf("%s is promoted but its %s is %q, not %s", promoted[0], attrNames(&a.Cfg).Status(), st, attrd.StatusPrimary)
	}
	return promoted[0], ""
}

// walTail reads this node's WAL on timeline tli from the fork point to its
// end with pg_waldump.
func (a *Agent) walTail(ctx context.Context, tli uint32, fork pg.LSN) (pg.WALTail, error) {
	cmd := a.ctl.Tool("pg_waldump", []string{"--path=" + filepath.Join(a.Cfg.PgData, "pg_wal"),
		fmt.Sprintf("--timeline=%d", tli), "--start=" + fork.String()}, 30*time.Second)
	res, err := a.Runner.Run(ctx, cmd)
	var ce *cmdrun.Error
	if err != nil && !(errors.As(err, &ce) && ce.ExitCode > 0) {
		return pg.WALTail{}, fmt.Errorf("reading the WAL after %s with pg_waldump: %w", fork, err)
	}
	return pg.ParseWALTail(res.Stdout, res.Stderr), nil
}

func (a *Agent) applyRejoin(ctx context.Context, f rejoinFacts, plan rejoinPlan) error {
	if err := atomicfile.EnsurePrivateDir(a.Cfg.TmpDir, a.owner()); err != nil {
		return fmt.Errorf("preparing tmpdir: %w", err)
	}
	var m rejoinMarkerContent
	var confs []keptFile
	if plan.Resume {
		// The first attempt kept the evidence and this node's configuration.
		m = *f.Marker
		var err error
		if confs, err = a.loadKeptConfig(m.Stamp); err != nil {
			return failf(ocf.ErrGeneric, "rejoin refused: the configuration files the interrupted %s kept cannot be read: %s", m.Method, cmdrun.OneLine(err.Error()))
		}
		a.Log.Warnf("rejoin: %s; redoing it with a base backup from %s", plan.NotRewind, f.Primary)
	} else if stamp := a.keptEvidence(renderEvidence(f, plan, "", "")); stamp != "" {
		// Pacemaker retries a start that failed before pg_rewind changed
		// anything; the evidence and the copies of that first attempt stand,
		// and one set per fork keeps tmpdir from growing with every retry.
		m = rejoinMarkerContent{Stamp: stamp, Primary: f.Primary, SystemID: f.Source.SystemID}
		var err error
		if confs, err = a.loadKeptConfig(stamp); err != nil {
			return failf(ocf.ErrGeneric, "rejoin refused: the configuration files an earlier attempt kept cannot be read: %s", cmdrun.OneLine(err.Error()))
		}
		a.Log.Warnf("rejoin: %s; evidence already kept in %s", divergedLine(f, plan), filepath.Join(a.Cfg.TmpDir, "rejoin-"+stamp+".txt"))
	} else {
		m = rejoinMarkerContent{Stamp: a.newStamp(time.Now()), Primary: f.Primary, SystemID: f.Source.SystemID}
		kept := ""
		if plan.Diverged {
			dir, n, err := a.keepDivergedWAL(f, plan, m.Stamp)
			if err != nil {
				return failf(ocf.ErrGeneric, "rejoin refused: keeping this node's WAL after the fork failed: %s", cmdrun.OneLine(err.Error()))
			}
			kept = fmt.Sprintf("%s (%d segment file(s))", dir, n)
		}
		evidence := filepath.Join(a.Cfg.TmpDir, "rejoin-"+m.Stamp+".txt")
		if _, err := atomicfile.WriteFileAtomic(evidence, []byte(renderEvidence(f, plan, m.Stamp, kept)), 0o600, a.owner()); err != nil {
			return failf(ocf.ErrGeneric, "rejoin refused: writing the evidence file failed: %s", cmdrun.OneLine(err.Error()))
		}
		a.Log.Warnf("rejoin: %s; evidence in %s", divergedLine(f, plan), evidence)
		var err error
		if confs, err = a.keepConfigFiles(m.Stamp); err != nil {
			return failf(ocf.ErrGeneric, "rejoin refused: keeping this node's configuration files failed: %s", cmdrun.OneLine(err.Error()))
		}
	}
	a.waitReaped(ctx)
	deadline, _ := ctx.Deadline()
	budget := time.Until(deadline) - standbyStartReserve
	if budget < 5*time.Second {
		budget = 5 * time.Second
	}
	started := time.Now()
	var err error
	if plan.Method == rejoinRewind {
		var changed bool
		changed, err = a.rewind(ctx, f, plan, m, budget)
		if err != nil && !changed && f.BaseBackup {
			// rejoin=rewind,basebackup: the data directory is as it was,
			// so the base backup the option allows is taken at once rather
			// than after another failed start.
			plan.Method, plan.NotRewind = rejoinBaseBackup, "pg_rewind failed before changing anything ("+cmdrun.OneLine(err.Error())+")"
			err = a.baseBackup(ctx, f, plan, m, max(budget-time.Since(started), 5*time.Second))
		}
	} else {
		err = a.baseBackup(ctx, f, plan, m, budget)
	}
	if err != nil {
		return err
	}
	if err := restoreConfigFiles(confs, a.owner()); err != nil {
		return fmt.Errorf("rejoin: restoring this node's configuration files (copies in %s): %w", filepath.Join(a.Cfg.TmpDir, "rejoin-"+m.Stamp+".conf"), err)
	}
	if err := a.prepareStandbyFiles(); err != nil {
		return err
	}
	if _, err := atomicfile.Remove(a.markerPath()); err != nil {
		return err
	}
	if _, err := atomicfile.Remove(a.Cfg.LockFile()); err != nil {
		return fmt.Errorf("removing %s after the rebuild: %w", a.Cfg.LockFile(), err)
	}
	a.Log.Infof("rejoin: %s removed: this node's data now follows %s's timeline %d", lockfile.Name, f.Primary, f.Source.TLI)
	return nil
}

// markerPath is lockfile.RejoinMarker in tmpdir: there while pg_rewind may
// be changing the data directory; found at a start, an earlier rewind did
// not finish.
func (a *Agent) markerPath() string { return filepath.Join(a.Cfg.TmpDir, lockfile.RejoinMarker) }

func (a *Agent) writeMarker(m rejoinMarkerContent) error {
	if _, err := atomicfile.WriteFileAtomic(a.markerPath(), formatRejoinMarker(m), 0o600, a.owner()); err != nil {
		return fmt.Errorf("writing %s: %w", a.markerPath(), err)
	}
	return nil
}

// rewind runs pg_rewind from the primary; changed says whether pg_rewind
// got as far as changing the data directory. A failure before that removes
// the marker again: the next start may simply retry.
func (a *Agent) rewind(ctx context.Context, f rejoinFacts, plan rejoinPlan, m rejoinMarkerContent, budget time.Duration) (changed bool, err error) {
	t0 := time.Now()
	if !f.Control.CleanlyShutDown() {
		if err := a.recoverForRewind(ctx, f, budget); err != nil {
			return false, err
		}
		budget = max(budget-time.Since(t0), 5*time.Second)
	}
	m.Method = rejoinRewind
	if err := a.writeMarker(m); err != nil {
		return false, err
	}
	source := fmt.Sprintf("host=%s port=%d user=%s dbname=%s application_name=pgrex-rewind sslmode=disable",
		a.Cfg.MasterIP, a.Cfg.PgPort, a.Cfg.RepUser, a.Cfg.PgDB)
	version := pg.VersionNum(pg.ReadVersion(a.Cfg.PgData))
	conf := ""
	if rewindFromArchive(version, a.Cfg.RestoreCommand) && version >= 1500 {
		conf = filepath.Join(a.Cfg.TmpDir, rewindConf)
		if _, err := atomicfile.WriteFileAtomic(conf, []byte(renderRewindConf(a.Cfg.ConfigFile, a.Cfg.RestoreCommand)), 0o600, a.owner()); err != nil {
			_, _ = atomicfile.Remove(a.markerPath())
			return false, fmt.Errorf("rejoin: writing %s for pg_rewind: %w", conf, err)
		}
		defer func() { _, _ = atomicfile.Remove(conf) }()
	}
	a.Log.Infof("rejoin: pg_rewind from %s (%s), timeline %d left at %s", f.Primary, a.Cfg.MasterIP, f.Control.Timeline(), plan.Fork)
	res, err := a.Runner.Run(ctx, a.ctl.Tool("pg_rewind", rewindArgs(a.Cfg.PgData, source, version, a.Cfg.RestoreCommand, conf), budget))
	out := string(res.Stdout) + string(res.Stderr)
	if err != nil {
		changed = strings.Contains(out, rewindStarted)
		if !changed {
			_, _ = atomicfile.Remove(a.markerPath())
		}
		a.Log.Warnf("rejoin: %s", cmdrun.OneLine(err.Error()))
		return changed, failf(ocf.ErrGeneric, "rejoin: pg_rewind failed: %s", reasonLine(out, err))
	}
	a.Log.Infof("rejoin: pg_rewind: %s", cmdrun.OneLine(lastLine(out)))
	return true, nil
}

// rewindConf is the configuration file pg_rewind reads restore_command
// from (PostgreSQL 15+), in tmpdir while pg_rewind runs.
const rewindConf = "rejoin-rewind.conf"

// rewindFromArchive says whether pg_rewind may fetch this node's own WAL
// from the archive (--restore-target-wal, PostgreSQL 13+) with the agent's
// restore_command. It needs to whenever the old primary completed a
// checkpoint that its standby never received: that checkpoint removed the
// segments back to its REDO point, and pg_rewind reads from the checkpoint
// before the fork, which lies before them (the lab's 1 GB kill -9).
func rewindFromArchive(version int, restoreCommand string) bool {
	return restoreCommand != "" && (version == 0 || version >= 1300)
}

// rewindArgs are pg_rewind's arguments. conf, when set (PostgreSQL 15+),
// is a configuration file that includes the server's own and sets the
// agent's restore_command, so that --restore-target-wal does not depend on
// what the old primary's configuration held; on 13 and 14 pg_rewind reads
// restore_command from the data directory's configuration, where the
// agent's standby settings put it.
func rewindArgs(pgdata, source string, version int, restoreCommand, conf string) []string {
	args := []string{"--target-pgdata=" + pgdata, "--source-server=" + source}
	if rewindFromArchive(version, restoreCommand) {
		args = append(args, "--restore-target-wal")
		if conf != "" {
			args = append(args, "--config-file="+conf)
		}
	}
	return args
}

// renderRewindConf is rewindConf's text.
func renderRewindConf(config, restoreCommand string) string {
	return "# written by pgrex for one pg_rewind (rejoin); removed after it\n" +
		"include " + pg.QuoteConfValue(config) + "\n" +
		"restore_command = " + pg.QuoteConfValue(restoreCommand) + "\n"
}

// recoverForRewind completes the crash recovery of a data directory that
// was not shut down cleanly (a killed primary) before pg_rewind reads it,
// keeping every WAL segment now in pg_wal: pg_rewind's own recovery would
// let the end-of-recovery checkpoint remove the segments back to the last
// checkpoint before the fork, which pg_rewind then cannot find (PostgreSQL
// 12's pg_rewind does no recovery at all and refuses such a directory).
// Recovery replays only this node's own WAL; it changes nothing the
// rewind proofs rest on.
func (a *Agent) recoverForRewind(ctx context.Context, f rejoinFacts, budget time.Duration) error {
	keep, err := pg.WALBytes(a.Cfg.PgData, f.Control.SegSize)
	if err != nil {
		return failf(ocf.ErrGeneric, "rejoin: before pg_rewind: %s", cmdrun.OneLine(err.Error()))
	}
	a.Log.Infof("rejoin: completing crash recovery of %s (state %q) in single-user mode, keeping its %d MB of WAL for pg_rewind", a.Cfg.PgData, f.Control.State, keep>>20)
	version := pg.VersionNum(pg.ReadVersion(a.Cfg.PgData))
	// A crashed standby (powered off, fenced) has standby.signal, which
	// single-user mode refuses.
	restore, err := pg.SetAsideSignals(a.Cfg.PgData)
	if err != nil {
		_ = restore()
		return failf(ocf.ErrGeneric, "rejoin: before pg_rewind: %s", cmdrun.OneLine(err.Error()))
	}
	res, err := a.Runner.Run(ctx, a.ctl.CrashRecovery(a.Cfg.ConfigFile, version, keep, f.Control.SegSize, budget))
	if rerr := restore(); rerr != nil {
		return failf(ocf.ErrGeneric, "rejoin: after the crash recovery: %s", cmdrun.OneLine(rerr.Error()))
	}
	if err != nil {
		a.Log.Warnf("rejoin: %s", cmdrun.OneLine(err.Error()))
		return failf(ocf.ErrGeneric, "rejoin: completing crash recovery before pg_rewind failed: %s", reasonLine(string(res.Stdout)+string(res.Stderr), err))
	}
	return nil
}

// baseBackup (rejoin=rewind,basebackup) moves the data directory aside —
// nothing of it is deleted — and takes a base backup from the primary into
// a new one. Resuming an interrupted base backup, the partial directory it
// made (proven by its inode, recorded in the marker) is removed first.
func (a *Agent) baseBackup(ctx context.Context, f rejoinFacts, plan rejoinPlan, m rejoinMarkerContent, budget time.Duration) error {
	pgdata := a.Cfg.PgData
	if plan.Resume && m.Method == rejoinBaseBackup {
		ino, err := inode(pgdata)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("inspecting %s: %w", pgdata, err)
		case m.DataIno == 0 || ino != m.DataIno:
			return failf(ocf.ErrGeneric, "rejoin refused: %s is not the directory the interrupted base backup created (inode %d, recorded %d): rebuild by hand", pgdata, ino, m.DataIno)
		default:
			a.Log.Warnf("rejoin: removing %s, the partial copy the interrupted base backup made", pgdata)
			if err := os.RemoveAll(pgdata); err != nil {
				return fmt.Errorf("removing the partial base backup %s: %w", pgdata, err)
			}
		}
	} else {
		if why := cannotMoveAside(pgdata); why != "" {
			return failf(ocf.ErrGeneric, "rejoin refused: a base backup is needed (%s) but %s", plan.NotRewind, why)
		}
		aside := pgdata + ".pgrex-old-" + m.Stamp
		if err := os.Rename(pgdata, aside); err != nil {
			return failf(ocf.ErrGeneric, "rejoin refused: moving %s aside to %s: %s", pgdata, aside, cmdrun.OneLine(err.Error()))
		}
		a.Log.Warnf("rejoin: %s; the data directory is kept as %s", plan.NotRewind, aside)
	}
	m.Method = rejoinBaseBackup
	if err := os.Mkdir(pgdata, 0o700); err != nil {
		return fmt.Errorf("creating %s for the base backup: %w", pgdata, err)
	}
	if o := a.owner(); o != nil {
		if err := os.Lchown(pgdata, o.UID, o.GID); err != nil {
			return fmt.Errorf("handing %s to uid %d: %w", pgdata, o.UID, err)
		}
	}
	ino, err := inode(pgdata)
	if err != nil {
		return fmt.Errorf("inspecting %s: %w", pgdata, err)
	}
	m.DataIno = ino
	if err := a.writeMarker(m); err != nil {
		return err
	}
	a.Log.Infof("rejoin: base backup from %s (%s) into %s", f.Primary, a.Cfg.MasterIP, pgdata)
	_, err = a.Runner.Run(ctx, a.ctl.Tool("pg_basebackup", []string{"--pgdata=" + pgdata, "--host=" + a.Cfg.MasterIP,
		fmt.Sprintf("--port=%d", a.Cfg.PgPort), "--username=" + a.Cfg.RepUser, "--no-password", "--wal-method=stream",
		"--checkpoint=fast"}, budget))
	if err != nil {
		return failf(ocf.ErrGeneric, "rejoin: pg_basebackup failed (the next start redoes it): %s", cmdrun.OneLine(err.Error()))
	}
	return nil
}

// cannotMoveAside says why the data directory cannot be renamed aside and
// replaced by a base backup ("" when it can).
func cannotMoveAside(pgdata string) string {
	st, err := os.Lstat(pgdata)
	if err != nil {
		return cmdrun.OneLine(err.Error())
	}
	if !st.IsDir() {
		return pgdata + " is not a directory"
	}
	parent, err := os.Stat(filepath.Dir(pgdata))
	if err != nil {
		return cmdrun.OneLine(err.Error())
	}
	if st.Sys().(*syscall.Stat_t).Dev != parent.Sys().(*syscall.Stat_t).Dev {
		return pgdata + " is a mount point"
	}
	if wal, err := os.Lstat(filepath.Join(pgdata, "pg_wal")); err == nil && wal.Mode()&os.ModeSymlink != 0 {
		return "pg_wal is a symbolic link (a base backup would not recreate it)"
	}
	if ents, err := os.ReadDir(filepath.Join(pgdata, "pg_tblspc")); err == nil && len(ents) > 0 {
		return "the data directory has tablespaces (a base backup would need their new places)"
	}
	return ""
}

func inode(path string) (uint64, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return 0, err
	}
	return st.Sys().(*syscall.Stat_t).Ino, nil
}

// rejoinMarkerContent is what the marker records: enough to resume, and to
// prove what a resumed base backup may remove.
type rejoinMarkerContent struct {
	Method, Stamp, Primary, SystemID string
	DataIno                          uint64
}

func formatRejoinMarker(m rejoinMarkerContent) []byte {
	return fmt.Appendf(nil, "method=%s\nstamp=%s\nprimary=%s\nsystem=%s\npgdata_ino=%d\n", m.Method, m.Stamp, m.Primary, m.SystemID, m.DataIno)
}

func parseRejoinMarker(b []byte) (rejoinMarkerContent, error) {
	var m rejoinMarkerContent
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch k {
		case "method":
			m.Method = v
		case "stamp":
			m.Stamp = v
		case "primary":
			m.Primary = v
		case "system":
			m.SystemID = v
		case "pgdata_ino":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return m, fmt.Errorf("%s: pgdata_ino=%q", lockfile.RejoinMarker, v)
			}
			m.DataIno = n
		}
	}
	if (m.Method != rejoinRewind && m.Method != rejoinBaseBackup) || m.Stamp == "" || m.Primary == "" {
		return m, fmt.Errorf("%s: expected method=, stamp= and primary= lines, got %q", lockfile.RejoinMarker, cmdrun.OneLine(string(b)))
	}
	return m, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// reasonLine is the line of a failed PostgreSQL program's output that says
// why (its first error, FATAL or PANIC line, else its last line), for an
// exit reason that Pacemaker shows cut short: the whole command and output
// go to the log.
func reasonLine(out string, err error) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "error:") || strings.Contains(l, "FATAL:") || strings.Contains(l, "PANIC:") {
			return cmdrun.OneLine(l)
		}
	}
	if l := lastLine(out); l != "" {
		return cmdrun.OneLine(l)
	}
	return cmdrun.OneLine(err.Error())
}

// divergedLine is the log's summary of what the rewind discards.
func divergedLine(f rejoinFacts, plan rejoinPlan) string {
	if !plan.Diverged {
		return fmt.Sprintf("nothing of this node's timeline %d lies beyond the fork at %s", f.Control.Timeline(), plan.Fork)
	}
	t := f.Tail
	s := fmt.Sprintf("this node's timeline %d has %d record(s) beyond the fork at %s (%s to %s), %d commit(s), %d abort(s)",
		f.Control.Timeline(), t.Records, plan.Fork, t.First, t.Last, t.Commits, t.Aborts)
	if t.LastCommit != "" {
		s += ", commits from " + t.FirstCommit + " to " + t.LastCommit
	}
	return s + ": none was acknowledged (the primary was this node's synchronous standby) and the rewind discards them"
}

func renderEvidence(f rejoinFacts, plan rejoinPlan, stamp, kept string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# pgrex rejoin evidence: what this node held beyond the primary's history, recorded before pg_rewind\n")
	fmt.Fprintf(&b, "time: %s\nnode: %s\n", stamp, f.Self)
	fmt.Fprintf(&b, "primary: %s (master_ip %s, timeline %d, WAL at %s)\n", f.Primary, f.MasterIP, f.Source.TLI, f.Source.XLogPos)
	fmt.Fprintf(&b, "system identifier: %s\n", f.Control.SystemID)
	fmt.Fprintf(&b, "this node: %s\n", describeControlData(f.Control))
	fmt.Fprintf(&b, "fork: timeline %d left at %s (the primary's history)\n", f.Control.Timeline(), plan.Fork)
	if f.Lock.SyncKnown {
		fmt.Fprintf(&b, "synchronous standby of this node (%s): %q\n", lockfile.Name, f.Lock.Synchronous)
	} else {
		fmt.Fprintf(&b, "synchronous standby of this node (%s): not recorded\n", lockfile.Name)
	}
	if f.Lock.Promoted.IsZero() {
		fmt.Fprintf(&b, "%s: no promotion recorded (the upstream agent writes an empty file)\n", lockfile.Name)
	} else {
		fmt.Fprintf(&b, "%s:\n%s", lockfile.Name, lockfile.Format(f.Lock))
	}
	t := f.Tail
	fmt.Fprintf(&b, "beyond the fork: %d record(s)", t.Records)
	if t.Records > 0 {
		fmt.Fprintf(&b, " from %s to %s, %d commit(s), %d abort(s)", t.First, t.Last, t.Commits, t.Aborts)
		if t.FirstCommit != "" {
			fmt.Fprintf(&b, ", commit times %s to %s", t.FirstCommit, t.LastCommit)
		}
	}
	fmt.Fprintf(&b, "\npg_waldump stopped: %s\n", t.Stop)
	fmt.Fprintf(&b, "transactions beyond the fork: %d commit(s), %d abort(s)", t.Commits, t.Aborts)
	if t.FirstCommit != "" {
		fmt.Fprintf(&b, ", commit times %s to %s", t.FirstCommit, t.LastCommit)
	}
	b.WriteString("\n")
	if kept != "" {
		fmt.Fprintf(&b, "WAL kept: %s\n", kept)
	}
	return b.String()
}

// newStamp names a new set of evidence: the UTC time, with a suffix when
// a set of that second exists already (two starts within one second).
func (a *Agent) newStamp(now time.Time) string {
	base := now.UTC().Format("20060102T150405Z")
	stamp := base
	for i := 1; i < 100; i++ {
		taken := false
		for _, ext := range []string{".txt", ".wal", ".conf"} {
			if _, err := os.Lstat(filepath.Join(a.Cfg.TmpDir, "rejoin-"+stamp+ext)); err == nil {
				taken = true
			}
		}
		if !taken {
			break
		}
		stamp = fmt.Sprintf("%s-%d", base, i)
	}
	return stamp
}

// keptEvidence is the stamp of the newest evidence file in tmpdir when it
// records the same fork and the same WAL beyond it as text, and its copies
// of the configuration files exist; "" otherwise.
func (a *Agent) keptEvidence(text string) string {
	files, err := filepath.Glob(filepath.Join(a.Cfg.TmpDir, "rejoin-*.txt"))
	if err != nil || len(files) == 0 {
		return ""
	}
	sort.Strings(files) // the stamps sort by time
	newest := files[len(files)-1]
	b, err := readRegular(newest, 64<<10)
	if err != nil || evidenceKey(string(b)) != evidenceKey(text) {
		return ""
	}
	stamp := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(newest), "rejoin-"), ".txt")
	if st, err := os.Lstat(filepath.Join(a.Cfg.TmpDir, "rejoin-"+stamp+".conf")); err != nil || !st.IsDir() {
		return ""
	}
	return stamp
}

// evidenceKey is what identifies one divergence in an evidence file: the
// database, the fork and the transactions beyond it — not the count of
// records, which the crash recovery before pg_rewind adds its checkpoint to.
func evidenceKey(text string) string {
	var key []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "fork: ") || strings.HasPrefix(l, "transactions beyond the fork: ") || strings.HasPrefix(l, "system identifier: ") {
			key = append(key, l)
		}
	}
	if len(key) < 3 {
		return "\x00" + text // not an evidence file: matches nothing
	}
	return strings.Join(key, "\n")
}

// keepDivergedWAL copies the segment files holding this node's WAL from
// the fork to its end into tmpdir/rejoin-<stamp>.wal: pg_rewind replaces
// pg_wal, and these records exist nowhere else.
func (a *Agent) keepDivergedWAL(f rejoinFacts, plan rejoinPlan, stamp string) (string, int, error) {
	seg := f.Control.SegSize
	if seg <= 0 {
		return "", 0, errors.New("the WAL segment size is unknown")
	}
	dir := filepath.Join(a.Cfg.TmpDir, "rejoin-"+stamp+".wal")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("creating %s: %w", dir, err)
	}
	if o := a.owner(); o != nil {
		if err := os.Lchown(dir, o.UID, o.GID); err != nil {
			return "", 0, fmt.Errorf("handing %s to uid %d: %w", dir, o.UID, err)
		}
	}
	tli := f.Control.Timeline()
	n := 0
	for s := uint64(plan.Fork) / uint64(seg); s <= uint64(f.Tail.Last)/uint64(seg); s++ {
		name := pg.WALFileName(tli, pg.LSN(s*uint64(seg)), seg)
		if err := copyNoFollow(filepath.Join(a.Cfg.PgData, "pg_wal", name), filepath.Join(dir, name), a.owner()); err != nil {
			return "", n, err
		}
		n++
	}
	return dir, n, atomicfile.SyncDir(dir)
}

// copyNoFollow copies a regular file, refusing symbolic links at either
// end, and syncs the copy.
func copyNoFollow(from, to string, owner *atomicfile.Owner) error {
	in, err := os.OpenFile(from, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", from, err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("creating %s: %w", to, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return fmt.Errorf("copying %s: %w", from, err)
	}
	if err := out.Sync(); err != nil {
		_ = out.Close()
		return fmt.Errorf("syncing %s: %w", to, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", to, err)
	}
	if owner != nil {
		if err := os.Lchown(to, owner.UID, owner.GID); err != nil {
			return fmt.Errorf("handing %s to uid %d: %w", to, owner.UID, err)
		}
	}
	return nil
}

// configFiles are the files in the data directory that pg_rewind replaces
// with the primary's although they are this node's own: its listen
// address, its ALTER SYSTEM settings, its client authentication.
var configFiles = []string{"postgresql.conf", "postgresql.auto.conf", "pg_hba.conf", "pg_ident.conf"}

// keptFile is one configuration file as it was before pg_rewind.
type keptFile struct {
	Path string
	Data []byte
	Mode os.FileMode
}

// keepConfigFiles reads this node's configuration files and keeps a copy
// in tmpdir/rejoin-<stamp>.conf, so they survive pg_rewind even if the
// agent dies before restoring them.
func (a *Agent) keepConfigFiles(stamp string) ([]keptFile, error) {
	var kept []keptFile
	for _, name := range configFiles {
		path := filepath.Join(a.Cfg.PgData, name)
		st, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !st.Mode().IsRegular() {
			// A link (Debian keeps postgresql.conf in /etc) is not
			// replaced by pg_rewind's copy of the file it points to.
			continue
		}
		if st.Size() > 16<<20 {
			return nil, fmt.Errorf("%s is larger than 16 MiB", path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		kept = append(kept, keptFile{Path: path, Data: data, Mode: st.Mode().Perm()})
	}
	dir := filepath.Join(a.Cfg.TmpDir, "rejoin-"+stamp+".conf")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	for _, k := range kept {
		if _, err := atomicfile.WriteFileAtomic(filepath.Join(dir, filepath.Base(k.Path)), k.Data, 0o600, a.owner()); err != nil {
			return nil, err
		}
	}
	if o := a.owner(); o != nil {
		if err := os.Lchown(dir, o.UID, o.GID); err != nil {
			return nil, fmt.Errorf("handing %s to uid %d: %w", dir, o.UID, err)
		}
	}
	return kept, nil
}

func restoreConfigFiles(kept []keptFile, owner *atomicfile.Owner) error {
	for _, k := range kept {
		if _, err := atomicfile.WriteFileAtomic(k.Path, k.Data, k.Mode, owner); err != nil {
			return err
		}
	}
	return nil
}

// loadKeptConfig reads back the configuration files kept by the attempt
// of stamp.
func (a *Agent) loadKeptConfig(stamp string) ([]keptFile, error) {
	dir := filepath.Join(a.Cfg.TmpDir, "rejoin-"+stamp+".conf")
	var kept []keptFile
	for _, name := range configFiles {
		data, err := readRegular(filepath.Join(dir, name), 16<<20)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		kept = append(kept, keptFile{Path: filepath.Join(a.Cfg.PgData, name), Data: data, Mode: 0o600})
	}
	return kept, nil
}

// readRegular reads at most limit bytes of a file without following a
// symbolic link (and without blocking on a FIFO).
func readRegular(path string, limit int64) ([]byte, error) {
	fh, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return io.ReadAll(io.LimitReader(fh, limit))
}
