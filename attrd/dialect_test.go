// SPDX-License-Identifier: Apache-2.0

package attrd_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/test/fixtures"
)

func TestDialectArgs(t *testing.T) {
	tests := []struct {
		name string
		got  []string
		want string
	}{
		{"report 2.x", attrd.Pacemaker2.ReportArgs(), "--one-shot --show-node-attributes --failcounts --output-as=xml"},
		{"report 1.1", attrd.Pacemaker11.ReportArgs(), "--one-shot --show-node-attributes --failcounts --as-xml"},
		{"ban promoted 2.x", attrd.Pacemaker2.BanArgs("ms", "n1", true), "--ban --promoted --resource ms --node n1"},
		{"ban promoted 1.1", attrd.Pacemaker11.BanArgs("ms", "n1", true), "--ban --master --resource ms --node n1"},
		{"ban", attrd.Pacemaker11.BanArgs("pgsql", "n1", false), "--ban --resource pgsql --node n1"},
		{"clear", attrd.ClearArgs("ms", ""), "--clear --resource ms"},
		{"clear on a node", attrd.ClearArgs("ms", "n1"), "--clear --resource ms --node n1"},
	}
	for _, tt := range tests {
		if got := strings.Join(tt.got, " "); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDetectDialect(t *testing.T) {
	for out, want := range map[string]attrd.Dialect{
		"Pacemaker 1.1.23-1.el7_9.1\nWritten by Andrew Beekhof\n":                             attrd.Pacemaker11,
		"Pacemaker 2.1.5\nWritten by Andrew Beekhof and the Pacemaker project contributors\n": attrd.Pacemaker2,
		"": attrd.Pacemaker2,
	} {
		r := &scriptedRunner{answer: func(cmdrun.Cmd) reply { return reply{stdout: out} }}
		if got := attrd.DetectDialect(context.Background(), r, time.Second); got != want {
			t.Errorf("%q: %v, want %v", out, got, want)
		}
		if c := r.only(t); c.Path != "crm_mon" || !slices.Equal(c.Args, []string{"--version"}) {
			t.Errorf("ran %v", c)
		}
	}
}

// ReadReport: one call when crm_mon answers in XML, even failing (102);
// Pacemaker 1.1's options only when it printed no XML at all.
func TestReadReport(t *testing.T) {
	notConnected := string(fixtures.Read(t, "snapshot-not-connected.xml"))
	healthy11 := string(fixtures.Read(t, "pcmk11-healthy.xml"))
	tests := []struct {
		name  string
		reply func(args []string) reply
		calls int
		err   bool
	}{
		{"2.x", func([]string) reply {
			return reply{stdout: "<pacemaker-result><nodes/></pacemaker-result>"}
		}, 1, false},
		{"2.x not connected", func([]string) reply { return reply{stdout: notConnected, exit: 102} }, 1, false},
		{"1.1", func(args []string) reply {
			if slices.Contains(args, "--as-xml") {
				return reply{stdout: healthy11}
			}
			return reply{stderr: "crm_mon: unrecognized option '--output-as=xml'", exit: 64}
		}, 2, false},
		{"no crm_mon", func([]string) reply { return reply{stderr: "not found", exit: 127} }, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &scriptedRunner{answer: func(c cmdrun.Cmd) reply { return tt.reply(c.Args) }}
			out, err := attrd.ReadReport(context.Background(), r, time.Second)
			if (err != nil) != tt.err || len(r.cmds) != tt.calls {
				t.Fatalf("err %v after %d calls, want error %v after %d", err, len(r.cmds), tt.err, tt.calls)
			}
			if err == nil && !attrd.LooksLikeReport(out) {
				t.Errorf("returned %q", out)
			}
		})
	}
}
