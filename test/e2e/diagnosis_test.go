//go:build e2e

// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"encoding/json"
	"time"

	"testing"
)

// diagnosisTimeout bounds one `pgrex status` run inside a node.
const diagnosisTimeout = 30 * time.Second

// checkDiagnosis runs `pgrex status --json` inside node via (the operator's
// view from a surviving node) and requires its diagnosis to be one of the
// manual's rows in allowed. It runs only with the pgrex agent installed
// (the CLI comes with it); the row it saw goes into the results table.
func checkDiagnosis(t *testing.T, ctx context.Context, l *Lab, scenario, via string, allowed ...string) {
	t.Helper()
	if l.Heartbeat() {
		return
	}
	out, err := l.Exec(ctx, diagnosisTimeout, via, "/usr/bin/pgrex", "status", "--json")
	var doc struct {
		Diagnosis struct {
			Row string `json:"row"`
		} `json:"diagnosis"`
	}
	if jerr := json.Unmarshal([]byte(out), &doc); jerr != nil {
		t.Errorf("%s: pgrex status --json on %s: %v (run error: %v)\n%s", scenario, via, jerr, err, out)
		return
	}
	record(scenario, "pgrex status diagnosis (on "+via+")", 0, doc.Diagnosis.Row)
	for _, a := range allowed {
		if doc.Diagnosis.Row == a {
			return
		}
	}
	t.Errorf("%s: pgrex status on %s diagnosed %q, want one of %v", scenario, via, doc.Diagnosis.Row, allowed)
}

// checkLockStatus runs `pgrex lock status --json` on node (the CLI reads
// tmpdir and pgdata from the CIB) and requires it to report the lock the
// agent left, with the node and timeline the agent wrote into it.
func checkLockStatus(t *testing.T, ctx context.Context, l *Lab, node string) {
	t.Helper()
	if l.Heartbeat() {
		return
	}
	out, err := l.Exec(ctx, diagnosisTimeout, node, "/usr/bin/pgrex", "lock", "status", "--json")
	var doc struct {
		Lock struct {
			Exists  bool `json:"exists"`
			Content struct {
				Node     string `json:"node"`
				Timeline uint32 `json:"timeline"`
			} `json:"content"`
		} `json:"lock"`
	}
	if jerr := json.Unmarshal([]byte(out), &doc); jerr != nil {
		t.Errorf("pgrex lock status --json on %s: %v (run error: %v)\n%s", node, jerr, err, out)
		return
	}
	if !doc.Lock.Exists {
		t.Errorf("pgrex lock status on %s does not see the lock the agent left:\n%s", node, out)
	}
	if err == nil {
		t.Errorf("pgrex lock status on %s exited 0 with a lock present (want 2)", node)
	}
	if doc.Lock.Content.Timeline == 0 {
		t.Errorf("pgrex lock status on %s: no timeline in the lock:\n%s", node, out)
	}
	if got := doc.Lock.Content.Node; got != node {
		t.Errorf("pgrex lock status on %s: lock written by node %q, want %q:\n%s", node, got, node, out)
	}
}
