// SPDX-License-Identifier: Apache-2.0

package cmdrun

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestShellQuote(t *testing.T) {
	assert.Equal(t, "plain", ShellQuote("plain"))
	assert.Equal(t, "'config_file=/a b'", ShellQuote("config_file=/a b"))
	assert.Equal(t, `'it'\''s'`, ShellQuote("it's"))
	assert.True(t, strings.HasPrefix(ShellQuote(""), "'"))
}
