// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"bufio"
	"bytes"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/pgrex/pgrex/ra/cmdrun"
)

// Tool is a command running the PostgreSQL program name that sits next to
// pg_ctl (pg_rewind, pg_waldump, …), as pg_ctl runs: as the data
// directory's owner, in it, with the same environment.
func (c *Ctl) Tool(name string, args []string, timeout time.Duration) cmdrun.Cmd {
	cmd := c.cmd(args, timeout)
	cmd.Path = filepath.Join(filepath.Dir(c.PgCtl), name)
	return cmd
}

// WALTail is what pg_waldump read of a data directory's own WAL from a
// start point to where the valid WAL ends: the records a rejoin would
// rewind away.
type WALTail struct {
	// Records counts the records read; First and Last are the start of the
	// first and of the last one (zero when Records is 0).
	Records     int `json:"records"`
	First, Last LSN
	// Commits and Aborts count transaction records; FirstCommit and
	// LastCommit are the commit times pg_waldump printed.
	Commits     int    `json:"commits"`
	Aborts      int    `json:"aborts"`
	FirstCommit string `json:"first_commit,omitempty"`
	LastCommit  string `json:"last_commit,omitempty"`
	// Complete is true when pg_waldump stopped where the valid WAL ends (an
	// invalid or missing next record), false when it stopped for another
	// reason (a missing segment, an unreadable file): then what lies
	// beyond Last is unknown.
	Complete bool   `json:"complete"`
	Stop     string `json:"stop,omitempty"`
	// Missing is the segment file pg_waldump did not find, when that is
	// why it stopped.
	Missing string `json:"missing,omitempty"`
}

// EndsAt reports whether the WAL read from start is whole: pg_waldump
// stopped where the valid WAL ends, or at a missing segment file right
// after the last one it read — segment files are made one after another,
// so the WAL ended at that boundary. When start is itself a segment
// boundary and no record was read, the missing file may be the one that
// begins at start: the server never made it (a primary that switched to
// that segment and failed to create it, the standby promoted at its
// start), so its WAL ended at start.
func (w WALTail) EndsAt(start LSN, segSize int64) bool {
	if w.Complete {
		return true
	}
	if w.Missing == "" || segSize <= 0 {
		return false
	}
	_, segno, ok := walSegNo(w.Missing, segSize)
	if !ok {
		return false
	}
	if w.Records == 0 && uint64(start)%uint64(segSize) == 0 && segno == uint64(start)/uint64(segSize) {
		return true
	}
	last := start
	if w.Records > 0 {
		last = w.Last
	}
	return segno == uint64(last)/uint64(segSize)+1
}

// walSegNo reads the timeline and segment number of a segment file name.
func walSegNo(name string, segSize int64) (tli uint32, segno uint64, ok bool) {
	t, ok := ParseWALFileName(name)
	if !ok {
		return 0, 0, false
	}
	hi, err1 := strconv.ParseUint(name[8:16], 16, 32)
	lo, err2 := strconv.ParseUint(name[16:24], 16, 32)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return t, hi*((1<<32)/uint64(segSize)) + lo, true
}

// Compiled on first use: only a rejoin reads pg_waldump's output, and the
// agent starts once per monitor.
var (
	walRecordRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\blsn: ([0-9A-Fa-f]+/[0-9A-Fa-f]+), prev [0-9A-Fa-f]+/[0-9A-Fa-f]+, desc: (\S*)(?: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [A-Za-z0-9+:-]+)?))?`)
	})
	// The end of valid WAL: a record that fails validation, or no valid
	// record at all after the start point.
	walEndRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`error in WAL record at [0-9A-Fa-f]+/[0-9A-Fa-f]+|could not find a valid record after [0-9A-Fa-f]+/[0-9A-Fa-f]+`)
	})
	// A segment pg_waldump needed and did not find: the end is unknown.
	walNoFileRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`could not (?:find|open) file "([0-9A-F]{24})"`) })
)

// ParseWALTail reads pg_waldump's output (records on stdout, the reason it
// stopped on stderr).
func ParseWALTail(stdout, stderr []byte) WALTail {
	var w WALTail
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		m := walRecordRE().FindSubmatch(sc.Bytes())
		if m == nil {
			continue
		}
		lsn, err := ParseLSN(string(m[1]))
		if err != nil {
			continue
		}
		if w.Records == 0 {
			w.First = lsn
		}
		w.Records++
		w.Last = lsn
		switch string(m[2]) {
		case "COMMIT", "COMMIT_PREPARED":
			w.Commits++
			if ts := string(m[3]); ts != "" {
				if w.FirstCommit == "" {
					w.FirstCommit = ts
				}
				w.LastCommit = ts
			}
		case "ABORT", "ABORT_PREPARED":
			w.Aborts++
		}
	}
	last := bytes.TrimSpace(stderr)
	if i := bytes.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:]
	}
	w.Stop = string(last)
	missing := walNoFileRE().FindSubmatch(stderr)
	w.Complete = walEndRE().Match(stderr) && missing == nil && sc.Err() == nil
	if missing != nil && sc.Err() == nil {
		w.Missing = string(missing[1])
	}
	return w
}
