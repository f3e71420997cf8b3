// SPDX-License-Identifier: Apache-2.0

package status

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/cmdrun"
)

// CrmMonArgs is the one crm_mon call of `pgrex status` (Pacemaker 2.x):
// the same report as `crm_mon -1 -A -f --output-as=xml`, which the lab
// fixtures were captured with.
func CrmMonArgs() []string {
	return []string{"--one-shot", "--show-node-attributes", "--failcounts", "--output-as=xml"}
}

// CrmMonArgs11 is Pacemaker 1.1's spelling of the same report.
func CrmMonArgs11() []string {
	return []string{"--one-shot", "--show-node-attributes", "--failcounts", "--as-xml"}
}

// ReadCrmMon runs crm_mon, falling back to Pacemaker 1.1's option when
// the 2.x one is not understood. crm_mon prints XML with a status code
// even when it fails (e.g. 102, not connected): that XML is returned, and
// Parse turns its code into the error.
func ReadCrmMon(ctx context.Context, run attrd.Runner, timeout time.Duration) ([]byte, error) {
	res, err := run.Run(ctx, cmdrun.Cmd{Path: "crm_mon", Args: CrmMonArgs(), Timeout: timeout})
	if err == nil || looksLikeXML(res.Stdout) {
		return res.Stdout, nil
	}
	res11, err11 := run.Run(ctx, cmdrun.Cmd{Path: "crm_mon", Args: CrmMonArgs11(), Timeout: timeout})
	if err11 == nil || looksLikeXML(res11.Stdout) {
		return res11.Stdout, nil
	}
	return nil, fmt.Errorf("reading the cluster status with crm_mon: %w", err)
}

func looksLikeXML(b []byte) bool {
	s := strings.TrimSpace(string(b))
	return strings.HasPrefix(s, "<") && (strings.Contains(s, "<status") || strings.Contains(s, "<nodes"))
}

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
