// SPDX-License-Identifier: Apache-2.0

package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pgrex/pgrex/ra/atomicfile"

	"github.com/pgrex/pgrex/ra/pg"
)

// Scan lists the archive directory (not recursively) and reads the
// uncompressed timeline history files to learn each timeline's ancestors.
// A history file that cannot be read or parsed leaves its timeline's
// ancestry unknown (so nothing it might lead to is deleted) and is reported
// as a warning.
func Scan(dir string) (files []File, ancestors map[uint32][]uint32, warnings []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("listing the archive directory %s: %w", dir, err)
	}
	ancestors = map[uint32][]uint32{}
	for _, e := range entries {
		info, err := e.Info() // lstat: a symbolic link is not regular
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("inspecting %s: %w", filepath.Join(dir, e.Name()), err)
		}
		f := NewFile(e.Name(), info.Size(), info.Mode().IsRegular())
		files = append(files, f)
		if f.Kind != TimelineHistory {
			continue
		}
		b, err := readSmall(filepath.Join(dir, f.Name))
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("cannot read %s: %v", f.Name, err))
			continue
		}
		entries, err := pg.ParseHistory(b)
		if err == nil {
			var anc []uint32
			if anc, err = AncestorsFromHistory(f.TLI, entries); err == nil {
				ancestors[f.TLI] = anc
				continue
			}
		}
		warnings = append(warnings, fmt.Sprintf("cannot parse %s: %v", f.Name, err))
	}
	return files, ancestors, warnings, nil
}

// Result is what Execute did.
type Result struct {
	Deleted      []string `json:"deleted"`
	DeletedBytes int64    `json:"deleted_bytes"`
	// Skipped are planned files that changed or vanished since planning.
	Skipped []string `json:"skipped,omitempty"`
}

// Execute deletes the plan's files from dir, one by one. Each is checked
// again first — still a regular file of the planned size and name class —
// and skipped otherwise; the first failure to delete stops it, and the
// Result says what was done until then. progress, when set, is told about
// each file deleted.
func Execute(dir string, p Plan, progress func(name string)) (Result, error) {
	var r Result
	for _, f := range p.Delete {
		path := filepath.Join(dir, f.Name)
		st, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			r.Skipped = append(r.Skipped, f.Name)
			continue
		}
		if err != nil {
			return r, fmt.Errorf("inspecting %s: %w", path, err)
		}
		if now := NewFile(f.Name, st.Size(), st.Mode().IsRegular()); now.Kind != f.Kind || now.Size != f.Size {
			r.Skipped = append(r.Skipped, f.Name)
			continue
		}
		removed, err := atomicfile.Remove(path)
		if err != nil {
			return r, fmt.Errorf("deleting archive file: %w", err)
		}
		if !removed {
			r.Skipped = append(r.Skipped, f.Name)
			continue
		}
		r.Deleted = append(r.Deleted, f.Name)
		r.DeletedBytes += f.Size
		if progress != nil {
			progress(f.Name)
		}
	}
	if len(r.Deleted) > 0 {
		if err := atomicfile.SyncDir(dir); err != nil {
			return r, err
		}
	}
	return r, nil
}
