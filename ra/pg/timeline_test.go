// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseHistory(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []HistoryEntry
		err      string
	}{
		{name: "empty", in: ""},
		{name: "one promotion", in: "1\t0/5000198\tno recovery target specified\n",
			want: []HistoryEntry{{ParentTLI: 1, SwitchLSN: 0x5000198, Reason: "no recovery target specified"}}},
		{name: "two promotions, comment and blank line", in: "# pgrex\n1\t0/5000198\tno recovery target specified\n\n2\t1/A0\tat restore point \"x\"\n",
			want: []HistoryEntry{{ParentTLI: 1, SwitchLSN: 0x5000198, Reason: "no recovery target specified"},
				{ParentTLI: 2, SwitchLSN: 0x1000000A0, Reason: `at restore point "x"`}}},
		{name: "no reason", in: "3 0/10\n", want: []HistoryEntry{{ParentTLI: 3, SwitchLSN: 0x10}}},
		{name: "one field", in: "1\n", err: "line 1: expected TIMELINE LOCATION"},
		{name: "timeline zero", in: "0\t0/1\n", err: `line 1: timeline "0"`},
		{name: "timeline not a number", in: "x\t0/1\n", err: `line 1: timeline "x"`},
		{name: "bad LSN", in: "1\t0-1\n", err: "line 1: WAL location"},
		{name: "timelines out of order", in: "2\t0/10\n1\t0/20\n", err: "line 2: timeline 1 does not follow 2"},
		{name: "switch points out of order", in: "1\t0/20\n2\t0/10\n", err: "line 2: switch point 0/10 is before 0/20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseHistory([]byte(tc.in))
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestForkPoint(t *testing.T) {
	h := []HistoryEntry{{ParentTLI: 1, SwitchLSN: 0x100}, {ParentTLI: 3, SwitchLSN: 0x300}}
	for _, tc := range []struct {
		tli  uint32
		want LSN
		ok   bool
	}{{1, 0x100, true}, {2, 0, false}, {3, 0x300, true}, {4, 0, false}} {
		got, ok := ForkPoint(h, tc.tli)
		assert.Equal(t, tc.ok, ok, "tli %d", tc.tli)
		assert.Equal(t, tc.want, got, "tli %d", tc.tli)
	}
}

func FuzzParseHistory(f *testing.F) {
	f.Add([]byte("1\t0/5000198\tno recovery target specified\n2\t0/6000000\tx\n"))
	f.Add([]byte("# c\n\n3 1/0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHistory(b)
		if err != nil {
			return
		}
		for i := 1; i < len(h); i++ {
			if h[i].ParentTLI <= h[i-1].ParentTLI || h[i].SwitchLSN < h[i-1].SwitchLSN || h[i].ParentTLI == 0 {
				t.Fatalf("accepted an unordered history: %+v", h)
			}
		}
	})
}
