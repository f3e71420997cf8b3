// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// ParseWALFileName reads the timeline of a WAL segment file name
// (TTTTTTTTXXXXXXXXYYYYYYYY, 24 upper-case hex digits). Anything else —
// history files, .partial and .backup files, temporary files — is not a
// segment: ok is false.
func ParseWALFileName(name string) (tli uint32, ok bool) {
	if len(name) != 24 {
		return 0, false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < '0' || c > '9') && (c < 'A' || c > 'F') {
			return 0, false
		}
	}
	t, err := strconv.ParseUint(name[:8], 16, 32)
	if err != nil || t == 0 {
		return 0, false
	}
	return uint32(t), true
}

// NewestWALTimeline is the highest timeline of the WAL segment files in
// the data directory's pg_wal (pg_xlog before PostgreSQL 10), 0 when it
// holds none. A node has a timeline's WAL only by having replayed,
// received or restored it on that timeline: unlike a history file, which a
// standby also fetches for a timeline it cannot follow, a segment file of
// timeline N means the node really is on N.
func NewestWALTimeline(pgdata string, version int) (uint32, error) {
	dir := filepath.Join(pgdata, "pg_wal")
	if version != 0 && version < 1000 {
		dir = filepath.Join(pgdata, "pg_xlog")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("listing the WAL files in %s: %w", dir, err)
	}
	var newest uint32
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		if tli, ok := ParseWALFileName(e.Name()); ok && tli > newest {
			newest = tli
		}
	}
	return newest, nil
}
