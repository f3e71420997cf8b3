// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/ocf"
)

// TestExit: the one mapping of an action's outcome to the exit code and
// the ocf-exit-reason line.
func TestExit(t *testing.T) {
	cases := []struct {
		name   string
		st     ocf.Status
		err    error
		code   ocf.Status
		reason string // "" for none
	}{
		{"success", ocf.RunningPromoted, nil, ocf.RunningPromoted, ""},
		{"a plain error is generic, on one line", 0, errors.New("pg_ctl failed:\n  no  server"), ocf.ErrGeneric, "pg_ctl failed: no server"},
		{"a code of its own, worded as it is", 0, failf(ocf.ErrConfigured, "a  b"), ocf.ErrConfigured, "a  b"},
		{"a wrapped code survives", 0, fmt.Errorf("start: %w", failf(ocf.ErrPerm, "x")), ocf.ErrPerm, "start: x"},
		{"a configuration error", 0, config.Errorf(ocf.ErrInstalled, "pgctl", "pgctl  missing"), ocf.ErrInstalled, "pgctl  missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			a := &Agent{Deps: Deps{Log: NewLogger(ocf.Env{}, &out, false)}}
			assert.Equal(t, tc.code, a.exit(tc.st, tc.err))
			if tc.reason == "" {
				assert.NotContains(t, out.String(), "ocf-exit-reason:")
				return
			}
			assert.Contains(t, out.String(), "ocf-exit-reason:"+tc.reason+"\n")
		})
	}
}
