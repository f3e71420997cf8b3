// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// HistoryEntry is one line of a timeline history file: the timeline
// ParentTLI ended at SwitchLSN, where its child began.
type HistoryEntry struct {
	ParentTLI uint32 `json:"parent_tli"`
	SwitchLSN LSN    `json:"switch_lsn"`
	Reason    string `json:"reason,omitempty"`
}

// ParseHistory reads a timeline history file (<tli>.history, as
// TIMELINE_HISTORY sends it): lines "parentTLI <tab> X/Y <tab> reason",
// comments after '#', blank lines. Parent timelines must increase, as
// PostgreSQL writes them; anything else is refused, since a rejoin decides
// from this file where this node's history left the primary's.
func ParseHistory(data []byte) ([]HistoryEntry, error) {
	var out []HistoryEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			return nil, fmt.Errorf("timeline history line %d: expected TIMELINE LOCATION [REASON]", n)
		}
		tli, err := strconv.ParseUint(fields[0], 10, 32)
		if err != nil || tli == 0 {
			return nil, fmt.Errorf("timeline history line %d: timeline %q", n, fields[0])
		}
		lsn, err := ParseLSN(fields[1])
		if err != nil {
			return nil, fmt.Errorf("timeline history line %d: %w", n, err)
		}
		if len(out) > 0 {
			prev := out[len(out)-1]
			if uint32(tli) <= prev.ParentTLI {
				return nil, fmt.Errorf("timeline history line %d: timeline %d does not follow %d", n, tli, prev.ParentTLI)
			}
			if lsn < prev.SwitchLSN {
				return nil, fmt.Errorf("timeline history line %d: switch point %s is before %s", n, lsn, prev.SwitchLSN)
			}
		}
		out = append(out, HistoryEntry{ParentTLI: uint32(tli), SwitchLSN: lsn, Reason: strings.Join(fields[2:], " ")})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("timeline history: %w", err)
	}
	return out, nil
}

// ForkPoint is where the history of timeline `of` (whose history file is
// history) left timeline tli: the switch point of tli's entry. ok is false
// when tli is not an ancestor of `of` (tli == of has no fork: nothing
// left it).
func ForkPoint(history []HistoryEntry, tli uint32) (LSN, bool) {
	for _, h := range history {
		if h.ParentTLI == tli {
			return h.SwitchLSN, true
		}
	}
	return 0, false
}
