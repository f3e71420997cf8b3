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

	"github.com/pgrex/pgrex/cmd/pgrex/internal/archive"
)

// ControlData is what pg_controldata (run with LC_ALL=C) says about a data
// directory.
type ControlData struct {
	SystemID string `json:"system_id"`
	// State is "Database cluster state": "shut down", "shut down in
	// recovery", "in production", "in archive recovery", …
	State string `json:"state"`
	// CheckpointLSN is "Latest checkpoint location"; RedoLSN its REDO
	// location; TLI "Latest checkpoint's TimeLineID".
	CheckpointLSN uint64 `json:"checkpoint_lsn"`
	RedoLSN       uint64 `json:"redo_lsn"`
	TLI           uint32 `json:"tli"`
	// MinRecoveryLSN/TLI: "Minimum recovery ending location" and its
	// timeline (0 when unset).
	MinRecoveryLSN uint64 `json:"min_recovery_lsn,omitempty"`
	MinRecoveryTLI uint32 `json:"min_recovery_tli,omitempty"`
	// DataChecksums is "Data page checksum version" (0 = off).
	DataChecksums int   `json:"data_checksums"`
	WALLogHints   bool  `json:"wal_log_hints"`
	SegSize       int64 `json:"seg_size"`
}

// CleanlyShutDown reports whether the server stopped cleanly (as primary
// or as standby).
func (c *ControlData) CleanlyShutDown() bool {
	return c.State == "shut down" || c.State == "shut down in recovery"
}

// InProduction reports whether the control file says the server runs, or
// ran until it crashed, as a primary.
func (c *ControlData) InProduction() bool { return c.State == "in production" }

// Timeline is the latest timeline the data directory is known to have
// reached: a standby that followed a promotion records the new timeline
// as its minimum recovery point's timeline long before a restartpoint
// puts it into "Latest checkpoint's TimeLineID".
func (c *ControlData) Timeline() uint32 {
	if c.MinRecoveryTLI > c.TLI {
		return c.MinRecoveryTLI
	}
	return c.TLI
}

// ParseControlData reads pg_controldata's output.
func ParseControlData(out []byte) (*ControlData, error) {
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	c := &ControlData{SystemID: kv["Database system identifier"], State: kv["Database cluster state"]}
	if c.SystemID == "" || c.State == "" {
		return nil, errors.New("pg_controldata: no \"Database system identifier\" or \"Database cluster state\" line (was it run with LC_ALL=C?)")
	}
	var err error
	lsn := func(key string, dst *uint64, required bool) {
		v, ok := kv[key]
		if !ok {
			if required && err == nil {
				err = fmt.Errorf("pg_controldata: no %q line", key)
			}
			return
		}
		n, perr := archive.ParseLSN(v)
		if perr != nil && err == nil {
			err = fmt.Errorf("pg_controldata: %s: %w", key, perr)
		}
		*dst = n
	}
	lsn("Latest checkpoint location", &c.CheckpointLSN, true)
	lsn("Latest checkpoint's REDO location", &c.RedoLSN, true)
	lsn("Minimum recovery ending location", &c.MinRecoveryLSN, false)
	if err != nil {
		return nil, err
	}
	tli, terr := strconv.ParseUint(kv["Latest checkpoint's TimeLineID"], 10, 32)
	if terr != nil || tli == 0 {
		return nil, fmt.Errorf("pg_controldata: Latest checkpoint's TimeLineID %q", kv["Latest checkpoint's TimeLineID"])
	}
	c.TLI = uint32(tli)
	if v, ok := kv["Min recovery ending loc's timeline"]; ok {
		n, _ := strconv.ParseUint(v, 10, 32)
		c.MinRecoveryTLI = uint32(n)
	}
	c.DataChecksums, _ = strconv.Atoi(kv["Data page checksum version"])
	c.WALLogHints = kv["wal_log_hints setting"] == "on"
	c.SegSize = 16 << 20
	if v, ok := kv["Bytes per WAL segment"]; ok {
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || n <= 0 || n&(n-1) != 0 {
			return nil, fmt.Errorf("pg_controldata: Bytes per WAL segment %q", v)
		}
		c.SegSize = n
	}
	return c, nil
}

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
	CurrentLSN     uint64 `json:"current_lsn"`
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
		if !archive.IsWALName(cols[3]) {
			return f, fmt.Errorf("the primary's facts: WAL file name %q", cols[3])
		}
		t, _ := strconv.ParseUint(cols[3][:8], 16, 32)
		f.TLI = uint32(t)
		if f.CurrentLSN, err = archive.ParseLSN(cols[4]); err != nil {
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
	LastRecord uint64 `json:"last_record"`
	// Bound is set instead when pg_waldump stopped at a missing segment:
	// every record starts before it.
	Bound uint64 `json:"bound,omitempty"`
	Known bool   `json:"known"`
}

// Before reports whether every local record starts before lsn.
func (w WALEnd) Before(lsn uint64) bool {
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
		lsn, err := archive.ParseLSN(string(m[1]))
		if err == nil && lsn != 0 {
			return WALEnd{LastRecord: lsn, Known: true}
		}
	}
	if m := walMissingRE.FindSubmatch(stderr); m != nil && segSize > 0 {
		name := string(m[1])
		hi, _ := strconv.ParseUint(name[8:16], 16, 32)
		lo, _ := strconv.ParseUint(name[16:24], 16, 32)
		segno := hi*((1<<32)/uint64(segSize)) + lo
		return WALEnd{Bound: segno * uint64(segSize), Known: true}
	}
	return WALEnd{}
}

// SegNo is the segment number of a 24-digit WAL name (timeline ignored).
func SegNo(name string, segSize int64) uint64 {
	hi, _ := strconv.ParseUint(name[8:16], 16, 32)
	lo, _ := strconv.ParseUint(name[16:24], 16, 32)
	return hi*((1<<32)/uint64(segSize)) + lo
}
