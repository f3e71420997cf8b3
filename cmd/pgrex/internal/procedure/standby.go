// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/archive"
	"github.com/pgrex/pgrex/ra/pg"
)

// Method is how a node rejoins as standby.
type Method string

// The three methods of pg-rex_standby_start, in its order of preference.
const (
	MethodReuse      Method = "reuse"      // -n: start with the data as it is
	MethodRewind     Method = "rewind"     // -r: pg_rewind from the primary, then start
	MethodBaseBackup Method = "basebackup" // -b: a fresh base backup from the primary
)

// AllMethods in order of preference.
var AllMethods = []Method{MethodReuse, MethodRewind, MethodBaseBackup}

// StandbyOptions are the operator's choices for standby-start.
type StandbyOptions struct {
	// Methods the operator accepts; empty = all. The first available in
	// the order reuse, rewind, base backup is used.
	Methods []Method
	// SharedArchive: both nodes use one archive directory (PG-REX -s):
	// no archive checks, no archive sync.
	SharedArchive bool
	// RemoveOldData: a base backup deletes the old data directory instead
	// of moving it aside.
	RemoveOldData bool
	// Switchover: this node was just switched over from primary by pgrex
	// (its PGSQL.lock is removed when reuse is proven safe).
	Switchover bool
	// Stamp names what is moved aside ("20261122T050102Z").
	Stamp string
}

// MethodCheck says whether a method is available and, if not, why.
type MethodCheck struct {
	Method    Method    `json:"method"`
	Available bool      `json:"available"`
	Reasons   []Refusal `json:"reasons,omitempty"`
}

// StandbyDecision is DecideStandbyStart's answer.
type StandbyDecision struct {
	Decision
	Methods []MethodCheck `json:"methods"`
	// Chosen is the method planned ("" when refused).
	Chosen Method `json:"chosen,omitempty"`
}

// minVersionNum is the oldest PostgreSQL standby-start supports
// (pg_waldump --quiet, pg_rewind's own crash recovery of the target).
const minVersionNum = 130000

// DecideStandbyStart applies pg-rex_standby_start's checks
// (docs/operations.md, standby-start) and its decision table, and plans
// the start.
//
// Refused outright: Pacemaker or PostgreSQL running here, the peer
// unreachable, no primary running on the peer (exit "no primary"), the
// primary's facts unreadable, no archive directory configured, this
// node's archive holding WAL of a future the primary does not have.
//
// Per method (pgrex's reading of pg-rex_standby_start's checks; the table
// is in docs/operations.md, `pgrex standby-start`):
//
//   - common to reuse and rewind: the data directory exists, its control
//     file reads, same major version and system identifier as the
//     primary, a timeline not above the primary's and on the primary's
//     history, no PG-REX rewind marker;
//   - reuse: no PGSQL.lock (a node that was primary is rebuilt, manual
//     4.3 (4)) unless this node was just switched over by pgrex; the end
//     of the local WAL is known and every local record starts before the
//     primary's current position (same timeline) or before the point where
//     the primary's history left this node's timeline (an older timeline):
//     the local WAL is a prefix of the primary's; and the WAL this node
//     needs next is still in the primary's archive or pg_wal;
//   - rewind: the node is on an older timeline (otherwise there is nothing
//     to rewind), full_page_writes on the primary, wal_log_hints or data
//     checksums here, the local checkpoint before the fork point, and the
//     WAL from that checkpoint still on the primary;
//   - base backup: the archive directory is empty when there is no data
//     directory or its system identifier differs (its files would mix
//     with another database's), and the data directory (and a symbolic
//     linked pg_wal) can be moved aside — or the operator asked to
//     delete them, and ProveDataDir / ProveWALDir prove they are this
//     cluster's data directory and WAL.
//
// The plan, by method: reuse = [remove the lock (switchover only)];
// rewind = pg_rewind, remove the lock; base backup = move the data
// directory aside (or delete it when asked), create it, pg_basebackup,
// remove the lock; then for all: fetch the archive files the primary has
// and this node lacks (primary → standby only), remove standby.signal and
// recovery.signal, start Pacemaker, wait for HS:sync / STREAMING|SYNC.
func DecideStandbyStart(s Settings, l LocalFacts, p PeerFacts, o StandbyOptions) StandbyDecision {
	d := StandbyDecision{Decision: Decision{Plan: Plan{Procedure: "standby-start"}}}
	if l.PacemakerRunning {
		d.refuse("pacemaker-running-here", s.Node)
	}
	if l.PostgresRunning {
		d.refuse("postgres-running-here", s.PGData)
	}
	if l.LockErr != "" {
		d.refuse("lock-unreadable", l.LockErr)
	}
	peer := orHost(s.Peer, p.Host)
	switch {
	case p.Err != "":
		d.refuse("peer-unreachable", peer, p.Err)
	case !p.PacemakerRunning:
		d.refuse("no-primary", peer)
		d.NoPrimary = true
	case p.Cluster == nil:
		d.refuse("peer-status-unknown", peer, p.ClusterErr)
	case !primaryRunning(p, s.Peer):
		d.refuse("no-primary", peer)
		d.NoPrimary = true
	case p.Primary == nil:
		d.refuse("primary-facts", peer, p.PrimaryErr)
	case p.Primary.InRecovery:
		d.refuse("no-primary", peer)
		d.NoPrimary = true
	case p.Primary.VersionNum < minVersionNum:
		d.refuse("version-unsupported", fmt.Sprint(p.Primary.VersionNum))
	}
	if !o.SharedArchive {
		switch {
		case s.ArchiveDir == "":
			d.refuse("no-archive-dir")
		case l.ArchiveErr != "":
			d.refuse("archive-unreadable", s.ArchiveDir, l.ArchiveErr)
		case p.ListErr != "" && p.Err == "":
			d.refuse("peer-archive-unreadable", peer, p.ListErr)
		}
	}
	if d.Refused() {
		return d
	}
	pf := *p.Primary
	if !o.SharedArchive {
		if fut := futureArchive(l.Archive, pf); len(fut) > 0 {
			d.refuse("future-archive", s.ArchiveDir, strings.Join(fut, " "))
			return d
		}
	}

	allowed := o.Methods
	if len(allowed) == 0 {
		allowed = AllMethods
	}
	checks := map[Method]*MethodCheck{}
	for _, m := range AllMethods {
		c := &MethodCheck{Method: m}
		switch m {
		case MethodReuse:
			c.Reasons = reuseReasons(s, l, p, o)
		case MethodRewind:
			c.Reasons = rewindReasons(s, l, p)
		case MethodBaseBackup:
			c.Reasons = baseBackupReasons(s, l, pf, o)
		}
		c.Available = len(c.Reasons) == 0
		checks[m] = c
		d.Methods = append(d.Methods, *c)
	}
	for _, m := range AllMethods {
		if containsMethod(allowed, m) && checks[m].Available {
			d.Chosen = m
			break
		}
	}
	if d.Chosen == "" {
		var names []string
		for _, m := range allowed {
			names = append(names, string(m))
		}
		d.refuse("no-method", strings.Join(names, ", "))
		return d
	}
	planStandby(&d, s, l, p, o)
	return d
}

func containsMethod(ms []Method, m Method) bool {
	for _, x := range ms {
		if x == m {
			return true
		}
	}
	return false
}

// primaryRunning is the tools' primary_running(peer): pgsql Promoted on
// the peer, PRI and LATEST.
func primaryRunning(p PeerFacts, peer string) bool {
	for _, n := range p.Cluster.Nodes {
		if peer != "" && n.Name != peer {
			continue
		}
		if n.Role == attrd.RolePromoted && n.PgsqlStatus == attrd.StatusPrimary && n.DataStatus == attrd.DataLatest {
			return true
		}
	}
	return false
}

// futureArchive lists local archive files the primary's history cannot
// have produced: a timeline above the primary's, or a segment of the
// primary's timeline beyond its current position. With
// recovery_target_timeline=latest a standby would follow them.
func futureArchive(local Listing, pf PrimaryFacts) []string {
	var out []string
	cur := pf.CurrentLSN.SegNo(pf.SegSize)
	for name := range local {
		kind, tli, base := archive.Classify(name)
		if kind == archive.Other || tli == 0 {
			continue
		}
		switch {
		case tli > pf.TLI:
			out = append(out, name)
		case tli == pf.TLI && base != "" && pg.WALFileSegNo(base, pf.SegSize) > cur:
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// commonReasons are the checks reuse and rewind share.
func commonReasons(s Settings, l LocalFacts, pf PrimaryFacts, p PeerFacts) []Refusal {
	var r []Refusal
	add := func(code string, args ...string) { r = append(r, Refusal{Code: code, Args: args}) }
	if !l.PGDataExists {
		add("no-data", s.PGData)
		return r
	}
	if l.Control == nil {
		add("control-unreadable", s.PGData, l.ControlErr)
		return r
	}
	if want := fmt.Sprint(pf.VersionNum / 10000); l.PGVersion != want {
		add("version-mismatch", l.PGVersion, want)
	}
	if l.Control.SystemID != pf.SystemID {
		add("system-id", l.Control.SystemID, pf.SystemID)
	}
	switch {
	case l.Control.TLI > pf.TLI:
		add("timeline-ahead", fmt.Sprint(l.Control.TLI), fmt.Sprint(pf.TLI))
	case l.Control.TLI < pf.TLI:
		if p.HistoryErr != "" {
			add("history-unreadable", fmt.Sprint(pf.TLI), p.HistoryErr)
		} else if _, ok := pg.ForkPoint(p.History, l.Control.TLI); !ok {
			add("timeline-not-in-history", fmt.Sprint(l.Control.TLI), fmt.Sprint(pf.TLI))
		}
	}
	if l.RewindMarker {
		add("rewind-incomplete", s.PGData)
	}
	if l.AgentRejoin != "" {
		add("agent-rejoin-incomplete", s.PGData, l.AgentRejoin)
	}
	return r
}

func reuseReasons(s Settings, l LocalFacts, p PeerFacts, o StandbyOptions) []Refusal {
	pf := *p.Primary
	r := commonReasons(s, l, pf, p)
	add := func(code string, args ...string) { r = append(r, Refusal{Code: code, Args: args}) }
	if l.Lock.Exists && !o.Switchover {
		add("lock-present-rebuild", l.Lock.Path)
	}
	if len(r) > 0 && (l.Control == nil || !l.PGDataExists) {
		return r
	}
	if !l.WALEnd.Known {
		add("wal-end-unknown", s.PGData)
		return r
	}
	limit := pf.CurrentLSN
	code := "ahead-of-primary"
	if l.Control.TLI < pf.TLI {
		fork, ok := pg.ForkPoint(p.History, l.Control.TLI)
		if !ok {
			return r // reported by commonReasons
		}
		limit, code = fork, "diverged"
	}
	if !l.WALEnd.Before(limit) {
		add(code, walEndText(l.WALEnd), limit.String())
	}
	need := l.WALEnd.LastRecord
	if l.WALEnd.Bound != 0 {
		need = l.WALEnd.Bound
	}
	if why := walGone(s, p, need, pf.SegSize); why != nil {
		r = append(r, *why)
	}
	return r
}

func rewindReasons(s Settings, l LocalFacts, p PeerFacts) []Refusal {
	pf := *p.Primary
	r := commonReasons(s, l, pf, p)
	if l.Control == nil || !l.PGDataExists {
		return r
	}
	add := func(code string, args ...string) { r = append(r, Refusal{Code: code, Args: args}) }
	if l.Control.TLI >= pf.TLI {
		add("rewind-same-timeline", fmt.Sprint(l.Control.TLI))
	}
	if !pf.FullPageWrites {
		add("full-page-writes-off", orHost(s.Peer, p.Host))
	}
	if !l.Control.WALLogHints && l.Control.DataChecksums == 0 {
		add("no-wal-log-hints")
	}
	if fork, ok := pg.ForkPoint(p.History, l.Control.TLI); ok && l.Control.TLI < pf.TLI {
		if l.Control.RedoLSN >= fork {
			add("checkpoint-after-fork", l.Control.RedoLSN.String(), fork.String())
		}
	}
	if why := walGone(s, p, l.Control.RedoLSN, pf.SegSize); why != nil {
		r = append(r, *why)
	}
	return r
}

func baseBackupReasons(s Settings, l LocalFacts, pf PrimaryFacts, o StandbyOptions) []Refusal {
	var r []Refusal
	add := func(code string, args ...string) { r = append(r, Refusal{Code: code, Args: args}) }
	foreign := !l.PGDataExists || l.Control == nil || l.Control.SystemID != pf.SystemID
	if !o.SharedArchive && foreign && len(l.Archive) > 0 {
		add("archive-not-empty", s.ArchiveDir)
	}
	if l.PGDataMount && !o.RemoveOldData {
		add("pgdata-mountpoint", s.PGData)
	}
	if l.WALDir != "" && l.WALDirMount && !o.RemoveOldData {
		add("pgdata-mountpoint", l.WALDir)
	}
	if s.MasterIP == "" {
		add("no-master-ip")
	}
	if o.RemoveOldData {
		// Deleting needs proof of what is deleted: a wrong PGDATA with
		// --yes must delete nothing (docs/operations.md).
		// Fail closed: facts not gathered (no path) prove nothing.
		if del := l.PGDataDeletion; (l.PGDataDir && !l.PGDataEmpty) || (del.Exists && !l.PGDataDir) {
			r = append(r, ProveDataDir(del, l.Control, l.ControlErr, pf.SystemID)...)
		}
		if l.WALDir != "" {
			if l.WALDirDeletion == nil {
				add("delete-wal-unreadable", l.WALDir, "not inspected")
			} else {
				r = append(r, ProveWALDir(*l.WALDirDeletion)...)
			}
		}
	}
	return r
}

// walGone says whether the WAL from lsn on is no longer anywhere on the
// primary (its archive or pg_wal): the node is too old to catch up (manual
// 4.3 (4), "非常に古い"). nil when it is there or cannot be told — without
// a listing of the primary's archive (a shared archive is not listed) it
// cannot.
func walGone(s Settings, p PeerFacts, lsn pg.LSN, segSize int64) *Refusal {
	if p.Archive == nil {
		return nil
	}
	need := lsn.SegNo(segSize)
	oldest, found := uint64(0), false
	for _, l := range []Listing{p.Archive, p.PGWal} {
		for name := range l {
			kind, _, base := archive.Classify(name)
			if kind != archive.Segment && kind != archive.Compressed && kind != archive.Partial {
				continue
			}
			if base == "" {
				continue
			}
			if n := pg.WALFileSegNo(base, segSize); !found || n < oldest {
				oldest, found = n, true
			}
		}
	}
	if !found || oldest <= need {
		return nil
	}
	return &Refusal{Code: "wal-gone", Args: []string{lsn.String(), orHost(s.Peer, p.Host)}}
}

func walEndText(w WALEnd) string {
	if w.Bound != 0 {
		return w.Bound.String()
	}
	return w.LastRecord.String()
}

func planStandby(d *StandbyDecision, s Settings, l LocalFacts, p PeerFacts, o StandbyOptions) {
	pf := *p.Primary
	removeLock := func(ground string) {
		if l.Lock.Exists {
			d.add(Step{Kind: KindRemoveFile, Code: "remove-lock", Args: []string{l.Lock.Path, ground},
				Path: l.Lock.Path, Destructive: true})
		}
	}
	port := pf.Port
	signalsGone := false
	switch d.Chosen {
	case MethodReuse:
		removeLock("switchover: reuse proven")
	case MethodRewind:
		conninfo := fmt.Sprintf("host=%s port=%s user=%s dbname=%s", s.MasterIP, port, s.RewindUser, orHost(s.PGDB, "template1"))
		if l.Control != nil && !l.Control.CleanlyShutDown() {
			// A crashed standby's signal files go first: single-user mode
			// refuses standby mode, and they are removed below anyway.
			for _, name := range l.Signals {
				path := filepath.Join(s.PGData, name)
				d.add(Step{Kind: KindRemoveFile, Code: "remove-signal", Args: []string{path}, Path: path})
			}
			signalsGone = true
			// pg_rewind's own crash recovery would end in a checkpoint that
			// removes the WAL it then reads (ra/pg/crashrecovery.go).
			d.add(Step{Kind: KindRun, Code: "crash-recovery", Args: []string{s.PGData},
				Cmd: &Command{User: s.PGUser, Timeout: s.RebuildTimeout, Argv: append([]string{s.Bin("postgres")},
					pg.CrashRecoveryArgs(s.PGData, "", pg.VersionNum(l.PGVersion), l.WALBytes, l.Control.SegSize)...)}})
		}
		d.add(Step{Kind: KindRun, Code: "pg-rewind", Args: []string{s.PGData, s.MasterIP}, Destructive: true,
			Cmd: &Command{User: s.PGUser, Timeout: s.RebuildTimeout, Argv: []string{s.Bin("pg_rewind"),
				"--target-pgdata=" + s.PGData, "--source-server=" + conninfo, "--progress"}}})
		removeLock("rebuilt")
	case MethodBaseBackup:
		aside := s.PGData + ".pgrex-old-" + o.Stamp
		if l.PGDataDir && !l.PGDataEmpty {
			if o.RemoveOldData {
				d.add(Step{Kind: KindRemoveTree, Code: "remove-data", Args: []string{s.PGData}, Path: s.PGData, Destructive: true})
			} else {
				d.add(Step{Kind: KindMoveAside, Code: "move-data-aside", Args: []string{s.PGData, aside},
					Path: s.PGData, To: aside, Destructive: true})
			}
		}
		args := []string{s.Bin("pg_basebackup"), "--pgdata=" + s.PGData, "--host=" + s.MasterIP, "--port=" + port,
			"--username=" + s.RepUser, "--no-password", "--wal-method=stream", "--checkpoint=fast", "--progress"}
		if l.WALDir != "" {
			walAside := l.WALDir + ".pgrex-old-" + o.Stamp
			if o.RemoveOldData {
				d.add(Step{Kind: KindRemoveTree, Code: "remove-data", Args: []string{l.WALDir}, Path: l.WALDir, Destructive: true})
			} else {
				d.add(Step{Kind: KindMoveAside, Code: "move-data-aside", Args: []string{l.WALDir, walAside},
					Path: l.WALDir, To: walAside, Destructive: true})
			}
			d.add(Step{Kind: KindMkdir, Code: "mkdir", Args: []string{l.WALDir}, Path: l.WALDir, User: s.PGUser, Mode: 0o700})
			args = append(args, "--waldir="+l.WALDir)
		}
		d.add(Step{Kind: KindMkdir, Code: "mkdir", Args: []string{s.PGData}, Path: s.PGData, User: s.PGUser, Mode: 0o700})
		d.add(Step{Kind: KindRun, Code: "pg-basebackup", Args: []string{s.PGData, s.MasterIP},
			Cmd: &Command{User: s.PGUser, Timeout: s.RebuildTimeout, Argv: args}})
		removeLock("rebuilt")
		// The agent's unfinished rejoin is superseded by the base backup;
		// left behind, it would refuse this node's next automatic rejoin.
		if l.AgentRejoin != "" && l.AgentRejoinRegular {
			d.add(Step{Kind: KindRemoveFile, Code: "remove-rejoin-marker", Args: []string{l.AgentRejoin},
				Path: l.AgentRejoin})
		}
	}
	if !o.SharedArchive {
		planArchiveFetch(&d.Decision, s, l.Archive, p.Archive, pf.SegSize, o.Stamp)
	}
	if d.Chosen != MethodBaseBackup && !signalsGone {
		for _, name := range l.Signals {
			path := filepath.Join(s.PGData, name)
			d.add(Step{Kind: KindRemoveFile, Code: "remove-signal", Args: []string{path}, Path: path})
		}
	}
	d.add(startPacemaker(s))
	d.add(Step{Kind: KindWait, Code: "wait-standby", Args: []string{s.Node, s.WaitTimeout.String()},
		Wait: &WaitSpec{Kind: WaitStandby, Node: s.Node, Timeout: s.WaitTimeout}})
}
