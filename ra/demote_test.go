// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDecideLockRemoval(t *testing.T) {
	assert.False(t, decideLockRemoval(Notify{}), "no notify data: the lock stays")
	assert.True(t, decideLockRemoval(Notify{Unpromoted: NotifyList{Present: true}}), "no standby: last node standing")
	assert.False(t, decideLockRemoval(Notify{Unpromoted: NotifyList{Present: true, Uname: []string{"node2"}}}), "a standby runs: switchover or failover")
}
