// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// DefaultGuardPath is the node-wide lock of the procedures (PG-REX:
// /var/run/pg-rex_tools.pid).
const DefaultGuardPath = "/run/lock/pgrex-procedure.lock"

// ErrBusy means another procedure runs on this node.
var ErrBusy = errors.New("another pgrex procedure runs on this node")

// AcquireGuard makes sure only one procedure runs on a node at a time.
// PG-REX's tools create a PID file exclusively and have to guess whether
// a leftover one is stale; an flock is released by the kernel when the
// process ends, however it ends, so there is nothing to guess. The file
// holds the owner's PID for the message of the next one.
func AcquireGuard(path string) (release func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating the directory of %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b[:n]))); perr == nil {
				return nil, fmt.Errorf("%w (PID %d, %s)", ErrBusy, pid, path)
			}
			return nil, fmt.Errorf("%w (%s)", ErrBusy, path)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
