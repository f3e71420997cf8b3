// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"bytes"
	"context"
	"testing"

	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/stretchr/testify/assert"
)

func runAgent(t *testing.T, env ocf.Env, action string) (ocf.Status, string) {
	t.Helper()
	var out bytes.Buffer
	d := Deps{Env: env, Stdout: &out, Log: NewLogger(env, &out, false)}
	rc := Run(context.Background(), d, []string{action})
	return rc, out.String()
}

// TestRunUnknownActionIgnoresConfiguration: an unknown action is
// OCF_ERR_UNIMPLEMENTED even when the configuration is broken (it was 6 or
// 5, from validation, before).
func TestRunUnknownActionIgnoresConfiguration(t *testing.T) {
	for name, env := range map[string]ocf.Env{
		"bad number":     {"OCF_RESOURCE_INSTANCE": "pgsql", "OCF_RESKEY_pgdba": "root", "OCF_RESKEY_pgport": "abc"},
		"pgctl missing":  {"OCF_RESOURCE_INSTANCE": "pgsql", "OCF_RESKEY_pgdba": "root", "OCF_RESKEY_pgctl": "/nonexistent/pg_ctl", "OCF_CHECK_LEVEL": "10"},
		"no such pgdba":  {"OCF_RESOURCE_INSTANCE": "pgsql", "OCF_RESKEY_pgdba": "no-such-user-here"},
		"bad rep_mode":   {"OCF_RESOURCE_INSTANCE": "pgsql", "OCF_RESKEY_pgdba": "root", "OCF_RESKEY_rep_mode": "bogus"},
		"valid defaults": {"OCF_RESOURCE_INSTANCE": "pgsql", "OCF_RESKEY_pgdba": "root"},
	} {
		for _, action := range []string{"frobnicate", "reload", "migrate_to"} {
			rc, out := runAgent(t, env, action)
			assert.Equal(t, ocf.ErrUnimplemented, rc, "%s, %s: %s", name, action, out)
			assert.Contains(t, out, "ocf-exit-reason:action \""+action+"\" is not implemented", name)
		}
	}
}

// TestRunWithoutInstance: an OCF caller (OCF_RA_VERSION_MAJOR set) that
// does not name the instance gets OCF_ERR_ARGS, as from ocf-shellfuncs;
// meta-data and methods still answer, and a hand-run agent (no OCF
// version) keeps the "pgsql" default.
func TestRunWithoutInstance(t *testing.T) {
	caller := ocf.Env{"OCF_RA_VERSION_MAJOR": "1", "OCF_RA_VERSION_MINOR": "1", "OCF_RESKEY_pgdba": "root"}
	for _, action := range []string{"validate-all", "monitor", "start", "stop", "frobnicate"} {
		rc, out := runAgent(t, caller, action)
		assert.Equal(t, ocf.ErrArgs, rc, "%s: %s", action, out)
		assert.Contains(t, out, "ocf-exit-reason:OCF_RESOURCE_INSTANCE is not set", action)
	}
	for _, action := range []string{"meta-data", "methods"} {
		rc, out := runAgent(t, caller, action)
		assert.Equal(t, ocf.Success, rc, "%s: %s", action, out)
	}
	rc, out := runAgent(t, ocf.Env{"OCF_RESKEY_pgdba": "root"}, "validate-all")
	assert.Equal(t, ocf.Success, rc, "hand-run validate-all: %s", out)
}
