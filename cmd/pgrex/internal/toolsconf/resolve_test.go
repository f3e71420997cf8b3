// SPDX-License-Identifier: Apache-2.0

package toolsconf_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/toolsconf"
	"github.com/pgrex/pgrex/ra/cmdrun"
)

// runner answers cibadmin and crm_node with their texts; an empty text,
// and any other command, fails.
type runner struct {
	cib, node string
}

func (r runner) Run(_ context.Context, c cmdrun.Cmd) (cmdrun.Result, error) {
	out := map[string]string{"cibadmin": r.cib, "crm_node": r.node}[c.Path]
	if out == "" {
		return cmdrun.Result{ExitCode: 1}, &cmdrun.Error{Cmd: c.Path, ExitCode: 1, Err: errors.New("exit status 1")}
	}
	return cmdrun.Result{Stdout: []byte(out)}, nil
}

const resourcesXML = `<resources><primitive id="pgsql" class="ocf" provider="pgrex" type="pgsql">
<instance_attributes id="pgsql-ia"><nvpair id="a" name="tmpdir" value="/cib/tmp"/></instance_attributes>
</primitive></resources>`

// The tmpdir: the flag, the config, the live CIB, the on-disk CIB, the
// default.
func TestResolveTmpdir(t *testing.T) {
	ctx := context.Background()
	cfg := toolsconf.Default()
	cfg.CIBFile = filepath.Join(t.TempDir(), "cib.xml") // absent
	live := runner{cib: resourcesXML}
	if got, src := cfg.ResolveTmpdir(ctx, live, "/flag", "pgsql", true); got != "/flag" || src != toolsconf.FromFlag {
		t.Errorf("flag: %s %s", got, src)
	}
	if got, src := cfg.ResolveTmpdir(ctx, live, "", "pgsql", true); got != "/cib/tmp" || src != toolsconf.FromCIB {
		t.Errorf("live CIB: %s %s", got, src)
	}
	if got, _ := cfg.ResolveTmpdir(ctx, live, "", "pgsql", false); got != toolsconf.DefaultTmpdir {
		t.Errorf("not live, no CIB file: %s", got)
	}
	if got, _ := cfg.ResolveTmpdir(ctx, live, "", "other", true); got != toolsconf.DefaultTmpdir {
		t.Errorf("another resource: %s", got)
	}
}

// The node name: the flag, Node_name, crm_node (live only), the short
// host name.
func TestLocalNodeName(t *testing.T) {
	ctx := context.Background()
	cfg := toolsconf.Default()
	host := toolsconf.Host{Run: runner{node: "node1\n"}, Hostname: func() (string, error) { return "h1.example.com", nil }}
	noCRM := toolsconf.Host{Run: runner{}, Hostname: host.Hostname}
	for _, tt := range []struct {
		name string
		h    toolsconf.Host
		flag string
		live bool
		want string
	}{
		{"flag", host, "n9", true, "n9"},
		{"crm_node", host, "", true, "node1"},
		{"host name", noCRM, "", true, "h1"},
		{"offline", host, "", false, ""},
	} {
		if got := cfg.LocalNodeName(ctx, tt.h, tt.flag, tt.live); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	cfg.NodeName = "conf1"
	if got := cfg.LocalNodeName(ctx, host, "", true); got != "conf1" {
		t.Errorf("Node_name: %q", got)
	}
}
