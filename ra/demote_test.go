// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"testing"

	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/stretchr/testify/assert"
)

func TestDecideLockRemoval(t *testing.T) {
	assert.False(t, decideLockRemoval(ocf.Notify{}), "no notify data: the lock stays")
	assert.True(t, decideLockRemoval(ocf.Notify{Unpromoted: ocf.NotifyList{Present: true}}), "no standby: last node standing")
	assert.False(t, decideLockRemoval(ocf.Notify{Unpromoted: ocf.NotifyList{Present: true, Uname: []string{"node2"}}}), "a standby runs: switchover or failover")
}
