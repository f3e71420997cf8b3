// SPDX-License-Identifier: Apache-2.0

package msg

import "testing"

func TestLangFrom(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want Lang
	}{
		{map[string]string{}, EN},
		{map[string]string{"LANG": "ja_JP.UTF-8"}, JA},
		{map[string]string{"LANG": "ja"}, JA},
		{map[string]string{"LANG": "en_US.UTF-8"}, EN},
		{map[string]string{"LC_MESSAGES": "ja_JP.eucJP", "LANG": "C"}, JA},
		{map[string]string{"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, EN},
		{map[string]string{"LC_ALL": "ja_JP.UTF-8", "LC_MESSAGES": "C"}, JA},
		{map[string]string{"LANG": "JA_JP"}, JA},
	}
	for _, tt := range tests {
		if got := LangFrom(func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("LangFrom(%v) = %v, want %v", tt.env, got, tt.want)
		}
	}
}
