// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/pgrex/pgrex/ra/pg"
)

func TestCheckPgCtlData(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "pg_controldata")
	require.NoError(t, os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644))
	exe := filepath.Join(dir, "exe")
	require.NoError(t, os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755))
	cases := []struct {
		name, value, reason string
	}{
		{"empty: next to pgctl", "", ""},
		{"an executable", exe, ""},
		{"missing", filepath.Join(dir, "missing"), "no such file"},
		{"not executable", plain, "not an executable file"},
		{"a directory", dir, "not an executable file"},
		{"relative", "bin/pg_controldata", "expected an absolute path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := ocf.Env{"OCF_RESKEY_pgctl": "/usr/lib/postgresql/15/bin/pg_ctl", "OCF_RESKEY_pgdata": dir, "OCF_RESKEY_pgctldata": tc.value}
			c, errs := config.Parse(env)
			require.Empty(t, errs)
			e := checkPgCtlData(env, &c)
			if tc.reason == "" {
				assert.Nil(t, e)
				return
			}
			require.NotNil(t, e)
			assert.Equal(t, ocf.ErrConfigured, e.RC)
			assert.Contains(t, e.Reason, "pgctldata")
			assert.Contains(t, e.Reason, tc.reason)
		})
	}
}

func TestDescribeControlData(t *testing.T) {
	cd := &pg.ControlData{SystemID: "7714580508463886212", State: "shut down in recovery", TLI: 1,
		CheckpointLSN: 0x2000060, RedoLSN: 0x2000028, MinRecoveryLSN: 0x3000000, MinRecoveryTLI: 2}
	assert.Equal(t, `cluster state "shut down in recovery", timeline 2, latest checkpoint 0/2000060 (REDO 0/2000028), minimum recovery point 0/3000000 on timeline 2, system identifier 7714580508463886212`,
		describeControlData(cd))
	cd.MinRecoveryLSN, cd.MinRecoveryTLI = 0, 0
	assert.NotContains(t, describeControlData(cd), "minimum recovery point")
}
