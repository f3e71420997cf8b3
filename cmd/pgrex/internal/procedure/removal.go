// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/archive"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
	"github.com/pgrex/pgrex/ra/pg"
)

// systemDirs are directories that are never a data directory, whatever
// they hold: deleting one (a wrong PGDATA) would wreck the machine.
var systemDirs = []string{"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/media",
	"/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/bin", "/usr/lib",
	"/usr/local", "/usr/sbin", "/usr/share", "/var", "/var/lib", "/var/log", "/var/tmp", "/var/run",
	"/var/lib/postgresql", "/var/lib/pgsql", "/dbfp"}

// minDataMajor is the oldest PG_VERSION a data directory to delete may
// carry (the oldest major standby-start supports).
const minDataMajor = minVersionNum / 10000

// nestedDepth bounds the search for another data directory below one that
// is to be deleted (PGDATA/x/y/z); a wrong PGDATA such as /srv holds its
// data directories within a few levels.
const nestedDepth = 3

// nestedDirLimit bounds how many directories that search reads.
const nestedDirLimit = 2000

// DeletionFacts is what is known of a directory a base backup with
// --remove-old-data would empty (gathered by Gatherer.Local).
type DeletionFacts struct {
	Path string `json:"path"`
	// Exists: Lstat found something; Symlink: it is a symbolic link;
	// Dir: a directory (not through a link).
	Exists  bool `json:"exists"`
	Symlink bool `json:"symlink,omitempty"`
	Dir     bool `json:"dir"`
	// Mount: a mount point.
	Mount bool `json:"mount,omitempty"`
	// PGVersion is the content of PG_VERSION ("" = none); Control:
	// global/pg_control is a regular file.
	PGVersion string `json:"pg_version,omitempty"`
	Control   bool   `json:"control,omitempty"`
	// Nested names a data directory (PG_VERSION and global/pg_control)
	// found below Path; NestedErr says why the search could not finish.
	Nested    string `json:"nested,omitempty"`
	NestedErr string `json:"nested_error,omitempty"`
	// Foreign lists names in a WAL directory that are not WAL (segments,
	// partial and backup history files, timeline histories,
	// archive_status, summaries, xlogtemp.*); ListErr when unreadable.
	Foreign []string `json:"foreign,omitempty"`
	ListErr string   `json:"list_error,omitempty"`
}

// gatherDeletion inspects path without following symbolic links; wal says
// to list it as a WAL directory.
func gatherDeletion(path string, wal bool) DeletionFacts {
	f := DeletionFacts{Path: path}
	st, err := os.Lstat(path)
	if err != nil {
		return f
	}
	f.Exists = true
	f.Symlink = st.Mode()&os.ModeSymlink != 0
	f.Dir = st.IsDir()
	if !f.Dir {
		return f
	}
	f.Mount = isMountPoint(path, st)
	if b, err := readRegular(filepath.Join(path, "PG_VERSION")); err == nil {
		f.PGVersion = strings.TrimSpace(string(b))
	}
	if cst, err := os.Lstat(filepath.Join(path, "global", "pg_control")); err == nil && cst.Mode().IsRegular() {
		f.Control = true
	}
	f.Nested, err = findNestedDataDir(path)
	if err != nil {
		f.NestedErr = err.Error()
	}
	if wal {
		ents, err := os.ReadDir(path)
		if err != nil {
			f.ListErr = err.Error()
		}
		for _, e := range ents {
			if !walName(e.Name(), e.IsDir()) {
				f.Foreign = append(f.Foreign, e.Name())
			}
		}
	}
	return f
}

func readRegular(path string) ([]byte, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > 64 {
		return nil, fmt.Errorf("%s: not a small regular file", path)
	}
	return os.ReadFile(path)
}

// walName: a name PostgreSQL keeps in pg_wal.
func walName(name string, dir bool) bool {
	if dir {
		return name == "archive_status" || name == "summaries"
	}
	if strings.HasPrefix(name, "xlogtemp.") {
		return true
	}
	kind, _, _ := archive.Classify(name)
	return kind != archive.Other && kind != archive.Compressed
}

// findNestedDataDir looks below root (not following symbolic links, at
// most nestedDepth levels) for a directory holding PG_VERSION and
// global/pg_control: another data directory.
func findNestedDataDir(root string) (string, error) {
	type dir struct {
		path  string
		depth int
	}
	queue := []dir{{root, 0}}
	read := 0
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if read++; read > nestedDirLimit {
			return "", fmt.Errorf("more than %d directories below %s: not searched to the end", nestedDirLimit, root)
		}
		ents, err := os.ReadDir(d.path)
		if err != nil {
			return "", fmt.Errorf("searching %s: %w", d.path, err)
		}
		for _, e := range ents {
			if !e.IsDir() {
				continue
			}
			p := filepath.Join(d.path, e.Name())
			if _, err := os.Lstat(filepath.Join(p, "global", "pg_control")); err == nil {
				if _, err := os.Lstat(filepath.Join(p, "PG_VERSION")); err == nil {
					return p, nil
				}
			}
			if d.depth+1 < nestedDepth {
				queue = append(queue, dir{p, d.depth + 1})
			}
		}
	}
	return "", nil
}

// ProveDataDir is the proof that pgdata, which a base backup with
// --remove-old-data deletes, is this cluster's data directory: an absolute
// clean path, no system directory, no symbolic link, PG_VERSION of a
// supported major and global/pg_control present, a system identifier (from
// pg_controldata) equal to the primary's, and no other data directory
// below it. One refusal per failed check; none = proven.
func ProveDataDir(f DeletionFacts, control *pg.ControlData, controlErr, primarySysID string) []Refusal {
	r := provePath(f)
	add := func(code string, args ...string) { r = append(r, Refusal{Code: code, Args: args}) }
	if len(r) > 0 || !f.Exists {
		return r
	}
	major, err := strconv.Atoi(f.PGVersion)
	switch {
	case f.PGVersion == "":
		add("delete-no-pg-version", f.Path)
	case err != nil || major < minDataMajor:
		add("delete-pg-version", f.Path, f.PGVersion)
	}
	if !f.Control {
		add("delete-no-control", f.Path)
	}
	switch {
	case control == nil:
		add("delete-sysid-unknown", f.Path, msg.OrDash(controlErr))
	case primarySysID == "" || control.SystemID != primarySysID:
		add("delete-sysid", f.Path, control.SystemID, msg.OrDash(primarySysID))
	}
	nestedChecks(f, add)
	return r
}

// ProveWALDir is the proof that the target of a symbolic-linked pg_wal may
// be emptied: a sane path that holds only WAL and no data directory.
func ProveWALDir(f DeletionFacts) []Refusal {
	r := provePath(f)
	add := func(code string, args ...string) { r = append(r, Refusal{Code: code, Args: args}) }
	if len(r) > 0 || !f.Exists {
		return r
	}
	if f.PGVersion != "" {
		add("delete-wal-not-wal", f.Path, "PG_VERSION")
	}
	switch {
	case f.ListErr != "":
		add("delete-wal-unreadable", f.Path, f.ListErr)
	case len(f.Foreign) > 0:
		shown := f.Foreign
		if len(shown) > 5 {
			shown = append(shown[:5:5], "…")
		}
		add("delete-wal-not-wal", f.Path, strings.Join(shown, " "))
	}
	nestedChecks(f, add)
	return r
}

func nestedChecks(f DeletionFacts, add func(string, ...string)) {
	switch {
	case f.Nested != "":
		add("delete-nested", f.Path, f.Nested)
	case f.NestedErr != "":
		add("delete-nested-unknown", f.Path, f.NestedErr)
	}
}

// provePath checks the path itself.
func provePath(f DeletionFacts) []Refusal {
	var r []Refusal
	add := func(code string, args ...string) { r = append(r, Refusal{Code: code, Args: args}) }
	switch {
	case !filepath.IsAbs(f.Path) || filepath.Clean(f.Path) != f.Path:
		add("delete-path", f.Path)
	case isSystemDir(f.Path):
		add("delete-system-dir", f.Path)
	case f.Symlink:
		add("delete-symlink", f.Path)
	case f.Exists && !f.Dir:
		add("delete-not-dir", f.Path)
	}
	return r
}

func isSystemDir(p string) bool {
	for _, d := range systemDirs {
		if p == d {
			return true
		}
	}
	return false
}
