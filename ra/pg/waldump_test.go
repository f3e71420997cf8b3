// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

const waldumpTail = `rmgr: Heap        len (rec/tot):     54/    54, tx:        745, lsn: 0/05000198, prev 0/05000160, desc: INSERT off 3 flags 0x00, blkref #0: rel 1663/5/16384 blk 0
rmgr: Transaction len (rec/tot):     34/    34, tx:        745, lsn: 0/050001D0, prev 0/05000198, desc: COMMIT 2026-12-02 10:40:01.123456 UTC
rmgr: Heap        len (rec/tot):     54/    54, tx:        746, lsn: 0/050001F8, prev 0/050001D0, desc: INSERT off 4 flags 0x00, blkref #0: rel 1663/5/16384 blk 0
rmgr: Transaction len (rec/tot):     34/    34, tx:        746, lsn: 0/05000230, prev 0/050001F8, desc: ABORT 2026-12-02 10:40:01.200000 UTC
rmgr: Transaction len (rec/tot):     34/    34, tx:        747, lsn: 0/05000258, prev 0/05000230, desc: COMMIT 2026-12-02 10:40:02.5 UTC; inval msgs: catcache 7
`

func TestParseWALTail(t *testing.T) {
	for _, tc := range []struct {
		name           string
		stdout, stderr string
		want           WALTail
	}{
		{name: "diverged records, end of valid WAL", stdout: waldumpTail,
			stderr: "pg_waldump: error: error in WAL record at 0/5000258: invalid record length at 0/5000280: wanted 24, got 0\n",
			want: WALTail{Records: 5, First: 0x5000198, Last: 0x5000258, Commits: 2, Aborts: 1,
				FirstCommit: "2026-12-02 10:40:01.123456 UTC", LastCommit: "2026-12-02 10:40:02.5 UTC", Complete: true,
				Stop: "pg_waldump: error: error in WAL record at 0/5000258: invalid record length at 0/5000280: wanted 24, got 0"}},
		{name: "nothing after the start point",
			stderr: "pg_waldump: error: could not find a valid record after 0/5000198\n",
			want:   WALTail{Complete: true, Stop: "pg_waldump: error: could not find a valid record after 0/5000198"}},
		{name: "PostgreSQL 13 wording", stdout: strings.SplitAfter(waldumpTail, "\n")[0],
			stderr: "pg_waldump: fatal: error in WAL record at 0/5000198: invalid record length at 0/50001D0: wanted 24, got 0\n",
			want: WALTail{Records: 1, First: 0x5000198, Last: 0x5000198, Complete: true,
				Stop: "pg_waldump: fatal: error in WAL record at 0/5000198: invalid record length at 0/50001D0: wanted 24, got 0"}},
		{name: "missing segment: end unknown", stdout: waldumpTail,
			stderr: "pg_waldump: error: could not find file \"000000010000000000000006\": No such file or directory\n",
			want: WALTail{Records: 5, First: 0x5000198, Last: 0x5000258, Commits: 2, Aborts: 1,
				FirstCommit: "2026-12-02 10:40:01.123456 UTC", LastCommit: "2026-12-02 10:40:02.5 UTC",
				Stop: "pg_waldump: error: could not find file \"000000010000000000000006\": No such file or directory", Missing: "000000010000000000000006"}},
		{name: "no output at all", want: WALTail{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, ParseWALTail([]byte(tc.stdout), []byte(tc.stderr)))
		})
	}
}

func FuzzParseWALTail(f *testing.F) {
	f.Add([]byte(waldumpTail), []byte("pg_waldump: error: error in WAL record at 0/5000258: x\n"))
	f.Fuzz(func(t *testing.T, out, errOut []byte) {
		w := ParseWALTail(out, errOut)
		if w.Records == 0 && (w.First != 0 || w.Last != 0 || w.Commits != 0) {
			t.Fatalf("records counted without records: %+v", w)
		}
		if w.Last < w.First && w.Records > 0 && w.Records == 1 {
			t.Fatalf("one record with two positions: %+v", w)
		}
		if w.Commits+w.Aborts > w.Records {
			t.Fatalf("more transactions than records: %+v", w)
		}
	})
}

func TestWALTailEndsAt(t *testing.T) {
	const seg = 16 << 20
	for _, tc := range []struct {
		name  string
		w     WALTail
		start LSN
		want  bool
	}{
		{"complete", WALTail{Complete: true}, 0x5000000, true},
		{"next segment missing after the last record", WALTail{Records: 2, Last: 0x5FFFF00, Missing: "000000010000000000000006"}, 0x5000100, true},
		{"next segment missing, no record after the start", WALTail{Missing: "000000010000000000000006"}, 0x5000100, true},
		{"a later segment missing: a hole", WALTail{Records: 2, Last: 0x5000200, Missing: "000000010000000000000007"}, 0x5000100, false},
		{"the start's own segment missing", WALTail{Missing: "000000010000000000000005"}, 0x5000100, false},
		{"a boundary start's own segment never made", WALTail{Missing: "000000010000000000000005"}, 0x5000000, true},
		{"a boundary start, the segment before it missing", WALTail{Missing: "000000010000000000000004"}, 0x5000000, false},
		{"stopped for another reason", WALTail{Stop: "permission denied"}, 0x5000100, false},
	} {
		assert.Equal(t, tc.want, tc.w.EndsAt(tc.start, seg), tc.name)
	}
}
