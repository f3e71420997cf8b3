// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/pg"
)

// TestDecidePromote: promote re-checks what the (asynchronously written)
// promotion score stood for.
func TestDecidePromote(t *testing.T) {
	mine := pg.Location{TLI: 2, LSN: 0x5000000}
	cases := []struct {
		name      string
		mode      string
		data      string
		published map[string]pg.Location
		refuse    string
	}{
		{"the synchronous standby", config.ModeSync, attrd.DataSync, nil, ""},
		{"the election's winner", config.ModeSync, attrd.DataLatest, map[string]pg.Location{"node2": {TLI: 2, LSN: 0x4000000}}, ""},
		{"never replicated: a first cold start", config.ModeSync, "", nil, ""},
		{"an asynchronous standby under rep_mode=async", config.ModeAsync, attrd.DataAsync, nil, ""},
		{"DISCONNECT", config.ModeSync, attrd.DataDisconnect, nil, "pgsql-data-status is DISCONNECT"},
		{"DIVERGED", config.ModeSync, attrd.DataDiverged, nil, "pgsql-data-status is DIVERGED"},
		{"an asynchronous standby under rep_mode=sync", config.ModeSync, attrd.DataAsync, nil, "STREAMING|ASYNC"},
		{"a member published a newer timeline", config.ModeSync, attrd.DataLatest, map[string]pg.Location{"node2": {TLI: 3, LSN: 0x100}},
			"node2 published newer data (timeline 3, 0/100) than this node's (timeline 2, 0/5000000)"},
		{"a member published a later location", config.ModeSync, attrd.DataLatest, map[string]pg.Location{"node3": {TLI: 2, LSN: 0x5000001}}, "node3 published newer data"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			why := decidePromote(promoteFacts{Mode: tc.mode, DataName: "pgsql-data-status", Data: tc.data, Mine: mine, Published: tc.published})
			if tc.refuse == "" {
				assert.Empty(t, why)
			} else {
				assert.Contains(t, why, tc.refuse)
				assert.Contains(t, why, "promote refused: ")
			}
		})
	}
}
