// SPDX-License-Identifier: Apache-2.0

// Package atomicfile writes the files pgrex owns (rep_mode.conf, the recovery
// settings, PGSQL.lock, election notes) safely: atomically (temp file,
// fsync, rename, fsync of the directory), with an explicit mode and owner,
// and never through a symbolic link, since these files live in directories
// other users may share.
package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Owner is the uid/gid a written file gets; nil keeps the writer's.
type Owner struct {
	UID, GID int
}

// WriteFileAtomic replaces path with data unless it already holds exactly
// that (with the same mode and owner), and reports whether it changed
// anything. A symbolic link at path is refused, not followed.
func WriteFileAtomic(path string, data []byte, mode os.FileMode, owner *Owner) (changed bool, err error) {
	st, err := os.Lstat(path)
	switch {
	case err == nil && st.Mode()&os.ModeSymlink != 0:
		return false, fmt.Errorf("refusing to write %s: it is a symbolic link", path)
	case err == nil && !st.Mode().IsRegular():
		return false, fmt.Errorf("refusing to write %s: it is not a regular file", path)
	case err == nil:
		if same, _ := sameContent(path, data); same && st.Mode().Perm() == mode.Perm() && ownedBy(st, owner) {
			return false, nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("inspecting %s: %w", path, err)
	}

	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, fmt.Errorf("creating a temporary file for %s: %w", path, err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmpName)
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		_ = tmp.Close()
		return false, fmt.Errorf("writing %s: %w", tmpName, err)
	}
	if err = tmp.Chmod(mode.Perm()); err != nil {
		_ = tmp.Close()
		return false, fmt.Errorf("setting the mode of %s: %w", tmpName, err)
	}
	if owner != nil {
		if err = tmp.Chown(owner.UID, owner.GID); err != nil {
			_ = tmp.Close()
			return false, fmt.Errorf("setting the owner of %s: %w", tmpName, err)
		}
	}
	if err = tmp.Sync(); err != nil {
		_ = tmp.Close()
		return false, fmt.Errorf("syncing %s: %w", tmpName, err)
	}
	if err = tmp.Close(); err != nil {
		return false, fmt.Errorf("closing %s: %w", tmpName, err)
	}
	if err = os.Rename(tmpName, path); err != nil {
		return false, fmt.Errorf("renaming %s to %s: %w", tmpName, path, err)
	}
	return true, SyncDir(dir)
}

func ownedBy(st os.FileInfo, o *Owner) bool {
	if o == nil {
		return true
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(sys.Uid) == o.UID && int(sys.Gid) == o.GID
}

func sameContent(path string, data []byte) (bool, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return false, err
	}
	defer f.Close()
	cur := make([]byte, len(data)+1)
	n, _ := f.Read(cur)
	for n < len(cur) {
		m, err := f.Read(cur[n:])
		if m == 0 || err != nil {
			break
		}
		n += m
	}
	return n == len(data) && bytes.Equal(cur[:n], data), nil
}

// SyncDir makes a rename durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening %s to sync it: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// Remove deletes path if it exists and reports whether it did. A missing
// file is not an error; a directory is refused.
func Remove(path string) (bool, error) {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("inspecting %s: %w", path, err)
	}
	if st.IsDir() {
		return false, fmt.Errorf("refusing to remove %s: it is a directory", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("removing %s: %w", path, err)
	}
	return true, nil
}

// EnsurePrivateDir makes sure dir exists as a real directory (not a
// symbolic link), owned by owner with mode 0700 — the agent's tmpdir.
func EnsurePrivateDir(dir string, owner *Owner) error {
	st, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
		st, err = os.Lstat(dir)
	}
	if err != nil {
		return fmt.Errorf("inspecting %s: %w", dir, err)
	}
	if st.Mode()&os.ModeSymlink != 0 || !st.IsDir() {
		return fmt.Errorf("%s must be a directory, not a symbolic link or a file", dir)
	}
	if owner != nil && !ownedBy(st, owner) {
		if err := os.Lchown(dir, owner.UID, owner.GID); err != nil {
			return fmt.Errorf("handing %s to uid %d: %w", dir, owner.UID, err)
		}
	}
	if st.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("setting mode 0700 on %s: %w", dir, err)
		}
	}
	return nil
}
