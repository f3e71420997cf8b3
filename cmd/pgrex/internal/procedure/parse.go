// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/pgrex/pgrex/ra/pg"
)

// ForeverAttrs reads every node's permanent attributes from CIB XML — a
// whole cib.xml, `cibadmin --query` or `cibadmin --query --scope nodes`:
// node name → attribute name → value. Only instance_attributes without a
// rule are read; the first value of a name wins, as in Pacemaker.
func ForeverAttrs(cib []byte) (map[string]map[string]string, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(cib); err != nil {
		return nil, fmt.Errorf("parsing CIB XML: %w", err)
	}
	root := doc.Root()
	if root == nil {
		return nil, errors.New("parsing CIB XML: empty document")
	}
	var nodes []*etree.Element
	if root.Tag == "nodes" {
		nodes = root.SelectElements("node")
	} else {
		nodes = root.FindElements("//nodes/node")
	}
	out := map[string]map[string]string{}
	for _, n := range nodes {
		name := n.SelectAttrValue("uname", "")
		if name == "" {
			continue
		}
		attrs := map[string]string{}
		for _, set := range n.SelectElements("instance_attributes") {
			if set.SelectElement("rule") != nil {
				continue
			}
			for _, nv := range set.SelectElements("nvpair") {
				k := nv.SelectAttrValue("name", "")
				if _, dup := attrs[k]; k != "" && !dup {
					attrs[k] = nv.SelectAttrValue("value", "")
				}
			}
		}
		out[name] = attrs
	}
	return out, nil
}

// PrimaryFacts is what the running primary's PostgreSQL says about itself.
type PrimaryFacts struct {
	VersionNum     int    `json:"version_num"`
	InRecovery     bool   `json:"in_recovery"`
	SystemID       string `json:"system_id"`
	TLI            uint32 `json:"tli"`
	CurrentLSN     pg.LSN `json:"current_lsn"`
	FullPageWrites bool   `json:"full_page_writes"`
	Port           string `json:"port"`
	SegSize        int64  `json:"seg_size"`
}

// PrimaryQuery is the one query run on the peer (psql -At -F '|'): every
// fact in one row. On a standby the WAL position columns are empty.
const PrimaryQuery = "SELECT current_setting('server_version_num'), pg_is_in_recovery(), " +
	"(SELECT system_identifier FROM pg_control_system()), " +
	"CASE WHEN pg_is_in_recovery() THEN '' ELSE pg_walfile_name(pg_current_wal_lsn()) END, " +
	"CASE WHEN pg_is_in_recovery() THEN '' ELSE pg_current_wal_lsn()::text END, " +
	"current_setting('full_page_writes'), current_setting('port'), " +
	"(SELECT setting FROM pg_settings WHERE name = 'wal_segment_size')"

// ParsePrimaryFacts reads PrimaryQuery's row.
func ParsePrimaryFacts(out []byte) (PrimaryFacts, error) {
	var f PrimaryFacts
	line := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = strings.TrimSpace(line[i+1:])
	}
	cols := strings.Split(line, "|")
	if len(cols) != 8 {
		return f, fmt.Errorf("the primary's facts: expected 8 columns, got %q", line)
	}
	var err error
	if f.VersionNum, err = strconv.Atoi(cols[0]); err != nil {
		return f, fmt.Errorf("the primary's facts: server_version_num %q", cols[0])
	}
	f.InRecovery = cols[1] == "t"
	f.SystemID = cols[2]
	if !f.InRecovery {
		tli, ok := pg.ParseWALFileName(cols[3])
		if !ok {
			return f, fmt.Errorf("the primary's facts: WAL file name %q", cols[3])
		}
		f.TLI = tli
		if f.CurrentLSN, err = pg.ParseLSN(cols[4]); err != nil {
			return f, fmt.Errorf("the primary's facts: %w", err)
		}
	}
	f.FullPageWrites = cols[5] == "on"
	f.Port = cols[6]
	if f.SegSize, err = strconv.ParseInt(cols[7], 10, 64); err != nil || f.SegSize <= 0 {
		return f, fmt.Errorf("the primary's facts: wal_segment_size %q", cols[7])
	}
	return f, nil
}

// Listing is a directory listing: file name → size.
type Listing map[string]int64

// ParseFind reads `find DIR... -maxdepth 1 -type f -printf '%h\t%s\t%f\n'`
// into one listing per directory.
func ParseFind(out []byte) (map[string]Listing, error) {
	res := map[string]Listing{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if sc.Text() == "" {
			continue
		}
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("directory listing: unexpected line %q", sc.Text())
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("directory listing: size %q", f[1])
		}
		if res[f[0]] == nil {
			res[f[0]] = Listing{}
		}
		res[f[0]][f[2]] = n
	}
	return res, sc.Err()
}

// WALEnd is what pg_waldump found at the end of the local WAL.
type WALEnd struct {
	// LastRecord is the start of the last valid record; Known is false
	// when the end could not be told.
	LastRecord pg.LSN `json:"last_record"`
	// Bound is set instead when pg_waldump stopped at a missing segment:
	// every record starts before it.
	Bound pg.LSN `json:"bound,omitempty"`
	Known bool   `json:"known"`
}

// Before reports whether every local record starts before lsn.
func (w WALEnd) Before(lsn pg.LSN) bool {
	if !w.Known {
		return false
	}
	if w.Bound != 0 {
		return w.Bound <= lsn
	}
	return w.LastRecord < lsn
}

var (
	walErrRE     = regexp.MustCompile(`error in WAL record at ([0-9A-Fa-f]+/[0-9A-Fa-f]+)`)
	walMissingRE = regexp.MustCompile(`could not find file "([0-9A-F]{24})"`)
)

// ParseWALEnd reads the error pg_waldump --quiet prints where the valid
// WAL ends: "error in WAL record at X/Y: …" names the start of the last
// valid record; "could not find file "<seg>"" means everything before that
// segment was read.
func ParseWALEnd(stderr []byte, segSize int64) WALEnd {
	if m := walErrRE.FindSubmatch(stderr); m != nil {
		lsn, err := pg.ParseLSN(string(m[1]))
		if err == nil && lsn != 0 {
			return WALEnd{LastRecord: lsn, Known: true}
		}
	}
	if m := walMissingRE.FindSubmatch(stderr); m != nil && segSize > 0 {
		segno := pg.WALFileSegNo(string(m[1]), segSize)
		return WALEnd{Bound: pg.LSN(segno * uint64(segSize)), Known: true}
	}
	return WALEnd{}
}
