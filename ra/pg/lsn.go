// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LSN is a WAL position (pg_lsn).
type LSN uint64

// String is PostgreSQL's "X/Y" text form.
func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xffffffff) }

// Location is a WAL position with the timeline it was reached on.
type Location struct {
	TLI uint32
	LSN LSN
}

// ParseLSN reads PostgreSQL's "X/Y" text form: two groups of one to eight
// hexadecimal digits. Anything longer is refused rather than read modulo
// 2^32: the LSN decides which WAL files the tools keep.
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || hi == "" || lo == "" || len(hi) > 8 || len(lo) > 8 {
		return 0, fmt.Errorf("WAL location %q: expected X/Y in hexadecimal", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("WAL location %q: expected X/Y in hexadecimal", s)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("WAL location %q: expected X/Y in hexadecimal", s)
	}
	return LSN(h<<32 | l), nil
}

// segsPerID is how many segments of segSize bytes one 4 GiB "log id"
// (the middle eight digits of a WAL file name) holds.
func segsPerID(segSize int64) uint64 { return (1 << 32) / uint64(segSize) }

// SegNo is the number of the WAL segment holding byte l (PostgreSQL's
// XLByteToSeg).
func (l LSN) SegNo(segSize int64) uint64 { return uint64(l) / uint64(segSize) }

// WALFileName is the name of the WAL segment file holding byte lsn on
// timeline tli (PostgreSQL's XLByteToSeg + XLogFileName).
func WALFileName(tli uint32, lsn LSN, segSize int64) string {
	segno := lsn.SegNo(segSize)
	return fmt.Sprintf("%08X%08X%08X", tli, segno/segsPerID(segSize), segno%segsPerID(segSize))
}

// WALFileSegNo is the segment number of a WAL segment file name (the
// timeline is ignored): WALFileName's inverse. name must be a segment
// name (ParseWALFileName); the first byte of the segment is
// LSN(WALFileSegNo(name, segSize) * segSize).
func WALFileSegNo(name string, segSize int64) uint64 {
	if len(name) != 24 {
		return 0
	}
	hi, _ := strconv.ParseUint(name[8:16], 16, 32)
	lo, _ := strconv.ParseUint(name[16:24], 16, 32)
	return hi*segsPerID(segSize) + lo
}

// FormatXlogLoc renders an LSN the way the shell agent publishes it: both
// halves zero-padded to 8 upper-case hex digits, concatenated
// (pgsql-xlog-loc, pgsql-master-baseline). Fixed width makes string order
// numeric order.
func FormatXlogLoc(lsn LSN) string {
	return fmt.Sprintf("%08X%08X", uint64(lsn)>>32, uint64(lsn)&0xffffffff)
}

// ParseXlogLoc reads FormatXlogLoc's form back, and also the PG-REX 9.1
// baseline form "<tli>:<16 hex digits>" (the timeline is returned, 0 when
// absent).
func ParseXlogLoc(s string) (Location, error) {
	s = strings.TrimSpace(s)
	var loc Location
	if t, rest, ok := strings.Cut(s, ":"); ok {
		tli, err := strconv.ParseUint(t, 10, 32)
		if err != nil {
			return loc, fmt.Errorf("location %q: bad timeline: %w", s, err)
		}
		loc.TLI = uint32(tli)
		s = rest
	}
	if len(s) != 16 {
		return loc, fmt.Errorf("location %q: expected 16 hex digits", s)
	}
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return loc, fmt.Errorf("location %q: %w", s, err)
	}
	loc.LSN = LSN(v)
	return loc, nil
}

// Newer reports whether a is ahead of b: a later timeline always wins,
// then the larger LSN. A standby left on an older timeline may have a
// larger LSN on a branch the cluster abandoned; it must never win.
func (a Location) Newer(b Location) bool {
	if a.TLI != b.TLI {
		return a.TLI > b.TLI
	}
	return a.LSN > b.LSN
}

// ParseWALFileName reads the timeline of a WAL segment file name
// (TTTTTTTTXXXXXXXXYYYYYYYY, 24 upper-case hex digits). Anything else —
// history files, .partial and .backup files, temporary files — is not a
// segment: ok is false.
func ParseWALFileName(name string) (tli uint32, ok bool) {
	if len(name) != 24 {
		return 0, false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < '0' || c > '9') && (c < 'A' || c > 'F') {
			return 0, false
		}
	}
	t, err := strconv.ParseUint(name[:8], 16, 32)
	if err != nil || t == 0 {
		return 0, false
	}
	return uint32(t), true
}

// NewestWALTimeline is the highest timeline of the WAL segment files in
// the data directory's pg_wal (pg_xlog before PostgreSQL 10), 0 when it
// holds none. A node has a timeline's WAL only by having replayed,
// received or restored it on that timeline: unlike a history file, which a
// standby also fetches for a timeline it cannot follow, a segment file of
// timeline N means the node really is on N.
func NewestWALTimeline(pgdata string, version int) (uint32, error) {
	dir := filepath.Join(pgdata, "pg_wal")
	if version != 0 && version < 1000 {
		dir = filepath.Join(pgdata, "pg_xlog")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("listing the WAL files in %s: %w", dir, err)
	}
	var newest uint32
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		if tli, ok := ParseWALFileName(e.Name()); ok && tli > newest {
			newest = tli
		}
	}
	return newest, nil
}
