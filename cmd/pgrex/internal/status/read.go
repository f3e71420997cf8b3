// SPDX-License-Identifier: Apache-2.0

package status

import (
	"context"
	"time"

	"github.com/pgrex/pgrex/attrd"
)

// ReadOfflineDataStatus fills in the data-status of the nodes whose
// attributes crm_mon does not show (offline nodes: it hides their forever
// data-status) from the CIB.
func (m *Model) ReadOfflineDataStatus(ctx context.Context, run attrd.Runner, timeout time.Duration) {
	crm := attrd.NewCRM(run, attrd.Options{Timeout: timeout})
	for i := range m.Nodes {
		n := &m.Nodes[i]
		if n.AttrsKnown {
			continue
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		v, found, err := crm.Get(ctx, n.Name, attrd.Names{Resource: m.Resource}.DataStatus(), attrd.Forever)
		cancel()
		if err == nil && found {
			n.DataStatus, n.DataStatusFrom = v, "cib"
		}
	}
}
