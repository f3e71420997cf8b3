// SPDX-License-Identifier: Apache-2.0

// Package pg is pgrex's PostgreSQL control layer: the data directory's
// files (postmaster.pid, PG_VERSION), postgresql.conf parsing, pg_ctl, and
// the agent's database session.
package pg

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// PidFile is the content of postmaster.pid that the agent uses.
type PidFile struct {
	PID     int
	DataDir string
	Port    int
	Socket  string
	Status  string // "starting", "ready", "standby", "stopping" (PostgreSQL 10+)
}

// ReadPidFile parses <pgdata>/postmaster.pid. A missing file is
// fs.ErrNotExist; a file too short to hold a PID (the server writes it in
// steps) is an error the caller can treat as "not yet running".
func ReadPidFile(pgdata string) (*PidFile, error) {
	data, err := os.ReadFile(filepath.Join(pgdata, "postmaster.pid"))
	if err != nil {
		return nil, err
	}
	return ParsePidFile(data)
}

// ParsePidFile parses the text of postmaster.pid.
func ParsePidFile(data []byte) (*PidFile, error) {
	lines := strings.Split(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || pid == 0 {
		return nil, fmt.Errorf("postmaster.pid: first line %q is not a process id", lines[0])
	}
	p := &PidFile{PID: pid}
	if pid < 0 { // a single-user backend writes its PID negated
		p.PID = -pid
	}
	field := func(i int) string {
		if i < len(lines) {
			return strings.TrimSpace(lines[i])
		}
		return ""
	}
	p.DataDir = field(1)
	p.Port, _ = strconv.Atoi(field(3))
	p.Socket = field(4)
	p.Status = field(7)
	return p, nil
}

// Liveness is what the agent knows about the postmaster without asking it
// anything.
type Liveness struct {
	Running bool
	PID     int
	// Port and Status are postmaster.pid's view of the running server.
	Port   int
	Status string
	// Stale is set when postmaster.pid exists but names no live postmaster
	// of this data directory (a crash, or the PID reused after a reboot).
	Stale  bool
	Reason string
}

// CheckLiveness decides whether the postmaster of pgdata runs: the pid file
// exists, its process is alive, and that process is a postgres server whose
// working directory is this data directory. The last check is what the shell
// agent lacks: after a crash and reboot the old PID can belong to anything.
func CheckLiveness(pgdata string) (Liveness, error) {
	pf, err := ReadPidFile(pgdata)
	if errors.Is(err, fs.ErrNotExist) {
		return Liveness{Reason: "no postmaster.pid"}, nil
	}
	if err != nil {
		// Being written right now, or garbage: not a running server we can
		// manage, but not proof of a stale file either.
		return Liveness{Reason: err.Error()}, nil
	}
	l := Liveness{PID: pf.PID, Port: pf.Port, Status: pf.Status}
	if err := syscall.Kill(pf.PID, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		l.Stale = true
		l.Reason = fmt.Sprintf("postmaster.pid names PID %d, which is not running", pf.PID)
		return l, nil
	}
	if ok, why := isPostmasterOf(pf.PID, pgdata); !ok {
		l.Stale = true
		l.Reason = fmt.Sprintf("postmaster.pid names PID %d, which is not this data directory's postmaster (%s)", pf.PID, why)
		return l, nil
	}
	l.Running = true
	return l, nil
}

// isPostmasterOf looks at /proc to tell a live postmaster from a reused PID.
// When /proc cannot be read (another user's process without root), it
// trusts the PID like the shell agent does.
func isPostmasterOf(pid int, pgdata string) (bool, string) {
	proc := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(proc + "/stat")
	if err != nil {
		return true, ""
	}
	// State is the field after the parenthesised command name.
	if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
		return false, "it has exited and waits to be reaped"
	}
	cmdline, err := os.ReadFile(proc + "/cmdline")
	if err != nil {
		return true, ""
	}
	argv0 := string(bytes.SplitN(cmdline, []byte{0}, 2)[0])
	if !strings.Contains(filepath.Base(argv0), "postgres") && !strings.Contains(argv0, "postmaster") {
		return false, fmt.Sprintf("it runs %q", argv0)
	}
	cwd, err := os.Readlink(proc + "/cwd")
	if err != nil {
		return true, ""
	}
	want, err := filepath.EvalSymlinks(pgdata)
	if err != nil {
		want = pgdata
	}
	if filepath.Clean(cwd) != filepath.Clean(want) {
		return false, fmt.Sprintf("its working directory is %s", cwd)
	}
	return true, ""
}

// IsZombie reports whether pid is a process that has exited but not been
// reaped yet.
func IsZombie(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i > 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// ReadVersion returns the major version string of the data directory
// ("15", "9.6"), or "" when PG_VERSION cannot be read.
func ReadVersion(pgdata string) string {
	data, err := os.ReadFile(filepath.Join(pgdata, "PG_VERSION"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// VersionNum turns "9.6" into 906 and "15" into 1500, for comparisons; ""
// or garbage is 0.
func VersionNum(v string) int {
	major, minor, _ := strings.Cut(v, ".")
	a, err := strconv.Atoi(major)
	if err != nil {
		return 0
	}
	b, _ := strconv.Atoi(minor)
	return a*100 + b
}
