// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pgrex/pgrex/ra/pg"
)

// TestDecideDiverged: a standby can follow the primary only from the
// primary's past, at or before the point its timeline was left.
func TestDecideDiverged(t *testing.T) {
	// The primary is on timeline 3: timeline 1 ended at 0/3000000,
	// timeline 2 at 0/5000000; it has flushed up to 0/7000000.
	primary := &pg.Source{SystemID: "7001", TLI: 3, XLogPos: 0x7000000, History: []pg.HistoryEntry{
		{ParentTLI: 1, SwitchLSN: 0x3000000}, {ParentTLI: 2, SwitchLSN: 0x5000000}}}
	cases := []struct {
		name     string
		sysID    string
		mine     pg.Location
		src      *pg.Source
		diverged bool
		known    bool
		why      string
	}{
		{"no answer from the primary proves nothing", "7001", pg.Location{TLI: 1, LSN: 0x9000000}, nil, false, false, ""},
		{"on the primary's timeline, behind it", "7001", pg.Location{TLI: 3, LSN: 0x6000000}, primary, false, true, ""},
		{"on the primary's timeline, at its end", "7001", pg.Location{TLI: 3, LSN: 0x7000000}, primary, false, true, ""},
		{"on the primary's timeline, ahead of it", "7001", pg.Location{TLI: 3, LSN: 0x7000001}, primary, true, true, "beyond the primary's 0/7000000"},
		{"an ancestor timeline, before the fork", "7001", pg.Location{TLI: 2, LSN: 0x4000000}, primary, false, true, ""},
		{"an ancestor timeline, exactly at the fork", "7001", pg.Location{TLI: 1, LSN: 0x3000000}, primary, false, true, ""},
		{"an ancestor timeline, past the fork", "7001", pg.Location{TLI: 1, LSN: 0x3000100}, primary, true, true, "beyond 0/3000000 where the primary's history left that timeline"},
		{"a newer timeline than the primary's", "7001", pg.Location{TLI: 4, LSN: 0x100}, primary, true, true, "timeline 4, the primary on the older timeline 3"},
		{"a timeline the primary's history does not hold", "7001", pg.Location{TLI: 2, LSN: 0x100},
			&pg.Source{SystemID: "7001", TLI: 3, XLogPos: 0x7000000, History: []pg.HistoryEntry{{ParentTLI: 1, SwitchLSN: 0x3000000}}}, true, true, "timeline 2 is not in the history"},
		{"another database cluster", "7002", pg.Location{TLI: 3, LSN: 0x100}, primary, true, true, "another database cluster (system identifier 7001, here 7002)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			diverged, why, known := decideDiverged(divergedFacts{SystemID: tc.sysID, Mine: tc.mine, Source: tc.src, MasterIP: "192.0.2.10"})
			assert.Equal(t, tc.diverged, diverged)
			assert.Equal(t, tc.known, known)
			if tc.why == "" {
				assert.Empty(t, why)
			} else {
				assert.Contains(t, why, tc.why)
			}
		})
	}
}
