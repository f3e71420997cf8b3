// SPDX-License-Identifier: Apache-2.0

// Package toolsconf reads the configuration file of pgrex's operator tools,
// the counterpart of PG-REX's /etc/pg-rex_tools.conf: one "KEY = VALUE" per
// line, "#" starts a comment. Every PG-REX key is understood (so an
// existing pg-rex_tools.conf can be reused as it is) and pgrex adds a few of
// its own. Parse validates every value and reports problems with the file,
// the line, the key and what was expected; an unknown key is a warning, not
// an error, as in PG-REX, but the warning suggests the key that was
// probably meant.
//
// Parsing does no I/O beyond reading the file in Load, so it is fuzzed.
package toolsconf

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultPath is where the tools look when no --config is given. A missing
// file there is not an error: every key has a default or is needed only by
// commands that say so.
const DefaultPath = "/etc/pgrex/pgrex_tools.conf"

// Built-in defaults (documented in docs/operations.md).
const (
	DefaultPrimitive      = "pgsql"
	DefaultVIPPrimary     = "vip-master"
	DefaultVIPReplication = "vip-rep"
	DefaultVIPStandby     = "vip-slave"
	DefaultTmpdir         = "/var/lib/pgsql/tmp"
	DefaultPGData         = "/var/lib/pgsql/data"
	DefaultCIBFile        = "/var/lib/pacemaker/cib/cib.xml"
	DefaultPingAttribute  = "default_ping_set"
	DefaultWALSegmentSize = 16 << 20
	DefaultCommandTimeout = 30 * time.Second
)

// DefaultDiskAttributes are the node attributes whose value ERROR means a
// disk failure (PG-REX's diskd: internal and shared disk).
var DefaultDiskAttributes = []string{"diskcheck_status_internal", "diskcheck_status"}

// Config is the parsed file. Fields keep their defaults for keys the file
// does not set; Lines tells which keys it did set.
type Config struct {
	// Path is the file that was read; "" when only defaults apply.
	Path string

	// PG-REX keys (pg-rex_tools.conf).
	ArchiveDir            string         // Archive_dir
	PrimaryResourceID     string         // PG_REX_Primary_ResourceID: the promotable clone; "" = find it in the cluster
	PrimitiveResourceID   string         // PG_REX_Primitive_ResourceID
	VIPPrimary            string         // IPADDR_PRIMARY_ResourceID
	VIPReplication        string         // IPADDR_REPLICATION_ResourceID
	VIPStandby            string         // IPADDR_STANDBY_ResourceID
	IPAddrStandby         bool           // IPADDR_STANDBY (enable/disable)
	PingResourceIDs       []string       // PING_ResourceID
	StorageMonResourceIDs []string       // STORAGE_MON_ResourceID
	StonithResourceIDs    []string       // STONITH_ResourceID (exactly two)
	Stonith               string         // STONITH (only "enable")
	DLANAddresses         []netip.Addr   // D_LAN_IPAddress (exactly two)
	ICLANAddresses        [][]netip.Addr // IC_LAN_IPAddress: pairs, one per ring
	PGPath                string         // PGPATH
	PeerSSHPassMode       string         // PEER_NODE_SSH_PASS_MODE
	PeerSSHPassFile       string         // PEER_NODE_SSH_PASS_FILE
	BackupSSHPassMode     string         // BACKUP_NODE_SSH_PASS_MODE
	BackupSSHPassFile     string         // BACKUP_NODE_SSH_PASS_FILE
	HAClusterName         string         // HACLUSTER_NAME

	// pgrex keys.
	Tmpdir         string        // Tmpdir: the agent's tmpdir (PGSQL.lock lives there)
	PGData         string        // PGDATA
	NodeName       string        // Node_name: this node's cluster name
	CIBFile        string        // CIB_file: the on-disk CIB read while Pacemaker is down
	PingAttribute  string        // Ping_attribute
	DiskAttributes []string      // Disk_attributes
	WALSegmentSize int64         // WAL_segment_size
	CommandTimeout time.Duration // Command_timeout

	// Lines maps the canonical name of every key the file set to its line.
	Lines map[string]int
}

// Default returns the configuration with nothing read.
func Default() Config {
	return Config{
		PrimitiveResourceID: DefaultPrimitive,
		VIPPrimary:          DefaultVIPPrimary,
		VIPReplication:      DefaultVIPReplication,
		VIPStandby:          DefaultVIPStandby,
		IPAddrStandby:       true,
		Stonith:             "enable",
		PeerSSHPassMode:     "manual",
		BackupSSHPassMode:   "manual",
		CIBFile:             DefaultCIBFile,
		PingAttribute:       DefaultPingAttribute,
		DiskAttributes:      append([]string(nil), DefaultDiskAttributes...),
		WALSegmentSize:      DefaultWALSegmentSize,
		CommandTimeout:      DefaultCommandTimeout,
		Lines:               map[string]int{},
	}
}

// IsSet reports whether the file set the key (canonical or any case).
func (c *Config) IsSet(key string) bool {
	k, ok := canonical[strings.ToLower(key)]
	if !ok {
		return false
	}
	_, set := c.Lines[k]
	return set
}

// Error is one invalid line.
type Error struct {
	File     string
	Line     int
	Key      string // "" for a line that is not KEY = VALUE
	Value    string
	Expected string
}

func (e *Error) Error() string {
	file := e.File
	if file == "" {
		file = "(config)"
	}
	if e.Key == "" {
		return fmt.Sprintf("%s:%d: expected KEY = VALUE, got %q", file, e.Line, e.Value)
	}
	return fmt.Sprintf("%s:%d: %s = %q: expected %s", file, e.Line, e.Key, e.Value, e.Expected)
}

// Warning is a line the tools ignore.
type Warning struct {
	File    string
	Line    int
	Key     string
	Suggest string // the known key it probably meant, or ""
}

func (w Warning) String() string {
	s := fmt.Sprintf("%s:%d: unknown key %s is ignored", w.File, w.Line, w.Key)
	if w.Suggest != "" {
		s += fmt.Sprintf(" (did you mean %s?)", w.Suggest)
	}
	return s
}

// Load reads path. When explicit is false (the default path was not asked
// for by name) a missing file yields the defaults; an explicitly named file
// must exist.
func Load(path string, explicit bool) (Config, []Warning, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !explicit {
			return Default(), nil, nil
		}
		return Default(), nil, fmt.Errorf("reading the tools configuration %s: %w", path, err)
	}
	return Parse(path, data)
}

type setter func(c *Config, v string) (expected string, ok bool)

type keyDef struct {
	name string
	set  setter
}

var idRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)
var clusterNameRE = regexp.MustCompile(`^[_0-9A-Za-z][-_0-9A-Za-z]*$`)
var attrNameRE = regexp.MustCompile(`^[^\s=]+$`)

func absPath(dst func(*Config) *string) setter {
	return func(c *Config, v string) (string, bool) {
		if !filepath.IsAbs(v) || strings.ContainsAny(v, "\x00\n") {
			return "an absolute path", false
		}
		*dst(c) = filepath.Clean(v)
		return "", true
	}
}

func resourceID(dst func(*Config) *string) setter {
	return func(c *Config, v string) (string, bool) {
		if !idRE.MatchString(v) {
			return "a Pacemaker resource id (letters, digits, '_', '.', '-')", false
		}
		*dst(c) = v
		return "", true
	}
}

func resourceList(n int, dst func(*Config) *[]string) setter {
	return func(c *Config, v string) (string, bool) {
		want := "a comma-separated list of resource ids"
		if n > 0 {
			want = fmt.Sprintf("exactly %d resource ids separated by a comma", n)
		}
		var ids []string
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if !idRE.MatchString(f) {
				return want, false
			}
			ids = append(ids, f)
		}
		if n > 0 && len(ids) != n {
			return want, false
		}
		*dst(c) = ids
		return "", true
	}
}

func oneOf(dst func(*Config) *string, values ...string) setter {
	return func(c *Config, v string) (string, bool) {
		for _, ok := range values {
			if strings.EqualFold(v, ok) {
				*dst(c) = ok
				return "", true
			}
		}
		return "one of " + strings.Join(values, ", "), false
	}
}

func parseAddrs(v string) ([]netip.Addr, bool) {
	var out []netip.Addr
	for _, f := range strings.Split(v, ",") {
		a, err := netip.ParseAddr(strings.TrimSpace(f))
		if err != nil {
			return nil, false
		}
		out = append(out, a)
	}
	return out, true
}

var pairRE = regexp.MustCompile(`^\(([^()]*)\)$`)

// parseRings reads "(a1, a2)" or "(a1, a2), (b1, b2)".
func parseRings(v string) ([][]netip.Addr, bool) {
	var rings [][]netip.Addr
	rest := strings.TrimSpace(v)
	for rest != "" {
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return nil, false
		}
		m := pairRE.FindStringSubmatch(strings.TrimSpace(rest[:end+1]))
		if m == nil {
			return nil, false
		}
		addrs, ok := parseAddrs(m[1])
		if !ok || len(addrs) != 2 {
			return nil, false
		}
		rings = append(rings, addrs)
		rest = strings.TrimSpace(rest[end+1:])
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return nil, false
		}
		rest = strings.TrimSpace(rest[1:])
		if rest == "" {
			return nil, false
		}
	}
	if len(rings) == 0 || len(rings) > 2 {
		return nil, false
	}
	return rings, true
}

// ParseSize reads a WAL segment size: bytes, or a number with kB, MB or GB
// (PostgreSQL's units, powers of 1024). It must be a power of two from
// 1 MB to 1 GB, the sizes initdb --wal-segsize accepts.
func ParseSize(v string) (int64, error) {
	s := strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"kB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}} {
		if len(s) > len(u.suffix) && strings.EqualFold(s[len(s)-len(u.suffix):], u.suffix) {
			s, mult = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<30)/mult {
		return 0, fmt.Errorf("WAL segment size %q: expected a power of two from 1MB to 1GB", v)
	}
	n *= mult
	if n < 1<<20 || n > 1<<30 || n&(n-1) != 0 {
		return 0, fmt.Errorf("WAL segment size %q: expected a power of two from 1MB to 1GB", v)
	}
	return n, nil
}

var keys = []keyDef{
	{"Archive_dir", absPath(func(c *Config) *string { return &c.ArchiveDir })},
	{"PG_REX_Primary_ResourceID", resourceID(func(c *Config) *string { return &c.PrimaryResourceID })},
	{"PG_REX_Primitive_ResourceID", resourceID(func(c *Config) *string { return &c.PrimitiveResourceID })},
	{"IPADDR_PRIMARY_ResourceID", resourceID(func(c *Config) *string { return &c.VIPPrimary })},
	{"IPADDR_REPLICATION_ResourceID", resourceID(func(c *Config) *string { return &c.VIPReplication })},
	{"IPADDR_STANDBY_ResourceID", resourceID(func(c *Config) *string { return &c.VIPStandby })},
	{"IPADDR_STANDBY", func(c *Config, v string) (string, bool) {
		switch strings.ToLower(v) {
		case "enable":
			c.IPAddrStandby = true
		case "disable":
			c.IPAddrStandby = false
		default:
			return "enable or disable", false
		}
		return "", true
	}},
	{"PING_ResourceID", resourceList(0, func(c *Config) *[]string { return &c.PingResourceIDs })},
	{"STORAGE_MON_ResourceID", resourceList(0, func(c *Config) *[]string { return &c.StorageMonResourceIDs })},
	{"STONITH_ResourceID", resourceList(2, func(c *Config) *[]string { return &c.StonithResourceIDs })},
	{"STONITH", oneOf(func(c *Config) *string { return &c.Stonith }, "enable")},
	{"D_LAN_IPAddress", func(c *Config, v string) (string, bool) {
		addrs, ok := parseAddrs(v)
		if !ok || len(addrs) != 2 {
			return "two IP addresses separated by a comma (this node's and the peer's)", false
		}
		c.DLANAddresses = addrs
		return "", true
	}},
	{"IC_LAN_IPAddress", func(c *Config, v string) (string, bool) {
		rings, ok := parseRings(v)
		if !ok {
			return "(address, address) or (address, address), (address, address)", false
		}
		c.ICLANAddresses = rings
		return "", true
	}},
	{"PGPATH", absPath(func(c *Config) *string { return &c.PGPath })},
	{"PEER_NODE_SSH_PASS_MODE", oneOf(func(c *Config) *string { return &c.PeerSSHPassMode }, "manual", "passfile", "nopass")},
	{"PEER_NODE_SSH_PASS_FILE", absPath(func(c *Config) *string { return &c.PeerSSHPassFile })},
	{"BACKUP_NODE_SSH_PASS_MODE", oneOf(func(c *Config) *string { return &c.BackupSSHPassMode }, "manual", "passfile", "nopass")},
	{"BACKUP_NODE_SSH_PASS_FILE", absPath(func(c *Config) *string { return &c.BackupSSHPassFile })},
	{"HACLUSTER_NAME", func(c *Config, v string) (string, bool) {
		if !clusterNameRE.MatchString(v) {
			return "a name of letters, digits, '_' and '-' (not starting with '-')", false
		}
		c.HAClusterName = v
		return "", true
	}},
	{"Tmpdir", absPath(func(c *Config) *string { return &c.Tmpdir })},
	{"PGDATA", absPath(func(c *Config) *string { return &c.PGData })},
	{"Node_name", func(c *Config, v string) (string, bool) {
		if strings.ContainsAny(v, " \t,") {
			return "a node name without blanks or commas", false
		}
		c.NodeName = v
		return "", true
	}},
	{"CIB_file", absPath(func(c *Config) *string { return &c.CIBFile })},
	{"Ping_attribute", func(c *Config, v string) (string, bool) {
		if !attrNameRE.MatchString(v) {
			return "a node attribute name", false
		}
		c.PingAttribute = v
		return "", true
	}},
	{"Disk_attributes", func(c *Config, v string) (string, bool) {
		var names []string
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if !attrNameRE.MatchString(f) {
				return "a comma-separated list of node attribute names", false
			}
			names = append(names, f)
		}
		c.DiskAttributes = names
		return "", true
	}},
	{"WAL_segment_size", func(c *Config, v string) (string, bool) {
		n, err := ParseSize(v)
		if err != nil {
			return "a power of two from 1MB to 1GB (e.g. 16MB)", false
		}
		c.WALSegmentSize = n
		return "", true
	}},
	{"Command_timeout", func(c *Config, v string) (string, bool) {
		d, err := time.ParseDuration(v)
		if err != nil {
			n, nerr := strconv.Atoi(v)
			if nerr != nil {
				return "a duration such as 30s or a number of seconds from 1 to 3600", false
			}
			d = time.Duration(n) * time.Second
		}
		if d < time.Second || d > time.Hour {
			return "a duration such as 30s or a number of seconds from 1 to 3600", false
		}
		c.CommandTimeout = d
		return "", true
	}},
}

// canonical maps a lower-cased key to its canonical spelling.
var canonical = func() map[string]string {
	m := map[string]string{}
	for _, k := range keys {
		m[strings.ToLower(k.name)] = k.name
	}
	return m
}()

var setters = func() map[string]setter {
	m := map[string]setter{}
	for _, k := range keys {
		m[k.name] = k.set
	}
	return m
}()

// Keys returns the canonical names of every known key, sorted.
func Keys() []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k.name)
	}
	sort.Strings(out)
	return out
}

// Parse reads the text of a configuration file; name is used in messages.
// Like PG-REX: "#" starts a comment anywhere on a line, full-width spaces
// count as blanks, the value is everything after the first "=" with blanks
// trimmed (so it may contain "=", commas and parentheses). Unlike PG-REX,
// keys match case-insensitively, a value in double quotes loses them, a key
// set twice is an error, and every invalid line is reported — all errors at
// once, joined.
func Parse(name string, data []byte) (Config, []Warning, error) {
	c := Default()
	c.Path = name
	var errs []error
	var warns []Warning
	text := strings.ReplaceAll(string(data), "\u3000", " ")
	for i, raw := range strings.Split(text, "\n") {
		lineNo := i + 1
		line := raw
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			errs = append(errs, &Error{File: name, Line: lineNo, Value: line})
			continue
		}
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		canon, known := canonical[strings.ToLower(k)]
		if !known {
			warns = append(warns, Warning{File: name, Line: lineNo, Key: k, Suggest: suggest(k)})
			continue
		}
		if prev, dup := c.Lines[canon]; dup {
			errs = append(errs, &Error{File: name, Line: lineNo, Key: canon, Value: v,
				Expected: fmt.Sprintf("the key only once (already set on line %d)", prev)})
			continue
		}
		if v == "" {
			errs = append(errs, &Error{File: name, Line: lineNo, Key: canon, Value: v, Expected: "a value"})
			continue
		}
		if expected, ok := setters[canon](&c, v); !ok {
			errs = append(errs, &Error{File: name, Line: lineNo, Key: canon, Value: v, Expected: expected})
			continue
		}
		c.Lines[canon] = lineNo
	}
	for _, p := range []struct{ mode, file, modeKey, fileKey string }{
		{c.PeerSSHPassMode, c.PeerSSHPassFile, "PEER_NODE_SSH_PASS_MODE", "PEER_NODE_SSH_PASS_FILE"},
		{c.BackupSSHPassMode, c.BackupSSHPassFile, "BACKUP_NODE_SSH_PASS_MODE", "BACKUP_NODE_SSH_PASS_FILE"},
	} {
		if p.mode == "passfile" && p.file == "" {
			errs = append(errs, &Error{File: name, Line: c.Lines[p.modeKey], Key: p.modeKey, Value: p.mode,
				Expected: p.fileKey + " to be set as well"})
		}
	}
	return c, warns, errors.Join(errs...)
}

// Require reports the keys among names the file did not set, as one error
// naming the file; commands call it for the keys they cannot default.
func (c *Config) Require(names ...string) error {
	var missing []string
	for _, n := range names {
		if !c.IsSet(n) {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	file := c.Path
	if file == "" {
		file = DefaultPath + " (not found)"
	}
	return fmt.Errorf("%s: %s must be set", file, strings.Join(missing, ", "))
}

// suggest returns the known key closest to k when it is close enough to be
// a typo.
func suggest(k string) string {
	best, bestD := "", 4
	for _, def := range keys {
		if d := distance(strings.ToLower(k), strings.ToLower(def.name)); d < bestD {
			best, bestD = def.name, d
		}
	}
	return best
}

// distance is the Levenshtein distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
