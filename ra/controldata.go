// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/pgrex/pgrex/ra/pg"
)

// checkPgCtlData: a pgctldata the operator set must be an executable
// file. Empty means pg_controldata next to pgctl, which comes with it.
func checkPgCtlData(env ocf.Env, c *config.Config) *config.Error {
	if env["OCF_RESKEY_pgctldata"] == "" {
		return nil
	}
	if !filepath.IsAbs(c.PgCtlData) {
		return config.Errorf(ocf.ErrConfigured, "pgctldata", "parameter pgctldata=%q: expected an absolute path", c.PgCtlData)
	}
	if err := executable(c.PgCtlData); err != nil {
		return config.Errorf(ocf.ErrConfigured, "pgctldata", "parameter pgctldata=%q: %v", c.PgCtlData, err)
	}
	return nil
}

// describeControlData is the one log line about a stopped data directory.
func describeControlData(cd *pg.ControlData) string {
	s := fmt.Sprintf("cluster state %q, timeline %d, latest checkpoint %s (REDO %s)", cd.State, cd.Timeline(), cd.CheckpointLSN, cd.RedoLSN)
	if cd.MinRecoveryLSN != 0 {
		s += fmt.Sprintf(", minimum recovery point %s on timeline %d", cd.MinRecoveryLSN, cd.MinRecoveryTLI)
	}
	return s + ", system identifier " + cd.SystemID
}

// logControlData records, with pgctldata's pg_controldata, the state of
// the data directory while no server runs — before a start and after a
// stop — so the log tells what the server started from and whether it
// stopped cleanly. The server cannot be asked then; a failure to read it
// is a warning, never a failed operation.
func (a *Agent) logControlData(ctx context.Context, when string) {
	cd, err := a.ctl.ControlData(ctx, a.Cfg.PgCtlData)
	if err != nil {
		a.Log.Warnf("%s: %s", when, cmdrun.OneLine(err.Error()))
		return
	}
	a.Log.Infof("%s: %s", when, describeControlData(cd))
	if when == afterStop && !cd.CleanlyShutDown() {
		a.Log.Warnf("PostgreSQL did not shut down cleanly (cluster state %q): its next start runs crash recovery", cd.State)
	}
}

const (
	beforeStart = "data directory before start"
	afterStop   = "data directory after stop"
)
