// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/test/pgtest"
)

// TestPgCtlData: pgctldata is what it says — the pg_controldata that reads
// the stopped data directory's state (logged before a start and after a
// stop) — and a pgctldata that is set but unusable fails validate-all with
// 6 and the reason.
func TestPgCtlData(t *testing.T) {
	i := pgtest.InitDB(t)
	notExec := filepath.Join(i.Dir, "pg_controldata")
	require.NoError(t, os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644))
	for _, tc := range []struct {
		name, value string
		rc          int
		reason      string
	}{
		{"empty: next to pgctl", "", 0, ""},
		{"the real one", filepath.Join(pgtest.PgBin, "pg_controldata"), 0, ""},
		{"missing", "/nonexistent/pg_controldata", 6, `pgctldata="/nonexistent/pg_controldata"`},
		{"not executable", notExec, 6, "not an executable file"},
	} {
		for _, level := range []string{"0", "10"} {
			t.Run(tc.name+" level "+level, func(t *testing.T) {
				r := agent(t, i.Env("OCF_RESKEY_pgctldata="+tc.value, "OCF_CHECK_LEVEL="+level), "validate-all")
				assert.Equal(t, tc.rc, r.RC, r.Stderr)
				if tc.reason != "" {
					assert.Contains(t, r.ExitReason(), tc.reason)
				}
			})
		}
	}

	env := i.Env()
	r := agent(t, withTimeout(env, "60000"), "start")
	require.Equal(t, 0, r.RC, r.Stderr)
	assert.Contains(t, r.Stderr, `data directory before start: cluster state "shut down", timeline 1, latest checkpoint `)
	r = agent(t, withTimeout(env, "60000"), "stop")
	require.Equal(t, 0, r.RC, r.Stderr)
	assert.Contains(t, r.Stderr, `data directory after stop: cluster state "shut down", timeline 1`)
	assert.NotContains(t, r.Stderr, "did not shut down cleanly")

	// An immediate stop (stop_escalate=0) leaves a crashed directory: said so.
	require.Equal(t, 0, agent(t, withTimeout(env, "60000"), "start").RC)
	r = agent(t, withTimeout(i.Env("OCF_RESKEY_stop_escalate=0"), "60000"), "stop")
	require.Equal(t, 0, r.RC, r.Stderr)
	assert.Contains(t, r.Stderr, `data directory after stop: cluster state "in production"`)
	assert.Contains(t, r.Stderr, "did not shut down cleanly")

	// The configured program is the one run: a broken one is a warning
	// naming it, and the start itself goes on.
	r = agent(t, withTimeout(i.Env("OCF_RESKEY_pgctldata=/bin/false"), "60000"), "start")
	require.Equal(t, 0, r.RC, r.Stderr)
	assert.Contains(t, r.Stderr, "/bin/false")
	require.Equal(t, 0, agent(t, withTimeout(env, "60000"), "stop").RC)
}
