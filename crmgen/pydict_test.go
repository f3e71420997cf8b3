// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"slices"
	"testing"
)

// The expected orders were printed by CPython 2.7.18 for a dict filled in
// header order, which is what pm_crmgen iterated when writing op lines.
func TestOpAttributeOrder(t *testing.T) {
	tests := []struct {
		header []string
		want   []string
	}{
		{[]string{"type", "timeout", "interval", "on-fail", "start-delay"}, []string{"interval", "start-delay", "timeout", "on-fail"}},
		{[]string{"type", "timeout", "interval", "on-fail", "role"}, []string{"role", "interval", "timeout", "on-fail"}},
		{[]string{"type", "timeout", "interval", "on-fail"}, []string{"interval", "timeout", "on-fail"}},
		{[]string{"type", "timeout", "interval", "on-fail", "start-delay", "role"}, []string{"interval", "role", "timeout", "on-fail", "start-delay"}},
		{[]string{"interval", "type"}, []string{"interval"}},
		// Ten keys force two table resizes.
		{[]string{"type", "requires", "record-pending", "Timeout", "timeout", "interval", "on-fail", "role", "start-delay", "name"},
			[]string{"Timeout", "interval", "record-pending", "role", "timeout", "on-fail", "requires", "start-delay", "name"}},
		{[]string{"type", "名前", "timeout"}, []string{"名前", "timeout"}},
		{[]string{"type"}, nil},
	}
	for _, tt := range tests {
		if got := opAttributeOrder(tt.header); !slices.Equal(got, tt.want) {
			t.Errorf("opAttributeOrder(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestPyHash(t *testing.T) {
	// Values printed by CPython 2.7.18: hash("") == 0, hash("a"),
	// hash("timeout") on 64-bit Linux.
	tests := map[string]int64{
		"":        0,
		"a":       12416037344,
		"timeout": 3518923514865517174,
	}
	for s, want := range tests {
		if got := pyHash(s); got != want {
			t.Errorf("pyHash(%q) = %d, want %d", s, got, want)
		}
	}
}
