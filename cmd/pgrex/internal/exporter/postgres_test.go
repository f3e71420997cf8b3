// SPDX-License-Identifier: Apache-2.0

package exporter

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConnParams(t *testing.T) {
	p, err := ConnParams(map[string]string{"pgdba": "root", "pgport": "5433", "socketdir": "/run/pg", "pgdb": "postgres"})
	require.NoError(t, err)
	assert.Equal(t, "/run/pg", p.Host)
	assert.Equal(t, 5433, p.Port)
	assert.Equal(t, "root", p.User)
	assert.Equal(t, "postgres", p.Database)
	require.NotNil(t, p.As)
	assert.Equal(t, uint32(0), p.As.UID)

	p, err = ConnParams(map[string]string{"pgdba": "root", "pghost": "/tmp/sock", "socketdir": "/run/pg"})
	require.NoError(t, err)
	assert.Equal(t, "/tmp/sock", p.Host, "an absolute pghost is the socket directory")
	assert.Equal(t, 5432, p.Port)
	assert.Equal(t, "template1", p.Database)

	_, err = ConnParams(map[string]string{"pgdba": "root", "pgport": "x"})
	assert.ErrorContains(t, err, "pgport")
	_, err = ConnParams(map[string]string{"pgdba": "no-such-user-pgrex"})
	assert.ErrorContains(t, err, "no-such-user-pgrex")
}
