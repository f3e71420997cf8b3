// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecideValidation(t *testing.T) {
	ok := ValidationFacts{PGVersion: "15", PgDataExists: true, PgDataIsDir: true, PgDataWritable: true, ConfExists: true, ConfIsFile: true}
	with := func(f func(*ValidationFacts)) ValidationFacts { v := ok; f(&v); return v }
	cases := []struct {
		name   string
		env    ocf.Env
		facts  ValidationFacts
		action string
		probe  bool
		rc     ocf.Status
		reason string
	}{
		{"all fine", ocf.Env{}, ok, "start", false, 0, ""},
		{"pgctl missing", ocf.Env{}, with(func(v *ValidationFacts) { v.PgCtlErr = assert.AnError }), "start", false, ocf.ErrInstalled, "pgctl /usr/bin/pg_ctl is not usable"},
		{"pgctl missing on stop, nothing runs", ocf.Env{}, with(func(v *ValidationFacts) { v.PgCtlErr = assert.AnError }), "stop", false, 0, ""},
		{"pgctl missing on stop, server may run", ocf.Env{}, with(func(v *ValidationFacts) { v.PgCtlErr = assert.AnError; v.MayBeRunning = true }), "stop", false, ocf.ErrInstalled, "it cannot be stopped"},
		{"pgctl missing in probe", ocf.Env{}, with(func(v *ValidationFacts) { v.PgCtlErr = assert.AnError }), "monitor", true, 0, ""},
		{"pgctl missing in probe, server runs", ocf.Env{}, with(func(v *ValidationFacts) { v.PgCtlErr = assert.AnError; v.MayBeRunning = true }), "monitor", true, 0, ""},
		{"pgctl missing in recurring monitor", ocf.Env{}, with(func(v *ValidationFacts) { v.PgCtlErr = assert.AnError }), "monitor", false, ocf.ErrInstalled, "pgctl"},
		{"config a directory", ocf.Env{}, with(func(v *ValidationFacts) { v.ConfIsFile = false }), "start", false, ocf.ErrInstalled, "is not a regular file"},
		{"config a directory on stop", ocf.Env{}, with(func(v *ValidationFacts) { v.ConfIsFile = false }), "stop", false, 0, ""},
		{"tmpdir a file", ocf.Env{"OCF_RESKEY_rep_mode": "sync"}, with(func(v *ValidationFacts) { v.TmpDirNotDir = true }), "start", false, ocf.ErrPerm, "is not a directory"},
		{"tmpdir a file in a probe", ocf.Env{"OCF_RESKEY_rep_mode": "sync"}, with(func(v *ValidationFacts) { v.TmpDirNotDir = true }), "monitor", true, 0, ""},
		{"tmpdir a file, plain mode", ocf.Env{}, with(func(v *ValidationFacts) { v.TmpDirNotDir = true }), "start", false, 0, ""},
		{"config missing", ocf.Env{}, with(func(v *ValidationFacts) { v.ConfExists = false }), "start", false, ocf.ErrInstalled, "configuration file /var/lib/pgsql/data/postgresql.conf does not exist"},
		{"config missing in probe", ocf.Env{}, with(func(v *ValidationFacts) { v.ConfExists = false; v.PgDataExists = false }), "monitor", true, 0, ""},
		{"config missing on stop", ocf.Env{}, with(func(v *ValidationFacts) { v.ConfExists = false }), "stop", false, 0, ""},
		{"pgdata missing", ocf.Env{}, with(func(v *ValidationFacts) { v.PgDataExists = false }), "start", false, ocf.ErrInstalled, "does not exist"},
		{"pgdata missing on stop", ocf.Env{}, with(func(v *ValidationFacts) { v.PgDataExists = false }), "stop", false, 0, ""},
		{"pgdata a file", ocf.Env{}, with(func(v *ValidationFacts) { v.PgDataIsDir = false }), "monitor", false, ocf.ErrInstalled, "is not a directory"},
		{"pgdata not writable", ocf.Env{}, with(func(v *ValidationFacts) { v.PgDataWritable = false }), "start", false, ocf.ErrPerm, "is not writable by postgres"},
		{"old version with replication", ocf.Env{"OCF_RESKEY_rep_mode": "sync"}, with(func(v *ValidationFacts) { v.PGVersion = "9.0" }), "start", false, ocf.ErrInstalled, "needs PostgreSQL 9.1"},
		{"slot on 9.3", ocf.Env{"OCF_RESKEY_replication_slot_name": "s"}, with(func(v *ValidationFacts) { v.PGVersion = "9.3" }), "start", false, ocf.ErrConfigured, "need PostgreSQL 9.4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := config.Parse(tc.env)
			err := DecideValidation(&c, tc.facts, tc.action, tc.probe)
			if tc.rc == 0 {
				assert.Nil(t, err)
				return
			}
			require.NotNil(t, err)
			assert.Equal(t, tc.rc, err.RC)
			assert.Contains(t, err.Reason, tc.reason)
		})
	}
}

// TestGatherValidationFacts: the facts behind the probe/stop rules and the
// config and tmpdir checks, read from a real directory tree.
func TestGatherValidationFacts(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	require.NoError(t, os.MkdirAll(data, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tmp"), nil, 0o600))

	c, errs := config.Parse(ocf.Env{"OCF_RESKEY_pgdata": data, "OCF_RESKEY_pgctl": filepath.Join(dir, "no-pg_ctl"),
		"OCF_RESKEY_config": data, "OCF_RESKEY_tmpdir": filepath.Join(dir, "tmp")})
	require.Empty(t, errs)
	f := GatherValidation(&c, nil, false)
	assert.Error(t, f.PgCtlErr)
	assert.False(t, f.MayBeRunning, "no postmaster.pid: nothing runs")
	assert.True(t, f.ConfExists)
	assert.False(t, f.ConfIsFile, "config is a directory")
	assert.True(t, f.TmpDirNotDir)

	// A pid file naming a live process that is not a postgres of this
	// data directory (the test itself) is not a running server.
	require.NoError(t, os.WriteFile(filepath.Join(data, "postmaster.pid"), []byte(strconv.Itoa(os.Getpid())+"\n"+data+"\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(data, "postgresql.conf"), []byte("port = 5432\n"), 0o600))
	c.ConfigFile = filepath.Join(data, "postgresql.conf")
	require.NoError(t, os.Remove(filepath.Join(dir, "tmp")))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "tmp"), 0o700))
	f = GatherValidation(&c, nil, false)
	assert.True(t, f.ConfIsFile)
	assert.False(t, f.TmpDirNotDir)
	assert.False(t, f.MayBeRunning)
}
