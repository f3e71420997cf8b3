// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pgrex/pgrex/ra/cmdrun"
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

// Groups returns the group ids of u as initgroups(3) gives them: its
// primary group and every supplementary group the system's user database
// (NSS: files, LDAP, SSSD…) lists, as `getent initgroups` prints them. The
// agent is built without cgo, where Go's own lookup reads /etc/group only.
func (u *User) Groups() []uint32 {
	u.groupsOnce.Do(func() {
		u.groups = []uint32{u.GID}
		if out, err := getent("initgroups", u.Name); err == nil {
			f := strings.Fields(string(out))
			if len(f) > 0 && f[0] == u.Name {
				u.groups = appendIDs(u.groups, f[1:])
				return
			}
		}
		if u.lookup != nil {
			if ids, err := u.lookup.GroupIds(); err == nil {
				u.groups = appendIDs(u.groups, ids)
			}
		}
	})
	return u.groups
}

// appendIDs adds the numeric ids in ids that are not in have yet.
func appendIDs(have []uint32, ids []string) []uint32 {
	for _, g := range ids {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil || slices.Contains(have, uint32(n)) {
			continue
		}
		have = append(have, uint32(n))
	}
	return have
}

// getent queries the system's user database (NSS) through getent(1).
var getent = func(db, key string) ([]byte, error) {
	res, err := (&cmdrun.Runner{}).Run(context.Background(), cmdrun.Cmd{Path: "getent", Args: []string{db, key}, Timeout: 5 * time.Second})
	return res.Stdout, err
}

// LookupUser resolves an account like getent passwd: from /etc/passwd
// directly (the agent is built without cgo: a process start costs about a
// millisecond less), else through NSS with getent(1) for an account only a
// directory service knows.
func LookupUser(name string) (*User, error) {
	u, err := user.Lookup(name)
	var unknown user.UnknownUserError
	if errors.As(err, &unknown) {
		u, err = lookupNSS(name)
	}
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

// lookupNSS reads an account from `getent passwd name`
// (name:password:uid:gid:gecos:home:shell).
func lookupNSS(name string) (*user.User, error) {
	out, err := getent("passwd", name)
	if err != nil {
		var ce *cmdrun.Error
		if errors.As(err, &ce) && ce.ExitCode == 2 { // getent: key not found
			return nil, user.UnknownUserError(name)
		}
		return nil, err
	}
	f := strings.Split(strings.TrimSpace(string(out)), ":")
	if len(f) != 7 || f[0] != name {
		return nil, fmt.Errorf("getent passwd %s printed %q, not one passwd entry", name, cmdrun.OneLine(string(out)))
	}
	return &user.User{Username: f[0], Uid: f[2], Gid: f[3], Name: f[4], HomeDir: f[5]}, nil
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
