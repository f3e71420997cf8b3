// SPDX-License-Identifier: Apache-2.0

// Package lockfile writes and reads PGSQL.lock, PG-REX's start-prohibition
// flag (起動禁止フラグ), and decides whether an operator may remove it.
//
// The agent creates the file in its tmpdir when it promotes PostgreSQL and
// removes it only when the last primary stops with no standby left; a node
// holding it was primary when it last stopped and may have WAL that the
// current primary lacks, so the agent refuses to start PostgreSQL there
// (docs/compatibility.md, "PGSQL.lock"). pgrex's agent writes "key=value" lines (promoted=
// RFC 3339 UTC time, node=, timeline=, location=; see Format); the
// upstream agent writes an empty file. Both are read here.
//
// Decide is a pure function of Facts; the command gathers the facts.
package lockfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/atomicfile"
)

// Name is the lock file's name in the agent's tmpdir.
const Name = "PGSQL.lock"

// RejoinMarker is the agent's other flag in tmpdir: it exists while an
// automatic rejoin (ra/rejoin.go) may be changing the data directory, so a
// data directory it marks is half rebuilt. The operator tools read it.
const RejoinMarker = "rejoin-in-progress"

// DivergedMarker exists while this node's standby has found its WAL off
// the primary's history (ra/diverged.go): it holds why, and makes the
// standby re-check on every monitor, even while its WAL receiver seems to
// stream, until the primary's history takes it back.
const DivergedMarker = "diverged"

// maxSize bounds what Read reads: the agent writes about 100 bytes.
const maxSize = 64 << 10

// Content is what the agent wrote into the file. Zero fields were absent
// (always so for the upstream agent's empty file).
type Content struct {
	Promoted time.Time `json:"promoted,omitzero"`
	Node     string    `json:"node,omitempty"`
	Timeline uint32    `json:"timeline,omitempty"`
	Location string    `json:"location,omitempty"`
	// Synchronous is the synchronous standby this primary waited for when
	// the file was last written ("" = none: commits were acknowledged
	// without a standby); SyncKnown says the file records it at all. A
	// rejoin may discard this node's commits beyond the fork only if they
	// waited for the new primary.
	Synchronous string `json:"synchronous,omitempty"`
	SyncKnown   bool   `json:"sync_known,omitempty"`
	// SyncFrom is the primary's WAL position (Location's form) when it
	// recorded Synchronous: every commit acknowledged before commits
	// waited for that standby lies before it, so the standby holds every
	// acknowledged commit once it has flushed up to here.
	SyncFrom string `json:"sync_from,omitempty"`
	// Unknown holds lines Parse did not understand, verbatim.
	Unknown []string `json:"unknown,omitempty"`
}

// Format is the text pgrex's agent writes into the lock file: Parse reads
// it back, as `pgrex lock status` does.
func Format(c Content) []byte {
	b := fmt.Appendf(nil, "promoted=%s\nnode=%s\ntimeline=%d\nlocation=%s\n",
		c.Promoted.UTC().Format(time.RFC3339), c.Node, c.Timeline, c.Location)
	if c.SyncKnown {
		b = fmt.Appendf(b, "synchronous=%s\n", c.Synchronous)
	}
	if c.SyncFrom != "" {
		b = fmt.Appendf(b, "sync_from=%s\n", c.SyncFrom)
	}
	return b
}

// Write creates the lock file at path with c's content (Format), mode
// 0600, owned by owner (the agent passes pgdba, who owns tmpdir: the
// exporter runs as that user and reads it; root reads it anyway) or by the
// writer when owner is nil.
func Write(path string, c Content, owner *atomicfile.Owner) error {
	if _, err := atomicfile.WriteFileAtomic(path, Format(c), 0o600, owner); err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	return nil
}

// Parse reads the lock file's text. It never fails on content: the file is
// informative, and a line it cannot read is kept in Unknown (a bad value
// for a known key too) rather than hiding that the lock exists.
func Parse(data []byte) Content {
	var c Content
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxSize)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		good := ok
		switch {
		case !ok:
		case k == "promoted":
			t, err := time.Parse(time.RFC3339, v)
			good = err == nil && c.Promoted.IsZero()
			if good {
				c.Promoted = t.UTC()
			}
		case k == "node":
			good = v != "" && c.Node == ""
			if good {
				c.Node = v
			}
		case k == "timeline":
			n, err := strconv.ParseUint(v, 10, 32)
			good = err == nil && n > 0 && c.Timeline == 0
			if good {
				c.Timeline = uint32(n)
			}
		case k == "synchronous":
			good = !c.SyncKnown && !strings.ContainsAny(v, " \t'\"")
			if good {
				c.Synchronous, c.SyncKnown = v, true
			}
		case k == "sync_from":
			good = len(v) == 16 && isHex(v) && c.SyncFrom == ""
			if good {
				c.SyncFrom = v
			}
		case k == "location":
			good = len(v) == 16 && isHex(v) && c.Location == ""
			if good {
				c.Location = v
			}
		default:
			good = false
		}
		if !good {
			c.Unknown = append(c.Unknown, line)
		}
	}
	return c
}

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789ABCDEFabcdef", r) {
			return false
		}
	}
	return true
}

// Info is what Read found.
type Info struct {
	Path    string    `json:"path"`
	Exists  bool      `json:"exists"`
	Size    int64     `json:"size,omitempty"`
	ModTime time.Time `json:"mtime,omitzero"`
	Content Content   `json:"content"`
	// Created is when the lock was made: the promoted= time when the
	// content has one, else the file's modification time (the upstream
	// agent's empty file is written once, at promote).
	Created     time.Time `json:"created,omitzero"`
	CreatedFrom string    `json:"created_from,omitempty"` // "content" or "mtime"
}

// Path returns the lock file's path in tmpdir.
func Path(tmpdir string) string { return filepath.Join(tmpdir, Name) }

// Read inspects the lock file. A missing file is Exists=false with a nil
// error; a symbolic link or anything but a regular file is an error (the
// agent never makes one, and following it would read elsewhere).
func Read(path string) (Info, error) {
	info := Info{Path: path}
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return info, nil
	}
	if err != nil {
		return info, fmt.Errorf("inspecting %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return info, fmt.Errorf("inspecting %s: not a regular file (%s)", path, st.Mode().Type())
	}
	info.Exists = true
	info.Size = st.Size()
	info.ModTime = st.ModTime()
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return info, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSize))
	if err != nil {
		return info, fmt.Errorf("reading %s: %w", path, err)
	}
	info.Content = Parse(data)
	if !info.Content.Promoted.IsZero() {
		info.Created, info.CreatedFrom = info.Content.Promoted, "content"
	} else {
		info.Created, info.CreatedFrom = info.ModTime, "mtime"
	}
	return info, nil
}

// Remove deletes the lock file (never through a symbolic link, never a
// directory) and reports whether it existed.
func Remove(path string) (bool, error) {
	if filepath.Base(path) != Name {
		return false, fmt.Errorf("refusing to remove %s: not a %s file", path, Name)
	}
	removed, err := atomicfile.Remove(path)
	if err != nil {
		return false, fmt.Errorf("removing the lock file: %w", err)
	}
	if removed {
		if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
			return true, err
		}
	}
	return removed, nil
}

// PGRole is what the data directory says about the local PostgreSQL.
type PGRole string

// Roles of the local PostgreSQL.
const (
	PGStopped PGRole = "stopped"
	PGPrimary PGRole = "primary"
	PGStandby PGRole = "standby"
	// PGUnknown: running, role not provable from the data directory.
	PGUnknown PGRole = "unknown"
)

// RoleFromDataDir tells a running server's role from the files in its
// data directory, without connecting: a standby has standby.signal or
// recovery.signal (PostgreSQL 12 and later) or recovery.conf (before 12);
// the server removes or renames them when it is promoted. exists reports
// whether a name exists in the data directory.
func RoleFromDataDir(running bool, exists func(name string) bool) PGRole {
	if !running {
		return PGStopped
	}
	for _, n := range []string{"standby.signal", "recovery.signal", "recovery.conf"} {
		if exists(n) {
			return PGStandby
		}
	}
	return PGPrimary
}

// Facts is what Decide needs to know about this node.
type Facts struct {
	Lock Info
	// PG is the local PostgreSQL's role (from pg.CheckLiveness and
	// RoleFromDataDir).
	PG PGRole
	// DataStatus is this node's <rsc>-data-status forever attribute;
	// DataStatusFound is false when it is unset; DataStatusErr is set when
	// it could not be read at all (then the other two mean nothing).
	DataStatus      string
	DataStatusFound bool
	DataStatusErr   error
	// BackupLabel is the modification time of <pgdata>/backup_label, zero
	// when there is none. pg_basebackup and pg_rewind both leave one, and
	// PostgreSQL renames it when it starts, so one newer than the lock
	// proves the data directory was rebuilt after the promote that made
	// the lock and has not been started since.
	BackupLabel time.Time
}

// Code identifies a reason in a Decision (the CLI maps it to a message).
type Code string

// Reasons to refuse or to allow.
const (
	NoLock         Code = "no-lock"         // nothing to remove
	PrimaryRunning Code = "primary-running" // refuse: PostgreSQL runs here as primary
	RoleUnknown    Code = "role-unknown"    // refuse: runs, role unknown
	DataBehind     Code = "data-behind"     // refuse: data-status says it may lack data
	DataUnset      Code = "data-unset"      // refuse: no data-status recorded
	DataUnreadable Code = "data-unreadable" // refuse: data-status could not be read
	GroundLatest   Code = "data-latest"     // allow: LATEST, this node had the newest data
	GroundSync     Code = "data-sync"       // allow: STREAMING|SYNC, it had every commit
	GroundRebuilt  Code = "rebuilt"         // allow: backup_label newer than the lock
	GroundForced   Code = "forced"          // allow: --force overrode refusals

	// With Pacemaker stopped here, the peer's evidence (procedure.DecideLockClear).
	PeerUnreachable   Code = "peer-unreachable"    // refuse: the peer could not be asked
	PeerPrimary       Code = "peer-primary"        // refuse: the peer runs as primary
	PeerLatest        Code = "peer-latest"         // refuse: the peer's CIB says the peer is LATEST
	PeerSaysBehind    Code = "peer-says-behind"    // refuse: the peer's CIB says this node lacks data
	PeerNewerTimeline Code = "peer-newer-timeline" // refuse: the peer is on a later timeline
	PeerAhead         Code = "peer-ahead"          // refuse: same timeline, the peer reaches further
	PeerUnknown       Code = "peer-unknown"        // refuse: a timeline could not be read
	GroundPeerBehind  Code = "peer-not-ahead"      // allow: the peer was asked and is not ahead
)

// Decision is Decide's answer.
type Decision struct {
	// Remove is true when the lock may go.
	Remove bool
	// Refusals are every check that failed (all of them, so the operator
	// sees the whole picture); with --force they are overridden, not
	// hidden.
	Refusals []Code
	// Grounds are the reasons removal is safe (or GroundForced).
	Grounds []Code
}

// Decide applies pgrex's rule for `pgrex lock clear` (docs/operations.md):
//
//   - no lock: nothing to do;
//   - PostgreSQL running here as primary, or running with a role the data
//     directory cannot prove: refuse — the lock is what stops this node
//     from rejoining as a standby after it fails;
//   - the data is provably complete: the node's data-status is LATEST (it
//     was the last primary and nobody was promoted after it — a promotee
//     marks every other node DISCONNECT) or STREAMING|SYNC (a synchronous
//     standby has every committed transaction), or a backup_label newer
//     than the lock shows the data directory was rebuilt from the current
//     primary since;
//   - otherwise refuse: DISCONNECT, STREAMING|ASYNC and the like mean the
//     node may lack data or have diverged; an unset or unreadable
//     data-status proves nothing either way.
//
// force removes the lock despite refusals (they stay listed).
func Decide(f Facts, force bool) Decision {
	var d Decision
	if !f.Lock.Exists {
		d.Grounds = []Code{NoLock}
		return d
	}
	switch f.PG {
	case PGPrimary:
		d.Refusals = append(d.Refusals, PrimaryRunning)
	case PGUnknown:
		d.Refusals = append(d.Refusals, RoleUnknown)
	}
	rebuilt := !f.BackupLabel.IsZero() && !f.Lock.Created.IsZero() && f.BackupLabel.After(f.Lock.Created)
	var dataGround Code
	switch {
	case f.DataStatusErr != nil:
	case !f.DataStatusFound:
	case f.DataStatus == attrd.DataLatest:
		dataGround = GroundLatest
	case f.DataStatus == attrd.DataSync:
		dataGround = GroundSync
	}
	switch {
	case dataGround != "":
		d.Grounds = append(d.Grounds, dataGround)
	case rebuilt:
	case f.DataStatusErr != nil:
		d.Refusals = append(d.Refusals, DataUnreadable)
	case !f.DataStatusFound:
		d.Refusals = append(d.Refusals, DataUnset)
	default:
		d.Refusals = append(d.Refusals, DataBehind)
	}
	if rebuilt {
		d.Grounds = append(d.Grounds, GroundRebuilt)
	}
	switch {
	case len(d.Refusals) == 0:
		d.Remove = true
	case force:
		d.Remove = true
		d.Grounds = append(d.Grounds, GroundForced)
	}
	return d
}
