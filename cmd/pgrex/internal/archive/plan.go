// SPDX-License-Identifier: Apache-2.0

package archive

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pgrex/pgrex/ra/pg"
)

// File is one archive directory entry.
type File struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	Kind Kind   `json:"kind"`
	// TLI and Base as Classify returns them.
	TLI  uint32 `json:"timeline,omitempty"`
	Base string `json:"-"`
}

// NewFile classifies an entry; regular is false for directories, links
// and other non-regular files, which are always Other.
func NewFile(name string, size int64, regular bool) File {
	f := File{Name: name, Size: size}
	if regular {
		f.Kind, f.TLI, f.Base = Classify(name)
	}
	return f
}

// Input is everything MakePlan needs.
type Input struct {
	Files []File
	Needs []Need
	// Ancestors maps a timeline to its ancestors, for every timeline whose
	// history file could be read (uncompressed, parseable). A timeline
	// missing here has unknown ancestry, except timeline 1 (none).
	Ancestors map[uint32][]uint32
	// SegSize is the WAL segment size in bytes.
	SegSize int64
}

// Plan is what Execute will do.
type Plan struct {
	// Cutoff is the oldest WAL file needed; files before it go.
	Cutoff string `json:"cutoff"`
	// CutoffFrom are the needs that set it.
	CutoffFrom []string `json:"cutoff_from"`
	Needs      []Need   `json:"needs"`
	Delete     []File   `json:"delete"`
	// KeptTimelines are the timelines whose history must stay.
	KeptTimelines []uint32 `json:"kept_timelines"`
	KeepCount     int      `json:"keep_count"`
	KeepBytes     int64    `json:"keep_bytes"`
	DeleteBytes   int64    `json:"delete_bytes"`
	// Untouched are compressed and unrecognised entries (never deleted).
	Untouched []File `json:"untouched,omitempty"`
	// Warnings are things the operator should know but that do not stop
	// the plan (e.g. the oldest backup's first WAL file is missing).
	Warnings []string `json:"warnings,omitempty"`
}

// ErrNoNeeds means MakePlan was given nothing that needs the archive, so
// it cannot tell what is unneeded.
var ErrNoNeeds = errors.New("no base backup or checkpoint given: nothing says which WAL is still needed")

// ErrCutoffBeyondArchive means every WAL segment in the archive sorts
// before the cutoff: the plan would empty the archive of segments, which
// almost always means a wrong input (a typo in a location, the wrong
// backup), so it is refused.
var ErrCutoffBeyondArchive = errors.New("the oldest needed WAL file is newer than every WAL segment in the archive")

// MakePlan decides which files to delete. It deletes nothing itself.
func MakePlan(in Input) (Plan, error) {
	var p Plan
	if len(in.Needs) == 0 {
		return p, ErrNoNeeds
	}
	for _, n := range in.Needs {
		if !isWALName(n.WAL) {
			return p, fmt.Errorf("%s: %q is not a WAL file name", n.Source, n.WAL)
		}
	}
	p.Needs = in.Needs

	// The cutoff is the smallest needed name (string order is (timeline,
	// segment) order for these fixed-width upper-case names).
	p.Cutoff = in.Needs[0].WAL
	for _, n := range in.Needs[1:] {
		if n.WAL < p.Cutoff {
			p.Cutoff = n.WAL
		}
	}
	for _, n := range in.Needs {
		if n.WAL == p.Cutoff {
			p.CutoffFrom = append(p.CutoffFrom, n.Source)
		}
	}
	cutoffTLI := timelineOf(p.Cutoff)

	if err := checkSegmentSize(in.Files, in.SegSize); err != nil {
		return p, err
	}

	// First pass: WAL-position files (segments, partials, backup history).
	kept := map[uint32]bool{cutoffTLI: true}
	for _, n := range in.Needs {
		kept[timelineOf(n.WAL)] = true
	}
	present := map[string]bool{} // segments in the archive, compressed or not
	keptSegment := false
	var histories []File
	for _, f := range in.Files {
		switch f.Kind {
		case Segment, Partial, BackupHistory:
			if f.Kind == Segment {
				present[f.Name] = true
			}
			if f.Base < p.Cutoff {
				p.Delete = append(p.Delete, f)
				p.DeleteBytes += f.Size
				continue
			}
			if f.Kind == Segment {
				keptSegment = true
			}
			kept[f.TLI] = true
			p.KeepCount++
			p.KeepBytes += f.Size
		case TimelineHistory:
			histories = append(histories, f)
		case Compressed:
			if f.Base != "" && f.Base >= p.Cutoff {
				kept[f.TLI] = true
			}
			if compressedSegment(f.Name) {
				present[f.Base] = true
				keptSegment = keptSegment || f.Base >= p.Cutoff
			}
			p.Untouched = append(p.Untouched, f)
		default:
			p.Untouched = append(p.Untouched, f)
		}
	}
	if !keptSegment && len(present) > 0 {
		return Plan{}, fmt.Errorf("%w (cutoff %s from %s): check the base backup and the checkpoint locations given",
			ErrCutoffBeyondArchive, p.Cutoff, strings.Join(p.CutoffFrom, ", "))
	}
	for _, n := range in.Needs {
		if !present[n.WAL] {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s needs %s, which is not in the archive", n.Source, n.WAL))
		}
	}

	// Second pass: timeline history files. Keep a timeline's history when
	// the timeline is not older than the cutoff's, is kept itself, or may
	// lead to a kept timeline (listed in its history, or its history is
	// unknown).
	for t := range kept {
		p.KeptTimelines = append(p.KeptTimelines, t)
	}
	sort.Slice(p.KeptTimelines, func(i, j int) bool { return p.KeptTimelines[i] < p.KeptTimelines[j] })
	for _, h := range histories {
		if h.TLI >= cutoffTLI || kept[h.TLI] || mayLeadTo(h.TLI, p.KeptTimelines, in.Ancestors) {
			p.KeepCount++
			p.KeepBytes += h.Size
			continue
		}
		p.Delete = append(p.Delete, h)
		p.DeleteBytes += h.Size
	}
	sort.Slice(p.Delete, func(i, j int) bool { return p.Delete[i].Name < p.Delete[j].Name })
	sort.Slice(p.Untouched, func(i, j int) bool { return p.Untouched[i].Name < p.Untouched[j].Name })
	return p, nil
}

// mayLeadTo reports whether timeline t is, or cannot be proven not to be,
// an ancestor of one of the kept timelines.
func mayLeadTo(t uint32, kept []uint32, ancestors map[uint32][]uint32) bool {
	for _, k := range kept {
		if k <= t {
			continue
		}
		if k == 1 {
			continue
		}
		anc, known := ancestors[k]
		if !known {
			return true
		}
		for _, a := range anc {
			if a == t {
				return true
			}
		}
	}
	return false
}

// checkSegmentSize refuses a segment size the archive contradicts: when
// most uncompressed segments share a size other than segSize, the cutoff
// computed from a REDO location would name the wrong file.
func checkSegmentSize(files []File, segSize int64) error {
	if segSize <= 0 || segSize&(segSize-1) != 0 {
		return fmt.Errorf("WAL segment size %d is not a power of two", segSize)
	}
	counts := map[int64]int{}
	for _, f := range files {
		if f.Kind == Segment || f.Kind == Partial {
			counts[f.Size]++
		}
	}
	var common int64
	best := 0
	for size, n := range counts {
		if n > best || n == best && size > common {
			common, best = size, n
		}
	}
	if best > 0 && common != segSize {
		return fmt.Errorf("%d of the archive's WAL segments are %d bytes, not %d: set the WAL segment size (--wal-segsize or WAL_segment_size)",
			best, common, segSize)
	}
	return nil
}

// AncestorsFromHistory builds Input.Ancestors' entry for timeline tli from
// its history file, checking that every parent is older than tli.
func AncestorsFromHistory(tli uint32, entries []pg.HistoryEntry) ([]uint32, error) {
	out := make([]uint32, 0, len(entries))
	for _, e := range entries {
		if e.ParentTLI >= tli {
			return nil, fmt.Errorf("history of timeline %d lists timeline %d as a parent", tli, e.ParentTLI)
		}
		out = append(out, e.ParentTLI)
	}
	return out, nil
}

// compressedSegment reports whether name is a compressed WAL segment
// (not a compressed partial or history file).
func compressedSegment(name string) bool {
	if len(name) <= 25 || name[24] != '.' {
		return false
	}
	k, _, _ := Classify(name)
	return k == Compressed && isWALName(name[:24]) && !strings.Contains(name[25:], ".partial") &&
		!strings.Contains(name[25:], ".backup")
}

// HumanBytes renders a size for people.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
