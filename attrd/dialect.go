// SPDX-License-Identifier: Apache-2.0

package attrd

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pgrex/pgrex/ra/cmdrun"
)

// Dialect is how a Pacemaker release spells the options pgrex's tools pass:
// Pacemaker 1.1 knows neither crm_mon --output-as (it has --as-xml) nor
// crm_resource --promoted (it has --master). The agent's own calls
// (Snapshot, the attribute commands, Ban) use spellings every supported
// release takes and need no Dialect.
type Dialect int

// The dialects.
const (
	Pacemaker2  Dialect = iota // Pacemaker 2.x and later
	Pacemaker11                // Pacemaker 1.1
)

// Legacy reports whether d is Pacemaker 1.1's.
func (d Dialect) Legacy() bool { return d == Pacemaker11 }

// ReportArgs are crm_mon's arguments for the report the tools read: the
// same as `crm_mon -1 -A -f --output-as=xml` (or `--as-xml` on 1.1), which
// the fixtures in test/fixtures were captured with.
func (d Dialect) ReportArgs() []string {
	xml := "--output-as=xml"
	if d.Legacy() {
		xml = "--as-xml"
	}
	return []string{"--one-shot", "--show-node-attributes", "--failcounts", xml}
}

// BanArgs are crm_resource's arguments that keep resource off node
// (promotedOnly: keep only its promoted role off, as a switchover does).
func (d Dialect) BanArgs(resource, node string, promotedOnly bool) []string {
	args := []string{"--ban"}
	if promotedOnly {
		role := "--promoted"
		if d.Legacy() {
			role = "--master"
		}
		args = append(args, role)
	}
	return append(args, "--resource", resource, "--node", node)
}

// ClearArgs are crm_resource's arguments that remove the constraints a ban
// or a move left for resource: on node only, or everywhere when node is "".
func ClearArgs(resource, node string) []string {
	args := []string{"--clear", "--resource", resource}
	if node != "" {
		args = append(args, "--node", node)
	}
	return args
}

// DetectDialect is the one place pgrex tells Pacemaker 1.1 from later
// releases, by what `crm_mon --version` prints ("Pacemaker 1.1.23"). An
// answer that cannot be read is taken for 2.x, the releases pgrex is
// tested on.
func DetectDialect(ctx context.Context, run Runner, timeout time.Duration) Dialect {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := run.Run(ctx, cmdrun.Cmd{Path: "crm_mon", Args: []string{"--version"}, Timeout: timeout})
	if err == nil && strings.HasPrefix(strings.TrimSpace(string(res.Stdout)), "Pacemaker 1.") {
		return Pacemaker11
	}
	return Pacemaker2
}

// ReadReport runs crm_mon's report (ReportArgs) and returns its XML, for
// ParseCrmMon. `pgrex status` calls it without asking DetectDialect first,
// so that a status is one crm_mon call: a crm_mon that prints no XML for
// 2.x's options is Pacemaker 1.1's (2.x prints XML even when it cannot
// reach the cluster), and is asked again in 1.1's dialect. crm_mon prints
// XML with a status code when it fails (102, not connected): that XML is
// returned, and ParseCrmMon turns its code into the error.
func ReadReport(ctx context.Context, run Runner, timeout time.Duration) ([]byte, error) {
	var first error
	for _, d := range []Dialect{Pacemaker2, Pacemaker11} {
		res, err := run.Run(ctx, cmdrun.Cmd{Path: "crm_mon", Args: d.ReportArgs(), Timeout: timeout})
		if err == nil || LooksLikeReport(res.Stdout) {
			return res.Stdout, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, fmt.Errorf("reading the cluster status with crm_mon: %w", first)
}

// LooksLikeReport reports whether crm_mon printed a report (XML with a
// status or a nodes section), even with a failing exit code.
func LooksLikeReport(b []byte) bool {
	b = bytes.TrimSpace(b)
	return bytes.HasPrefix(b, []byte("<")) && (bytes.Contains(b, []byte("<status")) || bytes.Contains(b, []byte("<nodes")))
}
