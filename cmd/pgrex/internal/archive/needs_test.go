// SPDX-License-Identifier: Apache-2.0

package archive_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/archive"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/test/fixtures"
)

// controlDataRunner prints a fixture for pg_controldata and records the
// program it ran.
type controlDataRunner struct {
	out  []byte
	path *string
}

func (r controlDataRunner) Run(_ context.Context, c cmdrun.Cmd) (cmdrun.Result, error) {
	*r.path = c.Path
	return cmdrun.Result{Stdout: r.out}, nil
}

// The needs come in the order pgdata, backup, standby-redo, each with its
// origin; a data directory's segment size replaces the given one.
func TestGatherNeeds(t *testing.T) {
	var ran string
	tools := archive.Tools{Run: controlDataRunner{fixtures.Read(t, "controldata-standby.txt"), &ran},
		PGPath: "/usr/pgsql-15/bin", Timeout: time.Second}
	needs, origins, seg, err := archive.GatherNeeds(context.Background(), tools,
		archive.Sources{PGData: []string{"/data"}, StandbyRedos: []string{"3:0/5000028"}}, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	if ran != "/usr/pgsql-15/bin/pg_controldata" || seg != seg16 {
		t.Errorf("ran %s, segment size %d", ran, seg)
	}
	var kinds, wals []string
	for i, n := range needs {
		kinds = append(kinds, origins[i].Kind)
		wals = append(wals, n.WAL)
	}
	if !slices.Equal(kinds, []string{"pgdata", "standby"}) ||
		!slices.Equal(wals, []string{"000000010000000000000007", "000000030000000000000005"}) {
		t.Errorf("kinds %v, WAL %v", kinds, wals)
	}
	if !slices.Equal(origins[0].Args, []string{"/data", "1:0/7000028"}) {
		t.Errorf("pgdata origin %v", origins[0].Args)
	}
	if _, _, _, err := archive.GatherNeeds(context.Background(), tools,
		archive.Sources{StandbyRedos: []string{"nonsense"}}, seg16); err == nil {
		t.Error("bad --standby-redo accepted")
	}
}
