// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRepModeConfRoundTrip(t *testing.T) {
	assert.Equal(t, "synchronous_standby_names = ''\n", RenderRepModeConf(""))
	assert.Equal(t, "synchronous_standby_names = '\"pg-rex02\"'\n", RenderRepModeConf("pg-rex02"))
	for _, n := range []string{"", "pg-rex02", "node1"} {
		assert.Equal(t, n, ParseRepModeConf(RenderRepModeConf(n)))
	}
	assert.Equal(t, "pg-rex02", ParseRepModeConf("# comment\nsynchronous_standby_names = 'pg-rex02'\n"), "the unquoted form of old agents")
	assert.Equal(t, "", ParseRepModeConf("garbage"))
}
