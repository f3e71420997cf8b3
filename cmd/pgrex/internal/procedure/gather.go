// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/pg"
)

// Gatherer collects the facts a procedure decides on: this node's from
// its files and commands, the peer's over ssh, the cluster's from crm_mon.
type Gatherer struct {
	Exec Executor
	// Status says how to read crm_mon reports.
	Status status.Options
	// CrmMon is the crm_mon command (nil = CrmMonArgv(attrd.Pacemaker2)).
	CrmMon []string
	// PGLiveness tells whether PostgreSQL runs in a data directory (nil =
	// pg.CheckLiveness).
	PGLiveness func(pgdata string) (pg.Liveness, error)
}

// rewindMarker is what pg-rex_standby_start writes into postgresql.conf
// while it rewinds; left behind, the rewind did not finish.
const rewindMarker = "# added by pg-rex_standby_start"

func (g *Gatherer) crmMon() []string {
	if g.CrmMon != nil {
		return g.CrmMon
	}
	return CrmMonArgv(attrd.Pacemaker2)
}

func (g *Gatherer) liveness(pgdata string) (pg.Liveness, error) {
	if g.PGLiveness != nil {
		return g.PGLiveness(pgdata)
	}
	return pg.CheckLiveness(pgdata)
}

// PGRunning reports whether PostgreSQL runs in s.PGData (for WaitStopped).
func (g *Gatherer) PGRunning(s Settings) func() (bool, error) {
	return func() (bool, error) {
		l, err := g.liveness(s.PGData)
		return l.Running, err
	}
}

// Local gathers this node's facts. An error means a probe itself failed
// (pgrep missing…): the procedure cannot be decided.
func (g *Gatherer) Local(ctx context.Context, s Settings, withWAL bool) (LocalFacts, error) {
	var l LocalFacts
	var err error
	if l.PacemakerRunning, err = PacemakerRunning(ctx, g.Exec, "", s.CommandTimeout); err != nil {
		return l, err
	}
	live, err := g.liveness(s.PGData)
	if err != nil {
		return l, fmt.Errorf("checking whether PostgreSQL runs in %s: %w", s.PGData, err)
	}
	l.PostgresRunning = live.Running
	exists := func(name string) bool {
		_, err := os.Lstat(filepath.Join(s.PGData, name))
		return err == nil
	}
	l.PGRole = lockfile.RoleFromDataDir(live.Running, exists)

	if st, err := os.Lstat(s.PGData); err == nil && st.IsDir() {
		l.PGDataDir = true
		entries, err := os.ReadDir(s.PGData)
		if err != nil {
			return l, fmt.Errorf("reading %s: %w", s.PGData, err)
		}
		l.PGDataEmpty = len(entries) == 0
		l.PGDataMount = isMountPoint(s.PGData, st)
	}
	if b, err := os.ReadFile(filepath.Join(s.PGData, "PG_VERSION")); err == nil {
		l.PGDataExists = true
		l.PGVersion = strings.TrimSpace(string(b))
	}
	walPath := filepath.Join(s.PGData, "pg_wal")
	if st, err := os.Lstat(walPath); err == nil && st.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(walPath)
		if err != nil {
			return l, fmt.Errorf("reading the symbolic link %s: %w", walPath, err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(s.PGData, target)
		}
		l.WALDir = filepath.Clean(target)
		if tst, err := os.Lstat(l.WALDir); err == nil {
			l.WALDirMount = isMountPoint(l.WALDir, tst)
		}
		wd := gatherDeletion(l.WALDir, true)
		l.WALDirDeletion = &wd
	}
	l.PGDataDeletion = gatherDeletion(s.PGData, false)

	l.Lock, err = lockfile.Read(s.LockPath())
	if err != nil {
		l.LockErr = err.Error()
	}
	for _, name := range []string{"standby.signal", "recovery.signal"} {
		if exists(name) {
			l.Signals = append(l.Signals, name)
		}
	}
	if b, err := os.ReadFile(filepath.Join(s.PGData, "postgresql.conf")); err == nil {
		l.RewindMarker = bytes.Contains(b, []byte(rewindMarker))
	}
	marker := filepath.Join(s.Tmpdir, lockfile.RejoinMarker)
	if st, err := os.Lstat(marker); err == nil {
		l.AgentRejoin, l.AgentRejoinRegular = marker, st.Mode().IsRegular()
	}
	if st, err := os.Lstat(filepath.Join(s.PGData, "backup_label")); err == nil {
		l.BackupLabel = st.ModTime()
	}

	if l.PGDataExists {
		res, err := g.Exec.Run(ctx, Command{Argv: []string{s.Bin("pg_controldata"), s.PGData}, Timeout: s.CommandTimeout})
		if err == nil {
			l.Control, err = pg.ParseControlData(res.Stdout)
		}
		if err == nil {
			l.WALBytes, _ = pg.WALBytes(s.PGData, l.Control.SegSize)
		}
		if err != nil {
			l.ControlErr = firstLine(err.Error())
		}
	}
	if l.PGDataExists {
		if ents, err := os.ReadDir(walPath); err == nil {
			for _, e := range ents {
				hex, ok := strings.CutSuffix(e.Name(), ".history")
				if !ok || len(hex) != 8 {
					continue
				}
				if n, err := strconv.ParseUint(hex, 16, 32); err == nil && uint32(n) > l.HistoryTLI {
					l.HistoryTLI = uint32(n)
				}
			}
		}
	}
	if withWAL && l.Control != nil && l.Control.MinRecoveryTLI <= l.Control.TLI {
		var history []pg.HistoryEntry
		newest, _ := pg.NewestWALTimeline(s.PGData, 0)
		if newest > l.Control.TLI {
			hf := filepath.Join(walPath, fmt.Sprintf("%08X.history", newest))
			if st, err := os.Lstat(hf); err == nil && st.Mode().IsRegular() && st.Size() < 1<<20 {
				if b, err := os.ReadFile(hf); err == nil {
					history, _ = pg.ParseHistory(b)
				}
			}
		}
		tli, start := walDumpFrom(l.Control, newest, history)
		res, err := g.Exec.Run(ctx, Command{Argv: []string{s.Bin("pg_waldump"), "--quiet", "--path=" + walPath,
			fmt.Sprintf("--timeline=%d", tli), "--start=" + start.String()},
			Timeout: s.CommandTimeout})
		if err != nil || len(res.Stderr) > 0 {
			l.WALEnd = ParseWALEnd(res.Stderr, l.Control.SegSize)
		}
	}
	if withWAL && s.ArchiveDir != "" {
		l.Archive, err = listDir(s.ArchiveDir)
		if err != nil {
			l.ArchiveErr = err.Error()
		}
	}
	return l, nil
}

// isMountPoint: a directory on another device than its parent.
func isMountPoint(path string, st os.FileInfo) bool {
	pst, err := os.Lstat(filepath.Dir(path))
	if err != nil {
		return false
	}
	a, ok1 := st.Sys().(*syscall.Stat_t)
	b, ok2 := pst.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && a.Dev != b.Dev
}

// listDir lists the regular files of a directory.
func listDir(dir string) (Listing, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	out := Listing{}
	for _, e := range entries {
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", dir, err)
		}
		if info.Mode().IsRegular() {
			out[e.Name()] = info.Size()
		}
	}
	return out, nil
}

// PeerOptions says which of the peer's facts to gather.
type PeerOptions struct {
	// Primary: the primary's PostgreSQL facts, history and listings
	// (standby-start).
	Primary bool
	// Archive: list the peer's archive directory too.
	Archive bool
}

// Peer gathers the peer's facts over ssh. Nothing here fails: what cannot
// be learnt is recorded in the facts' error fields.
func (g *Gatherer) Peer(ctx context.Context, s Settings, o PeerOptions) PeerFacts {
	p := PeerFacts{Host: s.PeerHost}
	if s.PeerHost == "" {
		p.Err = "the peer's address is unknown: set D_LAN_IPAddress or give --peer"
		return p
	}
	running, err := PacemakerRunning(ctx, g.Exec, s.PeerHost, s.CommandTimeout)
	if err != nil {
		p.Err = firstLine(err.Error())
		return p
	}
	p.PacemakerRunning = running
	run := func(argv ...string) ([]byte, error) {
		res, err := g.Exec.Run(ctx, Command{Host: s.PeerHost, Argv: argv, Timeout: s.CommandTimeout})
		if err != nil {
			return res.Stdout, err
		}
		return res.Stdout, nil
	}
	if running {
		out, err := run(g.crmMon()...)
		if err == nil || bytes.HasPrefix(bytes.TrimSpace(out), []byte("<")) {
			p.Cluster, err = status.Parse(out, g.Status)
		}
		if err != nil {
			p.ClusterErr = firstLine(err.Error())
		}
	}
	p.PGState = PeerPGUnknown
	res, err := g.Exec.Run(ctx, Command{Host: s.PeerHost, User: s.PGUser, Argv: []string{s.Bin("pg_ctl"), "-D", s.PGData, "status"},
		Timeout: s.CommandTimeout})
	switch exitCode(res, err) {
	case 0:
		p.PGState = PeerPGRunning
	case 3: // pg_ctl: "no server running"
		p.PGState = PeerPGStopped
	}
	if out, err := run(s.Bin("pg_controldata"), s.PGData); err == nil {
		p.Control, err = pg.ParseControlData(out)
		if err != nil {
			p.ControlErr = firstLine(err.Error())
		}
	} else {
		p.ControlErr = firstLine(err.Error())
	}
	if !o.Primary {
		return p
	}
	res, err = g.Exec.Run(ctx, Command{Host: s.PeerHost, User: s.PGUser, Argv: psqlArgv(s, PrimaryQuery),
		Timeout: s.CommandTimeout})
	if err == nil {
		var pf PrimaryFacts
		if pf, err = ParsePrimaryFacts(res.Stdout); err == nil {
			p.Primary = &pf
		}
	}
	if err != nil {
		p.PrimaryErr = firstLine(err.Error())
	}
	if p.Primary != nil && p.Primary.TLI > 1 {
		name := fmt.Sprintf("%08X.history", p.Primary.TLI)
		out, err := run("cat", filepath.Join(s.PGData, "pg_wal", name))
		if err == nil {
			p.History, err = pg.ParseHistory(out)
		}
		if err != nil {
			p.HistoryErr = firstLine(err.Error())
		}
	}
	walDir := filepath.Join(s.PGData, "pg_wal")
	dirs := []string{walDir}
	if o.Archive && s.ArchiveDir != "" {
		dirs = append([]string{s.ArchiveDir}, dirs...)
	}
	argv := append([]string{"find", "-H"}, dirs...)
	argv = append(argv, "-maxdepth", "1", "-type", "f", "-printf", `%h\t%s\t%f\n`)
	out, err := run(argv...)
	if err == nil {
		var ls map[string]Listing
		if ls, err = ParseFind(out); err == nil {
			p.PGWal = orEmpty(ls[walDir])
			if o.Archive && s.ArchiveDir != "" {
				p.Archive = orEmpty(ls[s.ArchiveDir])
			}
		}
	}
	if err != nil {
		p.ListErr = firstLine(err.Error())
	}
	return p
}

func orEmpty(l Listing) Listing {
	if l == nil {
		return Listing{}
	}
	return l
}

// DataStatusViews reads pgsql-data-status of node and peer from this
// node's CIB file and from the peer's CIB (live when Pacemaker runs
// there, else its file), in that order.
func (g *Gatherer) DataStatusViews(ctx context.Context, s Settings, p PeerFacts) (mine, peers []Observation, notInCIB []string) {
	attr := attrd.Names{Resource: s.Resource}.DataStatus()
	add := func(src string, attrs map[string]map[string]string) {
		if _, known := attrs[s.Node]; !known && len(attrs) > 0 {
			notInCIB = append(notInCIB, src)
		}
		v, ok := attrs[s.Node][attr]
		mine = append(mine, Observation{Source: src, Value: v, Found: ok})
		if s.Peer != "" {
			v, ok := attrs[s.Peer][attr]
			peers = append(peers, Observation{Source: src, Value: v, Found: ok})
		}
	}
	if b, err := os.ReadFile(s.CIBFile); err == nil {
		if attrs, err := ForeverAttrs(b); err == nil {
			add("on-disk CIB of "+s.Node, attrs)
		}
	}
	if p.Err != "" {
		return mine, peers, notInCIB
	}
	argv, src := []string{"cibadmin", "--query", "--scope", "nodes"}, "live CIB of "+orHost(s.Peer, s.PeerHost)
	if !p.PacemakerRunning {
		argv, src = []string{"cat", s.CIBFile}, "on-disk CIB of "+orHost(s.Peer, s.PeerHost)
	}
	res, err := g.Exec.Run(ctx, Command{Host: s.PeerHost, Argv: argv, Timeout: s.CommandTimeout})
	if err == nil {
		if attrs, err := ForeverAttrs(res.Stdout); err == nil {
			add(src, attrs)
		}
	}
	return mine, peers, notInCIB
}

// PeerNodeName finds the peer's cluster name: the other node of a crm_mon
// report, else the other node of this node's CIB file.
func PeerNodeName(s Settings, p PeerFacts) string {
	if p.Cluster != nil {
		for _, n := range p.Cluster.Nodes {
			if n.Name != s.Node {
				return n.Name
			}
		}
	}
	if b, err := os.ReadFile(s.CIBFile); err == nil {
		if attrs, err := ForeverAttrs(b); err == nil {
			var names []string
			for n := range attrs {
				if n != s.Node {
					names = append(names, n)
				}
			}
			sort.Strings(names)
			if len(names) == 1 {
				return names[0]
			}
		}
	}
	return ""
}

// Cluster gathers this node's own view (switchover, stop).
func (g *Gatherer) Cluster(ctx context.Context, s Settings, peer bool) (ClusterFacts, error) {
	var c ClusterFacts
	var err error
	if c.PacemakerRunning, err = PacemakerRunning(ctx, g.Exec, "", s.CommandTimeout); err != nil {
		return c, err
	}
	live, err := g.liveness(s.PGData)
	if err != nil {
		return c, fmt.Errorf("checking whether PostgreSQL runs in %s: %w", s.PGData, err)
	}
	c.PostgresRunning = live.Running
	c.PGPrimary = lockfile.RoleFromDataDir(live.Running, func(name string) bool {
		_, err := os.Lstat(filepath.Join(s.PGData, name))
		return err == nil
	}) == lockfile.PGPrimary
	if c.PacemakerRunning {
		res, err := g.Exec.Run(ctx, Command{Argv: g.crmMon(), Timeout: s.CommandTimeout})
		if err == nil || bytes.HasPrefix(bytes.TrimSpace(res.Stdout), []byte("<")) {
			c.Cluster, err = status.Parse(res.Stdout, g.Status)
		}
		if err != nil {
			c.ClusterErr = firstLine(err.Error())
		}
	}
	if peer && s.PeerHost != "" {
		c.PeerPacemakerRunning, err = PacemakerRunning(ctx, g.Exec, s.PeerHost, s.CommandTimeout)
		if err != nil {
			c.PeerErr = firstLine(err.Error())
		}
	}
	return c, nil
}

// Stamp is the time stamp in the names of what a procedure moves aside.
func Stamp(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// GatherPrimaryStart gathers what DecidePrimaryStart needs; it fills in
// s.Peer when it was unknown.
func (g *Gatherer) GatherPrimaryStart(ctx context.Context, s *Settings) (LocalFacts, PeerFacts, error) {
	peer := g.Peer(ctx, *s, PeerOptions{})
	if s.Peer == "" {
		s.Peer = PeerNodeName(*s, peer)
	}
	l, err := g.Local(ctx, *s, false)
	if err != nil {
		return l, peer, err
	}
	l.DataStatus, l.PeerDataStatus, l.NotInCIB = g.DataStatusViews(ctx, *s, peer)
	return l, peer, nil
}

// GatherStandbyStart gathers what DecideStandbyStart needs (the archive
// only when it is not shared); it fills in s.Peer when it was unknown.
func (g *Gatherer) GatherStandbyStart(ctx context.Context, s *Settings, sharedArchive bool) (LocalFacts, PeerFacts, error) {
	peer := g.Peer(ctx, *s, PeerOptions{Primary: true, Archive: !sharedArchive})
	if s.Peer == "" {
		s.Peer = PeerNodeName(*s, peer)
	}
	local := *s
	if sharedArchive {
		local.ArchiveDir = ""
	}
	l, err := g.Local(ctx, local, true)
	return l, peer, err
}

// walDumpFrom is where pg_waldump looks for the end of the local WAL: from
// the last checkpoint on its timeline — or, when the node has WAL segments
// of a newer timeline than its control file names (a standby that followed
// a promotion before its first restart point there), from where that
// newest timeline begins according to its history file. pg_waldump reads
// one timeline and stops at the first segment missing there, so reading
// the old timeline would end at the switch and understate how far this
// node's WAL goes. Pure.
func walDumpFrom(c *pg.ControlData, newest uint32, history []pg.HistoryEntry) (uint32, pg.LSN) {
	if newest <= c.TLI || len(history) == 0 {
		return c.TLI, c.CheckpointLSN
	}
	if _, ok := pg.ForkPoint(history, c.TLI); !ok {
		return c.TLI, c.CheckpointLSN // not this node's past: read what it surely has
	}
	return newest, max(history[len(history)-1].SwitchLSN, c.CheckpointLSN)
}
