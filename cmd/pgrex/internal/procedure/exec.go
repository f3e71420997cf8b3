// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pgrex/pgrex/ra/atomicfile"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/pg"
)

// Executor is everything a procedure does to the outside world, in
// gathering facts and in applying a plan. The real one is Real; tests
// record the calls.
type Executor interface {
	// Run runs one command and waits for it. A non-zero exit is an error
	// that still comes with the Result.
	Run(ctx context.Context, c Command) (cmdrun.Result, error)
	// RemoveFile removes a regular file on this node; false when it was
	// already gone.
	RemoveFile(path string) (bool, error)
	// MoveAside renames the directory from to to on this node; to must
	// not exist.
	MoveAside(from, to string) error
	// RemoveTree removes a directory and its contents on this node.
	RemoveTree(path string) error
	// Mkdir creates a directory owned by user.
	Mkdir(path, user string, mode os.FileMode) error
	// InstallArchive moves files from staging into dir (see
	// KindInstallArchive).
	InstallArchive(staging, dir string, files []ArchiveFile, user string) error
}

// Runner runs one external command; *cmdrun.Runner is the real one.
type Runner interface {
	Run(ctx context.Context, c cmdrun.Cmd) (cmdrun.Result, error)
}

// SSH says how remote commands reach the peer.
type SSH struct {
	// Path is the ssh client ("" = ssh from PATH).
	Path string
	// Options go before the host (-o KEY=VALUE …).
	Options []string
}

// DefaultSSHOptions never prompt (PG-REX's tools ask for a password; pgrex
// needs key authentication for root, which is what unattended use needs
// anyway) and give up on an unreachable peer quickly.
var DefaultSSHOptions = []string{"-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=10"}

// Argv returns the local argument vector that runs c on c.Host:
//
//	ssh <options> <host> -- [cd / &&] <remote command line>
//
// ssh joins everything after the host into one line for the remote login
// shell, so each remote argument is quoted for that shell here; a user
// switch becomes `runuser -u USER --` in front of the command, and
// `env LC_ALL=C K=V…` makes the remote output untranslated, as ra/cmdrun
// does locally (ssh may or may not pass the locale on).
func (s SSH) Argv(c Command) []string {
	remote := remoteArgv(c)
	path := s.Path
	if path == "" {
		path = "ssh"
	}
	opts := s.Options
	if opts == nil {
		opts = DefaultSSHOptions
	}
	out := append([]string{path}, opts...)
	out = append(out, c.Host, "--")
	if c.User != "" {
		// The login shell starts in root's home, which the user cannot
		// enter: PostgreSQL's programs then warn `could not change
		// directory to "/root"` (local runs use "/" for the same reason).
		out = append(out, "cd", "/", "&&")
	}
	for _, a := range remote {
		out = append(out, cmdrun.ShellQuote(a))
	}
	return out
}

// remoteArgv is the command as the remote side must run it.
func remoteArgv(c Command) []string {
	var out []string
	if c.User != "" {
		out = append(out, "runuser", "-u", c.User, "--")
	}
	out = append(out, "env", "LC_ALL=C")
	out = append(out, c.Env...)
	return append(out, c.Argv...)
}

// Real is the Executor that acts: commands through ra/cmdrun (argument
// slices, deadline, LC_ALL=C), remote ones over ssh, files with the os
// package.
type Real struct {
	Runner Runner
	SSH    SSH
	// Timeout bounds a command that sets none.
	Timeout time.Duration
	// LookupUser resolves a user for Cred (nil = pg.LookupUser).
	LookupUser func(name string) (*pg.User, error)
}

var _ Executor = (*Real)(nil)

func (r *Real) lookup(name string) (*pg.User, error) {
	if r.LookupUser != nil {
		return r.LookupUser(name)
	}
	return pg.LookupUser(name)
}

// Run implements Executor.
func (r *Real) Run(ctx context.Context, c Command) (cmdrun.Result, error) {
	if len(c.Argv) == 0 {
		return cmdrun.Result{ExitCode: -1}, errors.New("running a command: empty argument vector")
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = r.Timeout
	}
	cmd := cmdrun.Cmd{Timeout: timeout, Detach: c.Detach}
	if c.Host != "" {
		argv := r.SSH.Argv(c)
		cmd.Path, cmd.Args = argv[0], argv[1:]
	} else {
		cmd.Path, cmd.Args, cmd.Env = c.Argv[0], c.Argv[1:], c.Env
		if c.User != "" {
			u, err := r.lookup(c.User)
			if err != nil {
				return cmdrun.Result{ExitCode: -1}, fmt.Errorf("running %s: %w", c.Argv[0], err)
			}
			cmd.Cred = u.Credential()
			// libpq and PostgreSQL tools read the user's files
			// (~/.pgpass) from HOME; a root HOME would be wrong.
			cmd.Env = append(cmd.Env, "HOME="+u.Home)
			// A child running as postgres cannot enter root's cwd.
			cmd.Dir = "/"
		}
	}
	return r.Runner.Run(ctx, cmd)
}

// RemoveFile implements Executor.
func (r *Real) RemoveFile(path string) (bool, error) {
	removed, err := atomicfile.Remove(path)
	if err != nil {
		return false, err
	}
	if removed {
		if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
			return true, err
		}
	}
	return removed, nil
}

// MoveAside implements Executor.
func (r *Real) MoveAside(from, to string) error {
	st, err := os.Lstat(from)
	if err != nil {
		return fmt.Errorf("moving %s aside: %w", from, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("moving %s aside: not a directory", from)
	}
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("moving %s aside: %s already exists", from, to)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("moving %s aside: %w", from, err)
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("moving %s aside: %w", from, err)
	}
	return atomicfile.SyncDir(filepath.Dir(to))
}

// RemoveTree implements Executor: the directory's contents, then the
// directory itself unless it is a mount point (Mkdir then takes the empty
// directory over).
func (r *Real) RemoveTree(path string) error {
	if path == "" || path == "/" || !filepath.IsAbs(path) {
		return fmt.Errorf("refusing to remove %q", path)
	}
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("removing %s: %w", path, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("removing %s: not a directory", path)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return fmt.Errorf("removing %s: %w", path, err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(path, e.Name())); err != nil {
			return fmt.Errorf("removing %s: %w", path, err)
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, syscall.EBUSY) {
		return fmt.Errorf("removing %s: %w", path, err)
	}
	return nil
}

// Mkdir implements Executor: it creates the directory, or takes over an
// existing empty one (a mount point), and sets its owner and mode.
func (r *Real) Mkdir(path, user string, mode os.FileMode) error {
	if err := os.Mkdir(path, mode); errors.Is(err, fs.ErrExist) {
		entries, rerr := os.ReadDir(path)
		if rerr != nil {
			return fmt.Errorf("creating %s: %w", path, rerr)
		}
		if len(entries) > 0 {
			return fmt.Errorf("creating %s: it exists and is not empty", path)
		}
	} else if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask, or a taken-over directory
		return fmt.Errorf("setting mode %o on %s: %w", mode, path, err)
	}
	if user != "" {
		u, err := r.lookup(user)
		if err != nil {
			return fmt.Errorf("creating %s: %w", path, err)
		}
		if err := os.Lchown(path, int(u.UID), int(u.GID)); err != nil {
			return fmt.Errorf("handing %s to %s: %w", path, user, err)
		}
	}
	return nil
}

// InstallArchive implements Executor: every staged file must have the
// size the primary listed, or nothing is installed; a local file of the
// same name (an incomplete copy) is moved into a "pgrex-replaced-*"
// directory inside dir first.
func (r *Real) InstallArchive(staging, dir string, files []ArchiveFile, user string) error {
	for _, f := range files {
		st, err := os.Lstat(filepath.Join(staging, f.Name))
		if err != nil {
			return fmt.Errorf("checking the copy of %s: %w", f.Name, err)
		}
		if !st.Mode().IsRegular() || st.Size() != f.Size {
			return fmt.Errorf("the copy of %s has %d bytes, the primary's has %d: not installed", f.Name, st.Size(), f.Size)
		}
	}
	var owner *pg.User
	if user != "" {
		u, err := r.lookup(user)
		if err != nil {
			return fmt.Errorf("installing archive files: %w", err)
		}
		owner = u
	}
	replaced := ""
	for _, f := range files {
		dst := filepath.Join(dir, f.Name)
		if f.Replace {
			if replaced == "" {
				replaced = filepath.Join(dir, "pgrex-replaced-"+time.Now().UTC().Format("20060102T150405Z"))
				if err := os.Mkdir(replaced, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
					return fmt.Errorf("installing archive files: %w", err)
				}
			}
			if err := os.Rename(dst, filepath.Join(replaced, f.Name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("moving the incomplete %s aside: %w", dst, err)
			}
		} else if _, err := os.Lstat(dst); err == nil {
			return fmt.Errorf("installing %s: a file of that name appeared meanwhile; not overwritten", dst)
		}
		src := filepath.Join(staging, f.Name)
		if owner != nil {
			if err := os.Lchown(src, int(owner.UID), int(owner.GID)); err != nil {
				return fmt.Errorf("handing %s to %s: %w", src, user, err)
			}
		}
		if err := os.Rename(src, dst); err != nil {
			return fmt.Errorf("installing %s: %w", dst, err)
		}
	}
	if err := atomicfile.SyncDir(dir); err != nil {
		return err
	}
	if err := os.Remove(staging); err != nil {
		return fmt.Errorf("removing the staging directory %s: %w", staging, err)
	}
	return nil
}

// exitCode returns the exit code of a finished command, -1 when it did not
// exit on its own.
func exitCode(res cmdrun.Result, err error) int {
	var ce *cmdrun.Error
	if errors.As(err, &ce) {
		return ce.ExitCode
	}
	if err != nil {
		return -1
	}
	return res.ExitCode
}
