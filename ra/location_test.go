// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pgrex/pgrex/ra/pg"
)

func TestDecideLocation(t *testing.T) {
	cases := []struct {
		name string
		f    pg.LocationFacts
		want pg.Location
	}{
		{"primary: the timeline it writes, even before its first checkpoint there",
			pg.LocationFacts{LSN: 0x5000000, InsertTLI: 2, CheckpointTLI: 1}, pg.Location{TLI: 2, LSN: 0x5000000}},
		{"standby streaming on its restart point's timeline",
			pg.LocationFacts{InRecovery: true, LSN: 0x5000000, CheckpointTLI: 1, MinRecoveryTLI: 1, ReceivedTLI: 1, WALFileTLI: 1}, pg.Location{TLI: 1, LSN: 0x5000000}},
		{"standby that followed a promotion, no restart point yet, primary gone",
			pg.LocationFacts{InRecovery: true, LSN: 0x3002000, CheckpointTLI: 1, MinRecoveryTLI: 1, WALFileTLI: 2}, pg.Location{TLI: 2, LSN: 0x3002000}},
		{"standby on an abandoned timeline: more WAL, older timeline",
			pg.LocationFacts{InRecovery: true, LSN: 0x9000000, CheckpointTLI: 1, WALFileTLI: 1}, pg.Location{TLI: 1, LSN: 0x9000000}},
		{"the receiver's timeline when it is ahead",
			pg.LocationFacts{InRecovery: true, LSN: 0x3002000, CheckpointTLI: 1, ReceivedTLI: 3, WALFileTLI: 2}, pg.Location{TLI: 3, LSN: 0x3002000}},
		{"the minimum recovery point's timeline when it is ahead",
			pg.LocationFacts{InRecovery: true, LSN: 0x3002000, CheckpointTLI: 1, MinRecoveryTLI: 2}, pg.Location{TLI: 2, LSN: 0x3002000}},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, decideLocation(tc.f), tc.name)
	}
	// The decision the election makes from these: the timeline-2 node
	// beats the abandoned branch's larger LSN.
	followed := decideLocation(cases[2].f)
	abandoned := decideLocation(cases[3].f)
	assert.True(t, followed.Newer(abandoned))
	entries := map[string]pg.Location{"c": followed, "b": abandoned}
	prev := electionNote{Rounds: 2, Entries: entries}
	outcome, _ := decideElection(prev, entries, "c", 3)
	assert.Equal(t, electionClaim, outcome)
	outcome, _ = decideElection(prev, entries, "b", 3)
	assert.Equal(t, electionLose, outcome)
}
