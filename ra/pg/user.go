// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"sync"
	"syscall"
)

// User is an operating-system account PostgreSQL runs as.
type User struct {
	Name string
	UID  uint32
	GID  uint32
	Home string

	// groups are the supplementary groups, looked up on first use: the
	// lookup walks every NSS group source (libnss_systemd's userdb probes
	// among them) and costs milliseconds that a monitor does not need.
	groupsOnce sync.Once
	groups     []uint32
	lookup     *user.User
}

// Groups returns the supplementary group ids of u.
func (u *User) Groups() []uint32 {
	u.groupsOnce.Do(func() {
		if u.lookup == nil {
			return
		}
		if ids, err := u.lookup.GroupIds(); err == nil {
			for _, g := range ids {
				if n, err := strconv.ParseUint(g, 10, 32); err == nil {
					u.groups = append(u.groups, uint32(n))
				}
			}
		}
	})
	return u.groups
}

// LookupUser resolves an account through the system's user database (NSS),
// like getent passwd.
func LookupUser(name string) (*User, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("looking up OS user %q: %w", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("OS user %q has a non-numeric uid %q", name, u.Uid)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("OS user %q has a non-numeric gid %q", name, u.Gid)
	}
	return &User{Name: name, UID: uint32(uid), GID: uint32(gid), Home: u.HomeDir, lookup: u}, nil
}

// NeedsSwitch reports whether the agent (running as euid) must change
// identity to act as u: only root can, and only root needs to.
func (u *User) NeedsSwitch() bool {
	return u != nil && os.Geteuid() == 0 && u.UID != 0
}

// Credential returns the credential for running a child as u, or nil when
// no switch is needed.
func (u *User) Credential() *syscall.Credential {
	if !u.NeedsSwitch() {
		return nil
	}
	return &syscall.Credential{Uid: u.UID, Gid: u.GID, Groups: u.Groups()}
}

// CanWriteDir decides from a stat result whether u may create files in a
// directory (write and search permission), the way the kernel would for a
// non-root user. Root-owned checks are not needed: PostgreSQL refuses to
// run as root.
func CanWriteDir(u *User, st os.FileInfo) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || !st.IsDir() {
		return false
	}
	mode := st.Mode().Perm()
	switch {
	case sys.Uid == u.UID:
		return mode&0o300 == 0o300
	case u.InGroup(sys.Gid):
		return mode&0o030 == 0o030
	default:
		return mode&0o003 == 0o003
	}
}

func (u *User) InGroup(gid uint32) bool {
	if u.GID == gid {
		return true
	}
	for _, g := range u.Groups() {
		if g == gid {
			return true
		}
	}
	return false
}
