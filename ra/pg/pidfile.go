// SPDX-License-Identifier: Apache-2.0

// Package pg is pgrex's PostgreSQL control layer: the data directory's
// files (postmaster.pid, PG_VERSION), postgresql.conf parsing, pg_ctl, and
// the agent's database session.
package pg

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
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

// maxLockFile bounds how much of a lock file is read: PostgreSQL's are a
// few hundred bytes, so anything larger is not one.
const maxLockFile = 8192

// readLockFile reads a PostgreSQL lock file without following a symbolic
// link and without blocking: a FIFO or a directory put in its place must
// not hang or fool the agent. A missing file is fs.ErrNotExist.
func readLockFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s is a symbolic link", path)
		}
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, st.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxLockFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > maxLockFile {
		return nil, fmt.Errorf("%s is larger than a lock file can be", path)
	}
	return data, nil
}

// ReadPidFile parses <pgdata>/postmaster.pid. A missing file is
// fs.ErrNotExist; a file too short to hold a PID (the server writes it in
// steps) is an error the caller can treat as "not yet running".
func ReadPidFile(pgdata string) (*PidFile, error) {
	return ReadLockFile(filepath.Join(pgdata, "postmaster.pid"))
}

// ReadLockFile parses a PostgreSQL lock file (postmaster.pid or a socket
// lock file, which share the format), read without following a symbolic
// link and only when it is a regular file.
func ReadLockFile(path string) (*PidFile, error) {
	data, err := readLockFile(path)
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
	// PidFileOK is set when postmaster.pid names the running postmaster,
	// so pg_ctl (which works from that file) can manage it. A postmaster
	// that runs while the file is missing, unreadable, garbled or names
	// another process was found from the socket lock file or /proc:
	// Running is set and PidFileOK is not.
	PidFileOK bool
	// Stale is set when postmaster.pid exists but names no live postmaster
	// of this data directory (a crash, or the PID reused after a reboot),
	// and no postmaster of the data directory runs.
	Stale bool
	// PidFileUnusable is set when postmaster.pid exists but cannot be
	// read as one (garbled, empty, not a regular file) and no postmaster
	// of the data directory runs: PostgreSQL refuses to start with it (or,
	// for a FIFO, hangs), so it is for the operator to look at.
	PidFileUnusable bool
	Reason          string
}

// Probe says where to look for the postmaster of a data directory.
type Probe struct {
	PgData string
	// SocketDir and Port locate the socket lock file
	// (<SocketDir>/.s.PGSQL.<Port>.lock), a second record of the
	// postmaster's PID; empty or 0 skips it.
	SocketDir string
	Port      int
}

// CheckLiveness is FindPostmaster without the socket lock file.
func CheckLiveness(pgdata string) (Liveness, error) {
	return FindPostmaster(Probe{PgData: pgdata})
}

// FindPostmaster decides whether the postmaster of p.PgData runs. The pid
// file is proof when its process is alive and is this data directory's
// postmaster (/proc: a postgres program, working directory = the data
// directory, not a child of another postmaster of it, not a zombie). When
// the file proves nothing — missing, unreadable, garbled, naming another
// process — the postmaster is looked for in the socket lock file and in
// /proc, because PostgreSQL keeps running (up to a minute, or for good
// when the file is unreadable) without a usable pid file, and "not
// running" would let Pacemaker start a second server on the same data.
// An error means the question could not be answered: never "stopped".
func FindPostmaster(p Probe) (Liveness, error) {
	f := gatherLiveness(p)
	return decideLiveness(f)
}

// procVerdict is what /proc says about one PID.
type procVerdict int

const (
	procDead       procVerdict = iota // no such process
	procZombie                        // exited, not reaped
	procPostmaster                    // the postmaster of the data directory
	procOther                         // alive, provably not that postmaster
	procUnknown                       // /proc could not be read (another user's process without root)
)

// pidFileState is what reading postmaster.pid gave.
type pidFileState int

const (
	pidFileMissing pidFileState = iota
	pidFileUnusable
	pidFileParsed
)

// livenessFacts is everything FindPostmaster reads, for decideLiveness.
type livenessFacts struct {
	File        pidFileState
	FileProblem string // why the file is unusable
	PF          *PidFile
	Verdict     procVerdict // of PF.PID
	VerdictWhy  string
	// Found are postmasters of the data directory found without the pid
	// file, FoundBy says how; Incomplete says why the search may have
	// missed one (processes that could not be inspected).
	Found      []int
	FoundBy    string
	Incomplete string
}

func gatherLiveness(p Probe) livenessFacts {
	var f livenessFacts
	pf, err := ReadPidFile(p.PgData)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f.File = pidFileMissing
	case err != nil:
		f.File, f.FileProblem = pidFileUnusable, err.Error()
	default:
		f.File, f.PF = pidFileParsed, pf
		f.Verdict, f.VerdictWhy = identify(pf.PID, p.PgData)
		if f.Verdict == procPostmaster || f.Verdict == procUnknown {
			return f
		}
	}
	// The pid file proves nothing: look for the postmaster another way.
	if p.SocketDir != "" && p.Port > 0 {
		lock := filepath.Join(p.SocketDir, fmt.Sprintf(".s.PGSQL.%d.lock", p.Port))
		if lp, err := ReadLockFile(lock); err == nil && sameDir(lp.DataDir, p.PgData) {
			if v, _ := identify(lp.PID, p.PgData); v == procPostmaster {
				f.Found, f.FoundBy = []int{lp.PID}, "the socket lock file "+lock
				return f
			}
		}
	}
	f.Found, f.Incomplete = scanProc(p.PgData)
	f.FoundBy = "/proc"
	return f
}

// decideLiveness turns the facts into the answer. Pure.
func decideLiveness(f livenessFacts) (Liveness, error) {
	var l Liveness
	var fileSays string
	switch f.File {
	case pidFileMissing:
		fileSays = "no postmaster.pid"
	case pidFileUnusable:
		fileSays = "postmaster.pid is unusable: " + f.FileProblem
	case pidFileParsed:
		l.PID, l.Port, l.Status = f.PF.PID, f.PF.Port, f.PF.Status
		switch f.Verdict {
		case procPostmaster, procUnknown:
			// procUnknown: /proc cannot be read (not root); the PID is
			// trusted like the shell agent does.
			l.Running, l.PidFileOK = true, true
			return l, nil
		case procDead:
			fileSays = fmt.Sprintf("postmaster.pid names PID %d, which is not running", f.PF.PID)
		case procZombie:
			fileSays = fmt.Sprintf("postmaster.pid names PID %d, which is not this data directory's postmaster (it has exited and waits to be reaped)", f.PF.PID)
		default:
			fileSays = fmt.Sprintf("postmaster.pid names PID %d, which is not this data directory's postmaster (%s)", f.PF.PID, f.VerdictWhy)
		}
	}
	if len(f.Found) > 0 {
		return Liveness{Running: true, PID: f.Found[0],
			Reason: fmt.Sprintf("%s, but PostgreSQL (PID %d, found from %s) runs from this data directory", fileSays, f.Found[0], f.FoundBy)}, nil
	}
	if f.Incomplete != "" {
		return Liveness{Reason: fileSays}, fmt.Errorf("%s, and whether PostgreSQL runs from this data directory cannot be told: %s", fileSays, f.Incomplete)
	}
	l.Reason = fileSays
	l.Stale = f.File == pidFileParsed
	l.PidFileUnusable = f.File == pidFileUnusable
	return l, nil
}

// procInfo is what /proc/<pid> tells about a process.
type procInfo struct {
	state byte
	ppid  int
	exe   string // program path ("" when unreadable)
	argv0 string
	cwd   string
	err   error // set when a needed entry could not be read
}

func readProc(pid int) (procInfo, bool) {
	var pi procInfo
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			return pi, false
		}
		pi.err = err
		return pi, true
	}
	// The fields after the parenthesised command name: state, ppid, …
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		pi.err = fmt.Errorf("unexpected %s/stat", dir)
		return pi, true
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) >= 2 {
		pi.state = fields[0][0]
		pi.ppid, _ = strconv.Atoi(fields[1])
	}
	if pi.state == 'Z' || pi.state == 'X' {
		return pi, true
	}
	if exe, err := os.Readlink(dir + "/exe"); err == nil {
		pi.exe = strings.TrimSuffix(exe, " (deleted)")
	}
	if cmdline, err := os.ReadFile(dir + "/cmdline"); err == nil {
		pi.argv0 = string(bytes.SplitN(cmdline, []byte{0}, 2)[0])
	}
	cwd, err := os.Readlink(dir + "/cwd")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return pi, false // gone meanwhile
		}
		pi.err = err
	}
	pi.cwd = cwd
	return pi, true
}

func isPostgresProgram(pi procInfo) bool {
	name := pi.exe
	if name == "" {
		name = pi.argv0
	}
	base := filepath.Base(name)
	return base == "postgres" || base == "postmaster"
}

// sameDir compares a directory as a process or file names it with pgdata.
func sameDir(dir, pgdata string) bool {
	if dir == "" {
		return false
	}
	want, err := filepath.EvalSymlinks(pgdata)
	if err != nil {
		want = pgdata
	}
	return filepath.Clean(dir) == filepath.Clean(want) || filepath.Clean(dir) == filepath.Clean(pgdata)
}

// identify tells a live postmaster of pgdata from anything else with the
// same PID.
func identify(pid int, pgdata string) (procVerdict, string) {
	if pid <= 0 {
		return procDead, ""
	}
	pi, exists := readProc(pid)
	switch {
	case !exists:
		return procDead, ""
	case pi.state == 'Z' || pi.state == 'X':
		return procZombie, "it has exited and waits to be reaped"
	case (pi.exe != "" || pi.argv0 != "") && !isPostgresProgram(pi):
		prog := pi.exe
		if prog == "" {
			prog = pi.argv0
		}
		return procOther, fmt.Sprintf("it runs %q", prog)
	case pi.err != nil:
		return procUnknown, pi.err.Error()
	case !sameDir(pi.cwd, pgdata):
		return procOther, fmt.Sprintf("its working directory is %s", pi.cwd)
	case strings.HasPrefix(pi.argv0, "postgres:"):
		// Children retitle themselves ("postgres: checkpointer"); the
		// postmaster keeps its command line.
		return procOther, fmt.Sprintf("it is a PostgreSQL child process (%q)", pi.argv0)
	}
	if pp, ok := readProc(pi.ppid); ok && pp.err == nil && isPostgresProgram(pp) && sameDir(pp.cwd, pgdata) {
		return procOther, fmt.Sprintf("it is a child of PID %d", pi.ppid)
	}
	return procPostmaster, ""
}

// scanProc finds the postmasters of pgdata among all processes. Only
// processes whose command name is postgres are inspected further.
func scanProc(pgdata string) (found []int, incomplete string) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Sprintf("listing /proc: %v", err)
	}
	var unknown []string
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		comm, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err != nil {
			continue // gone meanwhile, or a kernel restriction on comm
		}
		if c := strings.TrimSpace(string(comm)); c != "postgres" && c != "postmaster" {
			continue
		}
		switch v, why := identify(pid, pgdata); v {
		case procPostmaster:
			found = append(found, pid)
		case procUnknown:
			unknown = append(unknown, fmt.Sprintf("PID %d (%s)", pid, why))
		}
	}
	sort.Ints(found)
	if len(found) == 0 && len(unknown) > 0 {
		incomplete = "postgres processes that cannot be inspected: " + strings.Join(unknown, ", ")
	}
	return found, incomplete
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
