// SPDX-License-Identifier: Apache-2.0

// Package archive plans and performs the cleanup of a WAL archive directory
// by the PG-REX manual's algorithm (6.2 アーカイブログの削除): find the oldest
// WAL file still needed — by the oldest base backup kept (its START WAL
// LOCATION) and by every standby (its last checkpoint's REDO location on
// its timeline) — and delete the archive files whose names sort before it.
//
// pgrex is stricter than the manual in what it deletes:
//   - only files whose names PostgreSQL's archiver produces are candidates
//     (WAL segments, .partial segments, backup history files, timeline
//     history files, uncompressed); compressed files, sub-directories,
//     symbolic links and anything unrecognised are never touched;
//   - a timeline history file is deleted only when its timeline is older
//     than the cutoff's and provably not an ancestor of any timeline whose
//     files are kept (the manual keeps only the cutoff timeline's own);
//   - the plan is refused when its inputs look wrong (a cutoff beyond every
//     segment in the archive, a segment size that does not match the files).
//
// Planning is pure (MakePlan); Scan reads the directory and Execute
// deletes exactly the planned files, re-checking each one first.
package archive

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pgrex/pgrex/ra/pg"
)

// Kind classifies an archive directory entry.
type Kind int

// Kinds of archive entries.
const (
	// Other: unrecognised name, directory, symbolic link, device… never touched.
	Other Kind = iota
	// Segment: a WAL segment, 24 hex digits (TTTTTTTTXXXXXXXXYYYYYYYY).
	Segment
	// Partial: <segment>.partial, the last segment of a timeline a
	// standby left when it was promoted.
	Partial
	// BackupHistory: <segment>.<offset 8 hex>.backup, written at the end
	// of a base backup.
	BackupHistory
	// TimelineHistory: <timeline 8 hex>.history.
	TimelineHistory
	// Compressed: any of the above compressed (.gz, .bz2, .xz, .zst,
	// .lz4, …); never touched, as in PG-REX.
	Compressed
)

func (k Kind) String() string {
	switch k {
	case Segment:
		return "segment"
	case Partial:
		return "partial"
	case BackupHistory:
		return "backup-history"
	case TimelineHistory:
		return "timeline-history"
	case Compressed:
		return "compressed"
	}
	return "other"
}

// MarshalText makes kinds readable in JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads MarshalText's form back.
func (k *Kind) UnmarshalText(b []byte) error {
	for _, c := range []Kind{Other, Segment, Partial, BackupHistory, TimelineHistory, Compressed} {
		if c.String() == string(b) {
			*k = c
			return nil
		}
	}
	return fmt.Errorf("unknown archive file kind %q", b)
}

var compressedExt = []string{".gz", ".bz2", ".xz", ".zst", ".zstd", ".lz4", ".lz", ".lzma", ".br", ".z", ".Z", ".zip", ".7z"}

// isUpperHex reports whether s is non-empty and all upper-case hex digits:
// PostgreSQL names WAL files in upper case, so a lower-case name was not
// made by it and is left alone.
func isUpperHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// isWALName reports whether s is a WAL segment file name with a timeline
// other than 0.
func isWALName(s string) bool {
	_, ok := pg.ParseWALFileName(s)
	return ok
}

// Classify reads an archive file name. base is the 24-digit WAL name the
// file belongs to (segments, partials, backup history files), tli its
// timeline (all recognised kinds).
func Classify(name string) (kind Kind, tli uint32, base string) {
	for _, ext := range compressedExt {
		if stem, ok := strings.CutSuffix(name, ext); ok {
			if k, t, b := Classify(stem); k != Other && k != Compressed {
				return Compressed, t, b
			}
			return Other, 0, ""
		}
	}
	switch {
	case isWALName(name):
		return Segment, timelineOf(name), name
	case len(name) == 24+len(".partial") && strings.HasSuffix(name, ".partial") && isWALName(name[:24]):
		return Partial, timelineOf(name), name[:24]
	case len(name) == 24+1+8+len(".backup") && strings.HasSuffix(name, ".backup") && isWALName(name[:24]) &&
		name[24] == '.' && isUpperHex(name[25:33]):
		return BackupHistory, timelineOf(name), name[:24]
	case len(name) == 8+len(".history") && strings.HasSuffix(name, ".history") && isUpperHex(name[:8]) && name[:8] != "00000000":
		return TimelineHistory, timelineOf(name), ""
	}
	return Other, 0, ""
}

func timelineOf(name string) uint32 {
	v, _ := strconv.ParseUint(name[:8], 16, 32)
	return uint32(v)
}

// RedoSegmentName is the first WAL file a checkpoint with this REDO
// location needs, computed as the manual does with pg_xlogfile_name()
// (the file holding the byte before lsn, XLByteToPrevSeg). It differs
// from pg.WALFileName only when lsn falls exactly on a segment boundary,
// where it keeps one file more.
func RedoSegmentName(tli uint32, lsn pg.LSN, segSize int64) string {
	if lsn == 0 {
		return pg.WALFileName(tli, 0, segSize)
	}
	return pg.WALFileName(tli, lsn-1, segSize)
}
