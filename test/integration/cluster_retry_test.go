// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/test/fakecrm/state"
)

// cibadminNotConnected is what cibadmin 2.1.5 prints (with exit 102) on a
// node whose Pacemaker is not running (captured in the lab).
const cibadminNotConnected = "Could not connect to the CIB: Transport endpoint is not connected\nInit failed, could not perform requested operations\n"

// crmMonNotConnected is what crm_mon 2.1.5 prints (with exit 102) while it
// cannot reach the cluster.
const crmMonNotConnected = `<pacemaker-result api-version="2.25" request="crm_mon --one-shot --output-as=xml">
  <status code="102" message="Not connected">
    <errors>
      <error>crm_mon: Connection to cluster failed: Connection refused</error>
    </errors>
  </status>
</pacemaker-result>
`

// primaryAlone starts node1 as the only instance (node2 is a cluster node
// that runs nothing), lets it win the election alone and promotes it.
func (p *pair) primaryAlone() {
	p.t.Helper()
	r := p.run("node1", "monitor", "OCF_RESKEY_CRM_meta_interval=0")
	require.Equal(p.t, 7, r.RC, "probe: %s", r.Stderr)
	r = p.start("node1")
	require.Equal(p.t, 0, r.RC, "start: %s", r.Stderr)
	require.Equal(p.t, "node1", p.elect())
	r = p.promote("node1")
	require.Equal(p.t, 0, r.RC, "promote: %s", r.Stderr)
	require.Equal(p.t, "DISCONNECT", p.data("node2"))
}

// callsWith counts the logged calls of tool that had arg among their
// arguments.
func (p *pair) callsWith(tool, arg string) int {
	n := 0
	for _, c := range p.fc.State(p.t).CallsTo(tool) {
		for _, a := range c.Args {
			if a == arg {
				n++
				break
			}
		}
	}
	return n
}

// TestClusterTransientFailures: a primary's monitor survives crm_mon and
// crm_attribute failures that pass within its timeout (rc 8, the attribute
// written), fails with the attribute named when they outlast it, and does
// not retry a failure that cannot pass.
func TestClusterTransientFailures(t *testing.T) {
	p := newPair(t)
	p.primaryAlone()
	// node2 was streaming when last seen: the primary's monitor must
	// publish that it is gone.
	staleStreaming := func() {
		p.fc.Update(t, func(s *state.State) {
			require.NoError(t, s.SetAttr("node2", "pgsql-data-status", "STREAMING|SYNC", state.Forever))
		})
	}
	// The recurring monitor (role Promoted, as Pacemaker runs it) reads
	// the CIB with cibadmin; the probe, a one-off when Pacemaker starts,
	// reads crm_mon. Both reads get the same retries.
	primaryMonitor := func(timeoutMS string) (int, string) {
		r := p.run("node1", "monitor", "OCF_RESKEY_CRM_meta_interval=9000", "OCF_RESKEY_CRM_meta_timeout="+timeoutMS, "OCF_RESKEY_CRM_meta_role=Promoted")
		return r.RC, r.ExitReason()
	}
	probe := func(timeoutMS string) (int, string) {
		r := p.run("node1", "monitor", "OCF_RESKEY_CRM_meta_interval=0", "OCF_RESKEY_CRM_meta_timeout="+timeoutMS)
		return r.RC, r.ExitReason()
	}
	reads := []struct {
		tool    string
		monitor func(string) (int, string)
		fault   state.Fault
		// empty: exit 0 without usable status, which crm_mon prints
		// while it reconnects (cibadmin fails with an exit code).
		empty *state.Fault
	}{
		{"cibadmin", primaryMonitor, state.Fault{Tool: "cibadmin", Exit: 102, Stderr: cibadminNotConnected}, nil},
		{"crm_mon", probe, state.Fault{Tool: "crm_mon", Exit: 102, Stdout: crmMonNotConnected},
			&state.Fault{Tool: "crm_mon", Stdout: `<pacemaker-result api-version="2.25"><status code="0" message="OK"/></pacemaker-result>`}},
	}
	for _, rd := range reads {
		t.Run(rd.tool+" fails three times", func(t *testing.T) {
			staleStreaming()
			before := len(p.fc.State(t).CallsTo(rd.tool))
			f := rd.fault
			f.Times = 3
			p.fc.Update(t, func(s *state.State) { s.AddFault(f) })
			rc, reason := rd.monitor("30000")
			assert.Equal(t, 8, rc, reason)
			assert.Equal(t, "DISCONNECT", p.data("node2"))
			assert.Equal(t, 4, len(p.fc.State(t).CallsTo(rd.tool))-before, "three failed reads and one that worked")
		})

		if rd.empty == nil {
			continue
		}
		t.Run(rd.tool+" exits 0 without status three times", func(t *testing.T) {
			staleStreaming()
			f := *rd.empty
			f.Times = 3
			p.fc.Update(t, func(s *state.State) { s.AddFault(f) })
			rc, reason := rd.monitor("30000")
			assert.Equal(t, 8, rc, reason)
			assert.Equal(t, "DISCONNECT", p.data("node2"))
		})
	}

	t.Run("data-status write fails three times", func(t *testing.T) {
		staleStreaming()
		before := p.callsWith("crm_attribute", "--update=DISCONNECT")
		p.fc.Update(t, func(s *state.State) {
			s.AddFault(state.Fault{Tool: "crm_attribute", ArgContains: "--update=DISCONNECT", Exit: 1,
				Stderr: "crm_attribute: Error performing operation: Timer expired\n", Times: 3})
		})
		rc, reason := primaryMonitor("30000")
		assert.Equal(t, 8, rc, reason)
		assert.Equal(t, "DISCONNECT", p.data("node2"), "the failed write was repeated until it worked")
		assert.Equal(t, 4, p.callsWith("crm_attribute", "--update=DISCONNECT")-before)
	})

	t.Run("data-status write fails past the timeout", func(t *testing.T) {
		staleStreaming()
		p.fc.Update(t, func(s *state.State) {
			s.AddFault(state.Fault{Tool: "crm_attribute", ArgContains: "--update=DISCONNECT", Exit: 1,
				Stderr: "crm_attribute: Error performing operation: Timer expired\n"})
		})
		start := time.Now()
		rc, reason := primaryMonitor("8000")
		took := time.Since(start)
		assert.Equal(t, 1, rc)
		assert.Contains(t, reason, "setting pgsql-data-status=DISCONNECT on node2")
		assert.Contains(t, reason, "Timer expired")
		assert.Less(t, took, 8*time.Second, "the agent answers before Pacemaker's timeout")
		assert.Greater(t, p.callsWith("crm_attribute", "--update=DISCONNECT"), 3, "the write was retried")
		assert.Equal(t, "STREAMING|SYNC", p.data("node2"))

		// The cluster recovers: the next monitor writes the value.
		p.fc.Update(t, func(s *state.State) { s.Faults = nil })
		rc, reason = primaryMonitor("30000")
		assert.Equal(t, 8, rc, reason)
		assert.Equal(t, "DISCONNECT", p.data("node2"))
	})

	for _, rd := range reads {
		t.Run(rd.tool+" fails past the timeout", func(t *testing.T) {
			p.fc.Update(t, func(s *state.State) { s.AddFault(rd.fault) })
			defer p.fc.Update(t, func(s *state.State) { s.Faults = nil })
			start := time.Now()
			rc, reason := rd.monitor("8000")
			assert.Equal(t, 1, rc)
			assert.Contains(t, reason, "reading the cluster status")
			assert.Contains(t, reason, map[string]string{"cibadmin": "Transport endpoint is not connected", "crm_mon": "Connection refused"}[rd.tool])
			assert.Less(t, time.Since(start), 8*time.Second)
		})
	}

	t.Run("crm_node fails twice", func(t *testing.T) {
		// Without on_node meta the agent asks crm_node who it is.
		p.fc.Update(t, func(s *state.State) {
			s.AddFault(state.Fault{Tool: "crm_node", Exit: 102, Stderr: "error: Could not connect to controller: Connection refused\n", Times: 2})
		})
		r := p.run("node1", "monitor", "OCF_RESKEY_CRM_meta_interval=9000", "OCF_RESKEY_CRM_meta_on_node=")
		assert.Equal(t, 8, r.RC, r.ExitReason())
		assert.Equal(t, 3, len(p.fc.State(t).CallsTo("crm_node")))
	})

	t.Run("a usage error is not retried", func(t *testing.T) {
		staleStreaming()
		before := p.callsWith("crm_attribute", "--update=DISCONNECT")
		p.fc.Update(t, func(s *state.State) {
			s.AddFault(state.Fault{Tool: "crm_attribute", ArgContains: "--update=DISCONNECT", Exit: 64,
				Stderr: "crm_attribute: Unknown option\n"})
		})
		defer p.fc.Update(t, func(s *state.State) { s.Faults = nil })
		rc, reason := primaryMonitor("30000")
		assert.Equal(t, 1, rc)
		assert.True(t, strings.Contains(reason, "pgsql-data-status"), reason)
		assert.Equal(t, 1, p.callsWith("crm_attribute", "--update=DISCONNECT")-before)
	})
}
