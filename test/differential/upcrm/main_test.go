// SPDX-License-Identifier: Apache-2.0

package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

// The calls below are the forms heartbeat/pgsql (resource-agents 4.12)
// and ocf-shellfuncs make.
func TestTranslate(t *testing.T) {
	e := env(map[string]string{"OCF_RESOURCE_INSTANCE": "pgsql", "PGREX_FAKECRM_NODE": "node1"})
	for _, tc := range []struct {
		name string
		tool string
		args []string
		want call
	}{
		{"query", "crm_attribute", []string{"-l", "reboot", "-N", "node1", "-n", "pgsql-status", "-G", "-q"},
			call{tool: "crm_attribute", args: []string{"--lifetime=reboot", "--node=node1", "--name=pgsql-status", "--query", "--quiet"}}},
		{"update", "crm_attribute", []string{"-l", "forever", "-N", "node2", "-n", "pgsql-data-status", "-v", "LATEST"},
			call{tool: "crm_attribute", args: []string{"--lifetime=forever", "--node=node2", "--name=pgsql-data-status", "--update=LATEST"}}},
		{"delete", "crm_attribute", []string{"-l", "reboot", "-N", "node1", "-n", "pgsql-xlog-loc", "-D"},
			call{tool: "crm_attribute", args: []string{"--lifetime=reboot", "--node=node1", "--name=pgsql-xlog-loc", "--delete"}}},
		{"promotion from the environment", "crm_attribute", []string{"-p", "-v", "-INFINITY"},
			call{tool: "crm_attribute", args: []string{"--promotion=pgsql", "--update=-INFINITY"}}},
		{"promotion named", "crm_attribute", []string{"-p", "other", "-v", "1000"},
			call{tool: "crm_attribute", args: []string{"--promotion=other", "--update=1000"}}},
		{"promotion glued", "crm_attribute", []string{"-pother", "-G"},
			call{tool: "crm_attribute", args: []string{"--promotion=other", "--query"}}},
		{"crm_master", "crm_master", []string{"-l", "reboot", "-v", "100"},
			call{tool: "crm_attribute", args: []string{"--promotion=pgsql", "--lifetime=reboot", "--update=100"}}},
		{"crm_mon", "crm_mon", []string{"-1", "--output-as=xml"}, call{tool: "crm_mon", args: []string{"-1", "--output-as=xml"}}},
		{"crm_node", "crm_node", []string{"-n"}, call{tool: "crm_node", args: []string{"-n"}}},
		{"attrd_updater update", "attrd_updater", []string{"-n", "pgsql-receiver-status", "-v", "normal"},
			call{tool: "crm_attribute", args: []string{"--lifetime=reboot", "--node=node1", "--name=pgsql-receiver-status", "--update=normal"}}},
		{"attrd_updater delete", "attrd_updater", []string{"-n", "pgsql-receiver-status", "-D"},
			call{tool: "crm_attribute", args: []string{"--lifetime=reboot", "--node=node1", "--name=pgsql-receiver-status", "--delete"}}},
		{"pacemakerd version", "pacemakerd", []string{"-$"},
			call{direct: true, stdout: "Pacemaker 2.1.5\nWritten by Andrew Beekhof and the Pacemaker project contributors\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, translate(tc.tool, tc.args, e))
		})
	}
}

func TestTranslateRefuses(t *testing.T) {
	e := env(map[string]string{})
	for _, tc := range []struct {
		tool string
		args []string
	}{
		{"crm_attribute", []string{"-n"}},
		{"crm_attribute", []string{"-p", "-v", "1"}}, // no resource anywhere
		{"crm_attribute", []string{"stray"}},
		{"crm_attribute", []string{"--node", "node1"}},    // the shell agent never uses long options
		{"attrd_updater", []string{"-n", "x", "-v", "1"}}, // no local node
		{"pacemakerd", nil},
		{"crm_resource", []string{"-B"}},
	} {
		c := translate(tc.tool, tc.args, e)
		assert.True(t, c.direct, "%s %v", tc.tool, tc.args)
		assert.Equal(t, exitUsage, c.exit, "%s %v", tc.tool, tc.args)
	}
}

// FuzzTranslate: any argument list gives either a usage reply or a fakecrm
// call made only of long options (fakecrm refuses everything else).
func FuzzTranslate(f *testing.F) {
	f.Add("crm_attribute", "-l reboot -N node1 -n pgsql-status -G -q")
	f.Add("crm_attribute", "-p -v -INFINITY")
	f.Add("crm_master", "-l reboot -v 100")
	f.Add("attrd_updater", "-n a -D")
	f.Fuzz(func(t *testing.T, tool, argline string) {
		c := translate(tool, strings.Fields(argline), env(map[string]string{"OCF_RESOURCE_INSTANCE": "pgsql", "PGREX_FAKECRM_NODE": "n"}))
		if c.direct {
			return
		}
		if c.tool != "crm_attribute" {
			return
		}
		for _, a := range c.args {
			if !strings.HasPrefix(a, "--") {
				t.Fatalf("short or stray argument %q in %v", a, c.args)
			}
		}
	})
}
