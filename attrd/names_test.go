// SPDX-License-Identifier: Apache-2.0

package attrd

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestScoreValue(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"100", 100, true},
		{ScorePromoteMe, 1000, true},
		{ScoreCanNotPromote, -Infinity, true},
		{"+INFINITY", Infinity, true},
		{"INFINITY", Infinity, true},
		{"-5", -5, true},
		{"9999999999", Infinity, true},
		{"", 0, false},
		{"1.5", 0, false},
		{"inf", 0, false},
		{"+", 0, false},
		{"-", 0, false},
		{"12345678901", 0, false},
		{"+-1", 0, false},
		{"-INFINITYX", 0, false},
		{"1 ", 1, true}, // Pacemaker's own output is trimmed first
	} {
		v, ok := ScoreValue(tc.in)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.Equal(t, tc.want, v, tc.in)
	}
}
