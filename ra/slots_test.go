// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"testing"

	"github.com/pgrex/pgrex/ra/pg"
	"github.com/stretchr/testify/assert"
)

func TestDecideMemberSlot(t *testing.T) {
	reserved := pg.SlotFact{Exists: true, Reserved: true}
	unreserved := pg.SlotFact{Exists: true}
	cases := []struct {
		name string
		m    memberSlot
		want slotAction
	}{
		{"missing, member running", memberSlot{Running: true}, slotCreate},
		{"missing, member gone", memberSlot{}, slotCreate},
		{"streaming through it", memberSlot{SlotFact: pg.SlotFact{Exists: true, Active: true, Reserved: true}, Connected: true, Running: true}, slotKeep},
		{"active, not in pg_stat_replication yet", memberSlot{SlotFact: pg.SlotFact{Exists: true, Active: true, Reserved: true}}, slotKeep},
		{"connected without the slot", memberSlot{SlotFact: reserved, Connected: true}, slotKeep},
		{"not streaming, instance running: expected back", memberSlot{SlotFact: reserved, Running: true}, slotKeep},
		{"not streaming, instance stopped: gone", memberSlot{SlotFact: reserved}, slotRelease},
		{"already released", memberSlot{SlotFact: unreserved}, slotKeep},
		{"fresh after promote, member starting", memberSlot{SlotFact: unreserved, Running: true}, slotKeep},
		{"lost, member running", memberSlot{SlotFact: pg.SlotFact{Exists: true, Lost: true}, Running: true}, slotRelease},
		{"lost but active", memberSlot{SlotFact: pg.SlotFact{Exists: true, Lost: true, Active: true}}, slotKeep},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want.String(), decideMemberSlot(c.m).String())
		})
	}
}
