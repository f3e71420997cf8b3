// SPDX-License-Identifier: Apache-2.0

package toolsconf_test

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/toolsconf"
)

func TestParsePGRexFile(t *testing.T) {
	path := filepath.Join("testdata", "pg-rex_tools.conf")
	c, warns, err := toolsconf.Load(path, true)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings on a valid PG-REX file: %v", warns)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Archive_dir (trailing slash cleaned)", c.ArchiveDir, "/var/lib/pgsql/pg_archive"},
		{"PG_REX_Primary_ResourceID", c.PrimaryResourceID, "msPostgresql"},
		{"PG_REX_Primitive_ResourceID", c.PrimitiveResourceID, "pgsql"},
		{"IPADDR_STANDBY_ResourceID", c.VIPStandby, "vip-slave"},
		{"STORAGE_MON_ResourceID", strings.Join(c.StorageMonResourceIDs, "|"), "clnDiskd1|clnDiskd2"},
		{"STONITH_ResourceID", strings.Join(c.StonithResourceIDs, "|"), "grpStonith1|grpStonith2"},
		{"D_LAN_IPAddress", c.DLANAddresses, []netip.Addr{netip.MustParseAddr("192.168.2.1"), netip.MustParseAddr("192.168.2.2")}},
		{"IC_LAN rings", len(c.ICLANAddresses), 2},
		{"BACKUP_NODE_SSH_PASS_FILE (comment stripped)", c.BackupSSHPassFile, "/root/.backup_pass"},
		{"Tmpdir", c.Tmpdir, "/var/lib/pgsql/tmp"},
		{"WAL_segment_size", c.WALSegmentSize, int64(16 << 20)},
		{"Command_timeout", c.CommandTimeout, 45 * time.Second},
		{"default Ping_attribute", c.PingAttribute, "default_ping_set"},
		{"IsSet Archive_dir", c.IsSet("archive_dir"), true},
		{"IsSet Node_name", c.IsSet("Node_name"), false},
	}
	for _, ch := range checks {
		if !equal(ch.got, ch.want) {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func equal(a, b any) bool {
	if as, ok := a.([]netip.Addr); ok {
		return slices.Equal(as, b.([]netip.Addr))
	}
	return a == b
}

func TestParseLines(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		wantErr string // substring of the error; "" = valid
		check   func(t *testing.T, c toolsconf.Config)
	}{
		{name: "empty file gives defaults", text: "",
			check: func(t *testing.T, c toolsconf.Config) {
				if c.PrimitiveResourceID != "pgsql" || c.VIPReplication != "vip-rep" || !c.IPAddrStandby ||
					c.WALSegmentSize != 16<<20 || c.CIBFile != "/var/lib/pacemaker/cib/cib.xml" {
					t.Errorf("defaults: %+v", c)
				}
			}},
		{name: "keys are case-insensitive", text: "archive_DIR = /arc\n",
			check: func(t *testing.T, c toolsconf.Config) {
				if c.ArchiveDir != "/arc" || !c.IsSet("Archive_dir") {
					t.Errorf("ArchiveDir = %q", c.ArchiveDir)
				}
			}},
		{name: "value may contain =", text: "Tmpdir = /a=b\n",
			check: func(t *testing.T, c toolsconf.Config) {
				if c.Tmpdir != "/a=b" {
					t.Errorf("Tmpdir = %q", c.Tmpdir)
				}
			}},
		{name: "double quotes are dropped", text: `PGDATA = "/data"` + "\n",
			check: func(t *testing.T, c toolsconf.Config) {
				if c.PGData != "/data" {
					t.Errorf("PGData = %q", c.PGData)
				}
			}},
		{name: "full-width blanks count as blanks", text: "Archive_dir\u3000=\u3000/arc\u3000\n",
			check: func(t *testing.T, c toolsconf.Config) {
				if c.ArchiveDir != "/arc" {
					t.Errorf("ArchiveDir = %q", c.ArchiveDir)
				}
			}},
		{name: "CRLF line ends", text: "Archive_dir = /arc\r\nTmpdir = /t\r\n",
			check: func(t *testing.T, c toolsconf.Config) {
				if c.ArchiveDir != "/arc" || c.Tmpdir != "/t" {
					t.Errorf("got %q %q", c.ArchiveDir, c.Tmpdir)
				}
			}},
		{name: "IPADDR_STANDBY disable", text: "IPADDR_STANDBY = disable\n",
			check: func(t *testing.T, c toolsconf.Config) {
				if c.IPAddrStandby {
					t.Error("IPAddrStandby still true")
				}
			}},
		{name: "segment size in bytes", text: "WAL_segment_size = 67108864\n",
			check: func(t *testing.T, c toolsconf.Config) {
				if c.WALSegmentSize != 64<<20 {
					t.Errorf("WALSegmentSize = %d", c.WALSegmentSize)
				}
			}},
		{name: "timeout as seconds", text: "Command_timeout = 90\n",
			check: func(t *testing.T, c toolsconf.Config) {
				if c.CommandTimeout != 90*time.Second {
					t.Errorf("CommandTimeout = %v", c.CommandTimeout)
				}
			}},
		{name: "single IC-LAN ring", text: "IC_LAN_IPAddress = (10.0.0.1,10.0.0.2)\n",
			check: func(t *testing.T, c toolsconf.Config) {
				if len(c.ICLANAddresses) != 1 || len(c.ICLANAddresses[0]) != 2 {
					t.Errorf("rings = %v", c.ICLANAddresses)
				}
			}},
		{name: "relative archive dir", text: "\n\nArchive_dir = pg_archive\n", wantErr: `:3: Archive_dir = "pg_archive": expected an absolute path`},
		{name: "line without =", text: "Archive_dir /arc\n", wantErr: `:1: expected KEY = VALUE, got "Archive_dir /arc"`},
		{name: "empty value", text: "Tmpdir =\n", wantErr: `Tmpdir = "": expected a value`},
		{name: "duplicate key", text: "Tmpdir = /a\nTMPDIR = /b\n", wantErr: `:2: Tmpdir = "/b": expected the key only once (already set on line 1)`},
		{name: "one D-LAN address", text: "D_LAN_IPAddress = 10.0.0.1\n", wantErr: "expected two IP addresses separated by a comma"},
		{name: "D-LAN not an address", text: "D_LAN_IPAddress = 10.0.0.1, node2\n", wantErr: "expected two IP addresses"},
		{name: "IC-LAN without parentheses", text: "IC_LAN_IPAddress = 10.0.0.1, 10.0.0.2\n", wantErr: "IC_LAN_IPAddress"},
		{name: "IC-LAN trailing comma", text: "IC_LAN_IPAddress = (10.0.0.1, 10.0.0.2),\n", wantErr: "IC_LAN_IPAddress"},
		{name: "IC-LAN three rings", text: "IC_LAN_IPAddress = (1.1.1.1,1.1.1.2),(2.2.2.1,2.2.2.2),(3.3.3.1,3.3.3.2)\n", wantErr: "IC_LAN_IPAddress"},
		{name: "one STONITH resource", text: "STONITH_ResourceID = grpStonith1\n", wantErr: "expected exactly 2 resource ids"},
		{name: "STONITH disable refused", text: "STONITH = disable\n", wantErr: "expected one of enable"},
		{name: "bad pass mode", text: "PEER_NODE_SSH_PASS_MODE = password\n", wantErr: "expected one of manual, passfile, nopass"},
		{name: "passfile mode needs a file", text: "PEER_NODE_SSH_PASS_MODE = passfile\n", wantErr: "PEER_NODE_SSH_PASS_FILE to be set as well"},
		{name: "resource id with blank", text: "PG_REX_Primitive_ResourceID = pg sql\n", wantErr: "expected a Pacemaker resource id"},
		{name: "segment size not a power of two", text: "WAL_segment_size = 24MB\n", wantErr: "expected a power of two"},
		{name: "segment size too small", text: "WAL_segment_size = 512kB\n", wantErr: "expected a power of two"},
		{name: "timeout too long", text: "Command_timeout = 2h\n", wantErr: "Command_timeout"},
		{name: "node name with blank", text: "Node_name = node 1\n", wantErr: "expected a node name without blanks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := toolsconf.Parse("test.conf", []byte(tt.text))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				tt.check(t, c)
				return
			}
			if err == nil {
				t.Fatalf("no error, want one containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "test.conf:") {
				t.Errorf("error %q: want the file name and %q", err, tt.wantErr)
			}
		})
	}
}

// Every invalid line is reported at once, each as a *toolsconf.Error, and
// the typo of PG-REX's own sample (STORAGE_MON_ResouceID) gets a hint.
func TestParseReportsEveryProblem(t *testing.T) {
	path := filepath.Join("testdata", "broken.conf")
	_, warns, err := toolsconf.Load(path, true)
	if err == nil {
		t.Fatal("no error")
	}
	var lines []int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *toolsconf.Error
		if !errors.As(e, &ce) {
			t.Fatalf("%v is not a *toolsconf.Error", e)
		}
		if ce.File != path {
			t.Errorf("File = %q", ce.File)
		}
		lines = append(lines, ce.Line)
	}
	if want := []int{3, 4, 5, 6}; !slices.Equal(lines, want) {
		t.Errorf("error lines %v, want %v (%v)", lines, want, err)
	}
	if len(warns) != 1 || warns[0].Line != 2 || warns[0].Suggest != "STORAGE_MON_ResourceID" {
		t.Fatalf("warnings %v", warns)
	}
	if s := warns[0].String(); !strings.Contains(s, "did you mean STORAGE_MON_ResourceID?") {
		t.Errorf("warning text %q", s)
	}
}

func TestLoadMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.conf")
	c, _, err := toolsconf.Load(missing, false)
	if err != nil || c.Path != "" || c.PrimitiveResourceID != "pgsql" {
		t.Errorf("default path missing: %+v, %v; want defaults", c, err)
	}
	if _, _, err := toolsconf.Load(missing, true); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("explicit path missing: err %v, want one naming the file", err)
	}
}

func TestRequire(t *testing.T) {
	c, _, err := toolsconf.Parse("x.conf", []byte("Archive_dir = /arc\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Require("Archive_dir"); err != nil {
		t.Errorf("Require(set key): %v", err)
	}
	err = c.Require("Archive_dir", "D_LAN_IPAddress", "HACLUSTER_NAME")
	if err == nil || err.Error() != "x.conf: D_LAN_IPAddress, HACLUSTER_NAME must be set" {
		t.Errorf("Require: %v", err)
	}
	d := toolsconf.Default()
	if err := d.Require("Archive_dir"); err == nil || !strings.Contains(err.Error(), toolsconf.DefaultPath) {
		t.Errorf("Require without a file: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"16MB": 16 << 20, "1mb": 1 << 20, "1GB": 1 << 30, "1048576": 1 << 20, "2048kB": 2 << 20} {
		if got, err := toolsconf.ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-16MB", "2GB", "16TB", "MB", "1000000", "99999999999999999999"} {
		if _, err := toolsconf.ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

func TestCIBParams(t *testing.T) {
	cib, err := os.ReadFile(filepath.Join("testdata", "resources.xml"))
	if err != nil {
		t.Fatal(err)
	}
	p, found, err := toolsconf.CIBParams(cib, "pgsql")
	if err != nil || !found {
		t.Fatalf("CIBParams: %v, found=%v", err, found)
	}
	if p["tmpdir"] != "/var/lib/pgsql/tmp" || p["pgdata"] != "/var/lib/pgsql/data" {
		t.Errorf("params %v", p)
	}
	if _, ok := p["ruled"]; ok {
		t.Error("a rule-scoped instance_attributes set was read")
	}
	if _, found, _ := toolsconf.CIBParams(cib, "nosuch"); found {
		t.Error("found a primitive that does not exist")
	}
	if _, _, err := toolsconf.CIBParams([]byte("<cib"), "pgsql"); err == nil {
		t.Error("no error on broken XML")
	}

	c := toolsconf.Default()
	if v, src := c.Resolve("", "Tmpdir", c.Tmpdir, p, "tmpdir", toolsconf.DefaultTmpdir); v != "/var/lib/pgsql/tmp" || src != toolsconf.FromCIB {
		t.Errorf("Resolve from CIB: %q %q", v, src)
	}
	if v, src := c.Resolve("/flag", "Tmpdir", c.Tmpdir, p, "tmpdir", toolsconf.DefaultTmpdir); v != "/flag" || src != toolsconf.FromFlag {
		t.Errorf("Resolve from flag: %q %q", v, src)
	}
	c2, _, _ := toolsconf.Parse("t.conf", []byte("Tmpdir = /conf\n"))
	if v, src := c2.Resolve("", "Tmpdir", c2.Tmpdir, p, "tmpdir", toolsconf.DefaultTmpdir); v != "/conf" || src != toolsconf.FromConfig {
		t.Errorf("Resolve from config: %q %q", v, src)
	}
	if v, src := c.Resolve("", "Tmpdir", c.Tmpdir, nil, "tmpdir", toolsconf.DefaultTmpdir); v != toolsconf.DefaultTmpdir || src != toolsconf.FromDefault {
		t.Errorf("Resolve default: %q %q", v, src)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"pg-rex_tools.conf", "broken.conf"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("IC_LAN_IPAddress = ((1.1.1.1, 1.1.1.2)\n"))
	f.Add([]byte("WAL_segment_size = 9223372036854775807kB\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, warns, err := toolsconf.Parse("f.conf", data)
		for _, w := range warns {
			if w.Line < 1 || w.Key == "" {
				t.Fatalf("bad warning %+v", w)
			}
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.conf:") {
				t.Fatalf("error without file name: %v", err)
			}
			return
		}
		// Whatever parsed is valid.
		if c.WALSegmentSize < 1<<20 || c.WALSegmentSize > 1<<30 || c.WALSegmentSize&(c.WALSegmentSize-1) != 0 {
			t.Fatalf("segment size %d", c.WALSegmentSize)
		}
		if c.ArchiveDir != "" && !filepath.IsAbs(c.ArchiveDir) {
			t.Fatalf("relative Archive_dir %q", c.ArchiveDir)
		}
		if c.CommandTimeout < time.Second || c.CommandTimeout > time.Hour {
			t.Fatalf("timeout %v", c.CommandTimeout)
		}
	})
}
