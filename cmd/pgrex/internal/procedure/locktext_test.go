// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
	"github.com/pgrex/pgrex/ra/lockfile"
)

// Every PostgreSQL role and refusal has a message.
func TestLockMessages(t *testing.T) {
	for _, role := range []lockfile.PGRole{lockfile.PGStopped, lockfile.PGPrimary, lockfile.PGStandby, lockfile.PGUnknown} {
		if !msg.Has("pg." + string(role)) {
			t.Errorf("no message for %s", role)
		}
	}
	f := lockfile.Facts{DataStatus: "DISCONNECT", DataStatusErr: errors.New("x"), BackupLabel: time.Now()}
	cf := LockClearFacts{Base: f}
	for _, c := range []lockfile.Code{lockfile.PrimaryRunning, lockfile.RoleUnknown, lockfile.DataBehind, lockfile.DataUnset,
		lockfile.DataUnreadable, lockfile.GroundLatest, lockfile.GroundSync, lockfile.GroundRebuilt, lockfile.GroundForced,
		lockfile.PeerUnreachable, lockfile.PeerPrimary, lockfile.PeerLatest, lockfile.PeerSaysBehind, lockfile.PeerNewerTimeline,
		lockfile.PeerAhead, lockfile.PeerUnknown, lockfile.GroundPeerBehind} {
		if got := LockReasonText(msg.JA, cf, c); got == string(c) || strings.Contains(got, "%!") {
			t.Errorf("%s renders %q", c, got)
		}
	}
}
