// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"

	"github.com/pgrex/pgrex/ra/pg"
)

// decideLocation is the location the node publishes for the election and
// records in PGSQL.lock. A standby's timeline is the newest it has WAL of:
// the restart point and the minimum recovery point lag a timeline switch
// until the next restart point, and the WAL receiver's is gone once the
// primary is, which is exactly when the election runs; the segment files
// in pg_wal do not lag. So a standby that followed a promotion is on the
// new timeline even before its first restart point there, and one left on
// an abandoned timeline (it has the new timeline's history file, perhaps,
// but no WAL of it) never claims it. Pure.
func decideLocation(f pg.LocationFacts) pg.Location {
	if !f.InRecovery && f.InsertTLI != 0 {
		return pg.Location{TLI: f.InsertTLI, LSN: f.LSN}
	}
	tli := f.CheckpointTLI
	for _, t := range []uint32{f.MinRecoveryTLI, f.ReceivedTLI, f.WALFileTLI, f.InsertTLI} {
		if t > tli {
			tli = t
		}
	}
	return pg.Location{TLI: tli, LSN: f.LSN}
}

// location is the server's WAL position and timeline (decideLocation).
func (a *Agent) location(ctx context.Context, c *pg.Session) (pg.Location, error) {
	f, err := c.LocationFacts(ctx, a.pgVersion())
	if err != nil {
		return pg.Location{}, err
	}
	return decideLocation(f), nil
}
