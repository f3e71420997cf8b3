// SPDX-License-Identifier: Apache-2.0

package msg

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0-9.]*[a-zA-Z%]`)

// Every message exists in both languages, uses only indexed verbs, and
// both texts use the same arguments.
func TestCatalog(t *testing.T) {
	for key, m := range catalog {
		if m[EN] == "" || m[JA] == "" {
			t.Errorf("%s: missing a language", key)
			continue
		}
		var idx [2][]string
		for l := range 2 {
			for _, v := range verbRE.FindAllStringSubmatch(m[l], -1) {
				if v[1] == "" {
					t.Errorf("%s (%d): verb %q without an argument index", key, l, v[0])
				}
				idx[l] = append(idx[l], v[0])
			}
			sort.Strings(idx[l])
			idx[l] = slices.Compact(idx[l])
		}
		if !slices.Equal(idx[EN], idx[JA]) {
			t.Errorf("%s: English uses %v, Japanese %v", key, idx[EN], idx[JA])
		}
		args := []any{"a1", "a2", "a3", "a4", "a5", "a6"}
		for l := range 2 {
			text := T(Lang(l), key, args...)
			if strings.Contains(text, "%!") {
				t.Errorf("%s (%d): %q", key, l, text)
			}
		}
	}
	if got := T(JA, "no.such.key"); got != "no.such.key" {
		t.Errorf("missing key renders %q", got)
	}
}
