// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"testing"

	"github.com/pgrex/pgrex/ra/pg"
	"github.com/stretchr/testify/assert"
)

func TestNewerThanBaseline(t *testing.T) {
	assert.True(t, newerThanBaseline(pg.Location{TLI: 1, LSN: 0x20}, "0000000000000010"))
	assert.False(t, newerThanBaseline(pg.Location{TLI: 1, LSN: 0x10}, "0000000000000010"))
	assert.False(t, newerThanBaseline(pg.Location{TLI: 1, LSN: 0x90}, "2:0000000000000010"), "PG-REX 9.1 form: a later timeline is newer")
	assert.False(t, newerThanBaseline(pg.Location{LSN: 0x90}, "junk"))
}
