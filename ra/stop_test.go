// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestPlanStop(t *testing.T) {
	s := time.Second
	cases := []struct {
		name             string
		budget, escalate time.Duration
		want             []stopPhase
	}{
		{"pacemaker default 120s, escalate 90s", 114 * s, 90 * s,
			[]stopPhase{{"smart", 5 * s}, {"fast", 90 * s}, {"immediate", 19 * s}}},
		{"escalate longer than the timeout is capped", 57 * s, 90 * s,
			[]stopPhase{{"smart", 5 * s}, {"fast", 42 * s}, {"immediate", 10 * s}}},
		{"escalate 0 is immediate at once (upstream)", 60 * s, 0,
			[]stopPhase{{"immediate", 60 * s}}},
		{"tiny budget still tries immediate", 8 * s, 90 * s,
			[]stopPhase{{"smart", s}, {"immediate", 7 * s}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan := planStop(tc.budget, tc.escalate)
			assert.Equal(t, tc.want, plan)
			var sum time.Duration
			for _, p := range plan {
				sum += p.Wait
			}
			assert.LessOrEqual(t, sum, tc.budget, "the plan fits the budget")
			assert.Equal(t, "immediate", plan[len(plan)-1].Mode)
		})
	}
}
