// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sys/unix"
)

// ConnParams says how the agent reaches its server.
type ConnParams struct {
	// Host is a socket directory (absolute path) or a host name/address;
	// empty means the default socket directory.
	Host     string
	Port     int
	User     string
	Password string
	Database string
	// As is the OS identity of Unix-socket connections. PostgreSQL's default
	// "peer" authentication maps the connecting process's uid to a database
	// user; the shell agent gets pgdba's uid by running psql through su.
	// pgrex connects in-process, so it takes that uid on one OS thread for
	// the connect(2) call only (see dialUnixAs).
	As *User
}

// DefaultSocketDir is where Debian's PostgreSQL puts its socket.
const DefaultSocketDir = "/var/run/postgresql"

func quoteConnValue(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// Connect opens one pgx session (the tools' exporter, which scans typed
// values). Its lifetime is bounded by ctx.
func Connect(ctx context.Context, p ConnParams) (*pgx.Conn, error) {
	cfg, err := connConfig(p)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL at %s port %d as %s: %w", cfg.Host, p.Port, p.User, err)
	}
	return conn, nil
}

// Open opens the agent's session: the wire-protocol connection alone, read
// by Session in text format (rows.go). Its lifetime is bounded by ctx.
func Open(ctx context.Context, p ConnParams) (*pgconn.PgConn, error) {
	cfg, err := connConfig(p)
	if err != nil {
		return nil, err
	}
	conn, err := pgconn.ConnectConfig(ctx, &cfg.Config)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL at %s port %d as %s: %w", cfg.Host, p.Port, p.User, err)
	}
	return conn, nil
}

// connConfig is the settings of a session to p.
func connConfig(p ConnParams) (*pgx.ConnConfig, error) {
	host := p.Host
	if host == "" {
		host = DefaultSocketDir
	}
	kv := []string{
		"host=" + quoteConnValue(host),
		"port=" + strconv.Itoa(p.Port),
		"user=" + quoteConnValue(p.User),
		"dbname=" + quoteConnValue(p.Database),
		"application_name=pgrex-agent",
		"sslmode=disable",
	}
	if p.Password == "" && p.As != nil && p.As.Home != "" {
		// libpq as pgdba would read pgdba's ~/.pgpass, not root's.
		kv = append(kv, "passfile="+quoteConnValue(filepath.Join(p.As.Home, ".pgpass")))
	}
	cfg, err := pgx.ParseConfig(strings.Join(kv, " "))
	if err != nil {
		return nil, fmt.Errorf("building the connection settings: %w", err)
	}
	if p.Password != "" {
		cfg.Password = p.Password
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	cfg.Fallbacks = nil
	if p.As.NeedsSwitch() && strings.HasPrefix(host, "/") {
		as := p.As
		cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if network != "unix" {
				var d net.Dialer
				return d.DialContext(ctx, network, addr)
			}
			return dialUnixAs(ctx, addr, as)
		}
	}
	return cfg, nil
}

// dialUnixAs connects to a Unix socket with the effective uid/gid of u.
//
// setresuid(2) through the raw system call changes the credentials of the
// calling OS thread only (Go's syscall.Setresuid would change all threads).
// The work happens on a fresh goroutine locked to its thread: if restoring
// root fails, the goroutine exits still locked and the Go runtime destroys
// that thread, so no other goroutine can ever run with the borrowed identity.
func dialUnixAs(ctx context.Context, path string, u *User) (net.Conn, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{-1, fmt.Errorf("creating a socket: %w", err)}
			return
		}
		// connect(2) on a Unix socket blocks only while the listen backlog
		// is full; bound that wait by the caller's deadline.
		tv := unix.NsecToTimeval(time.Until(deadline).Nanoseconds())
		if tv.Sec < 0 || (tv.Sec == 0 && tv.Usec <= 0) {
			tv = unix.Timeval{Usec: 1000}
		}
		_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
		if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, ^uintptr(0), uintptr(u.GID), ^uintptr(0)); e != 0 {
			unix.Close(fd)
			runtime.UnlockOSThread()
			ch <- result{-1, fmt.Errorf("taking gid %d for the connection: %w", u.GID, e)}
			return
		}
		if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, ^uintptr(0), uintptr(u.UID), ^uintptr(0)); e != 0 {
			restored := restoreRoot()
			unix.Close(fd)
			if restored {
				runtime.UnlockOSThread()
			}
			ch <- result{-1, fmt.Errorf("taking uid %d for the connection: %w", u.UID, e)}
			return
		}
		cerr := unix.Connect(fd, &unix.SockaddrUnix{Name: path})
		if !restoreRoot() {
			unix.Close(fd)
			// Stay locked: the thread dies with this goroutine.
			ch <- result{-1, errors.New("could not restore root credentials after connecting")}
			return
		}
		runtime.UnlockOSThread()
		if cerr != nil {
			unix.Close(fd)
			ch <- result{-1, fmt.Errorf("connecting to %s as %s: %w", path, u.Name, cerr)}
			return
		}
		_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &unix.Timeval{})
		ch <- result{fd, nil}
	}()
	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		go func() { // reap the socket if connect finishes later
			if r := <-ch; r.err == nil {
				unix.Close(r.fd)
			}
		}()
		return nil, ctx.Err()
	}
	if r.err != nil {
		return nil, r.err
	}
	if err := unix.SetNonblock(r.fd, true); err != nil {
		unix.Close(r.fd)
		return nil, fmt.Errorf("preparing the socket: %w", err)
	}
	f := os.NewFile(uintptr(r.fd), path)
	defer f.Close()
	conn, err := net.FileConn(f) // dups the descriptor
	if err != nil {
		return nil, fmt.Errorf("wrapping the socket: %w", err)
	}
	return conn, nil
}

// restoreRoot puts the thread's effective ids back to root (the saved
// set-user-ID is still 0, so this is allowed).
func restoreRoot() bool {
	_, _, e1 := unix.RawSyscall(unix.SYS_SETRESUID, ^uintptr(0), 0, ^uintptr(0))
	_, _, e2 := unix.RawSyscall(unix.SYS_SETRESGID, ^uintptr(0), 0, ^uintptr(0))
	return e1 == 0 && e2 == 0
}
