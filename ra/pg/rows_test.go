// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScan(t *testing.T) {
	var b bool
	var n int64
	var s string
	require.NoError(t, scan([][]byte{[]byte("t"), []byte("-42"), []byte("0/3000060")}, &b, &n, &s))
	assert.True(t, b)
	assert.Equal(t, int64(-42), n)
	assert.Equal(t, "0/3000060", s)
	require.NoError(t, scan([][]byte{[]byte("f"), []byte("")}, &b, &s))
	assert.False(t, b)
	assert.Equal(t, "", s, "an empty text is not NULL")

	for name, tc := range map[string]struct {
		row  [][]byte
		dest []any
		want string
	}{
		"NULL boolean":     {[][]byte{nil}, []any{&b}, "column 1: boolean column is NULL"},
		"not a boolean":    {[][]byte{[]byte("true")}, []any{&b}, `column 1: boolean column is "true"`},
		"NULL text":        {[][]byte{[]byte("t"), nil}, []any{&b, &s}, "column 2: text column is NULL"},
		"not an integer":   {[][]byte{[]byte("1.5")}, []any{&n}, "column 1: integer column"},
		"too few columns":  {[][]byte{[]byte("t")}, []any{&b, &s}, "1 columns, want 2"},
		"unsupported type": {[][]byte{[]byte("1")}, []any{new(int)}, "cannot scan into *int"},
	} {
		err := scan(tc.row, tc.dest...)
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), tc.want, name)
		}
	}
}

func TestTextArray(t *testing.T) {
	assert.Equal(t, `{}`, textArray(nil))
	assert.Equal(t, `{"pgrex_node1","pgrex_node2"}`, textArray([]string{"pgrex_node1", "pgrex_node2"}))
	assert.Equal(t, `{"a\"b","c\\d"}`, textArray([]string{`a"b`, `c\d`}))
}
