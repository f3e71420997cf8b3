// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/test/pgtest"
)

// TestOCFTester runs resource-agents' ocf-tester against the agent in plain
// mode. Everything up to promote/demote must pass; promote and demote are
// refused with OCF_ERR_CONFIGURED in plain mode, exactly like upstream, and
// ocf-tester stops there. PGREX_OCF_TESTER_OUT names a file to keep the
// output in (docs/ocf-tester.txt is recorded that way).
func TestOCFTester(t *testing.T) {
	tester, err := exec.LookPath("ocf-tester")
	require.NoError(t, err, "ocf-tester missing: run `make setup` (package resource-agents)")
	i := pgtest.InitDB(t)
	bin := pgtest.Binary(t, "pgsql")
	args := []string{"-n", "pgsql"}
	for _, kv := range []string{
		"pgctl=" + filepath.Join(pgtest.PgBin, "pg_ctl"), "pgdata=" + i.Data, "pgdba=" + pgtest.OSUser,
		"pgport=" + strconv.Itoa(i.Port), "socketdir=" + i.Socket, "pgdb=postgres", "logfile=" + i.Log,
	} {
		args = append(args, "-o", kv)
	}
	args = append(args, bin)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tester, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGREX_NO_SYSLOG=1")
	out, _ := cmd.CombinedOutput()
	t.Cleanup(func() { agent(t, i.Env(), "stop") })
	text := string(out)
	if p := os.Getenv("PGREX_OCF_TESTER_OUT"); p != "" {
		require.NoError(t, os.WriteFile(p, out, 0o644))
	}
	require.Contains(t, text, "Beginning tests for "+bin)
	var failures []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "* rc=") {
			failures = append(failures, l)
		}
	}
	assert.Equal(t, []string{
		"* rc=6: Demoting a start resource should not fail",
		"* rc=6: Promote failed",
		"* rc=6: Demote failed",
	}, failures, "only promote/demote (plain mode) may fail:\n%s", text)
	assert.NotContains(t, text, "does not conform to ra-api-1.dtd")
	assert.NotContains(t, text, "too restrictive permissions")
}
