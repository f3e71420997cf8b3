// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"errors"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/ra/cmdrun"
)

// fakeGetent answers getent(1) queries from a table; a missing key exits 2
// as getent does.
func fakeGetent(t *testing.T, answers map[string]string) {
	old := getent
	t.Cleanup(func() { getent = old })
	getent = func(db, key string) ([]byte, error) {
		if out, ok := answers[db+" "+key]; ok {
			return []byte(out), nil
		}
		return nil, &cmdrun.Error{Cmd: "getent " + db + " " + key, ExitCode: 2}
	}
}

func TestLookupUserFiles(t *testing.T) {
	fakeGetent(t, map[string]string{"initgroups root": "root                  7 1000\n"})
	u, err := LookupUser("root")
	require.NoError(t, err)
	assert.Equal(t, uint32(0), u.UID)
	assert.Equal(t, "/root", u.Home)
	assert.Equal(t, []uint32{0, 7, 1000}, u.Groups(), "the primary group, then NSS's supplementary groups")
}

func TestLookupUserNSS(t *testing.T) {
	fakeGetent(t, map[string]string{
		"passwd ldapdba":     "ldapdba:*:70001:70001:LDAP DBA:/home/ldapdba:/bin/bash\n",
		"initgroups ldapdba": "ldapdba               70002 70001\n",
		"passwd broken":      "broken:x:1\n",
	})
	u, err := LookupUser("ldapdba")
	require.NoError(t, err, "an account only NSS knows is found through getent")
	assert.Equal(t, &User{Name: "ldapdba", UID: 70001, GID: 70001, Home: "/home/ldapdba"}, &User{Name: u.Name, UID: u.UID, GID: u.GID, Home: u.Home})
	assert.Equal(t, []uint32{70001, 70002}, u.Groups())

	_, err = LookupUser("nosuchuser-pgrex")
	var unknown user.UnknownUserError
	assert.True(t, errors.As(err, &unknown), "unknown everywhere: %v", err)
	assert.ErrorContains(t, err, `looking up OS user "nosuchuser-pgrex"`)

	_, err = LookupUser("broken")
	assert.ErrorContains(t, err, "not one passwd entry")
}

func TestGroupsWithoutGetent(t *testing.T) {
	old := getent
	t.Cleanup(func() { getent = old })
	getent = func(db, key string) ([]byte, error) { return nil, errors.New("getent: not found") }
	u, err := LookupUser("root")
	require.NoError(t, err)
	assert.Contains(t, u.Groups(), uint32(0), "Go's own /etc/group lookup when getent cannot run")
}

// TestGroupsMatchID: for a real account with a supplementary group (Debian's
// postgres is in ssl-cert), the groups are the ones id(1) reports (NSS's
// initgroups), with cgo or without.
func TestGroupsMatchID(t *testing.T) {
	out, err := exec.Command("id", "-G", "postgres").Output()
	require.NoError(t, err)
	var want []uint32
	for _, f := range strings.Fields(string(out)) {
		n, err := strconv.ParseUint(f, 10, 32)
		require.NoError(t, err)
		want = append(want, uint32(n))
	}
	require.Greater(t, len(want), 1, "postgres has a supplementary group")
	u, err := LookupUser("postgres")
	require.NoError(t, err)
	assert.ElementsMatch(t, want, u.Groups())
}
