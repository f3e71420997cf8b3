// SPDX-License-Identifier: Apache-2.0

package archive

// What needs the archive, gathered from the command line: local data
// directories (their last checkpoint, read with pg_controldata), base
// backups, standbys' checkpoints.

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/pg"
)

// Runner runs one external command; *cmdrun.Runner is the real one.
type Runner interface {
	Run(ctx context.Context, c cmdrun.Cmd) (cmdrun.Result, error)
}

// Sources say which WAL must stay: --pgdata, --backup, --standby-redo.
type Sources struct {
	PGData, Backups, StandbyRedos []string
}

// Origin says, for the operator, what a Need comes from: Kind is "pgdata",
// "backup" or "standby"; Args fill in its message.
type Origin struct {
	Kind string
	Args []string
}

// Tools is how pg_controldata runs.
type Tools struct {
	Run Runner
	// PGPath is the directory of PostgreSQL's programs ("" = PATH).
	PGPath  string
	Timeout time.Duration
}

// GatherNeeds turns the sources into needs, in the order pgdata, backup,
// standby-redo, with one Origin per Need. segSize is the segment size to
// compute with; a data directory's pg_controldata replaces it (the size
// returned).
func GatherNeeds(ctx context.Context, t Tools, src Sources, segSize int64) ([]Need, []Origin, int64, error) {
	var needs []Need
	var origins []Origin
	for _, d := range src.PGData {
		cp, err := t.controlData(ctx, d)
		if err != nil {
			return nil, nil, segSize, err
		}
		if cp.SegSize != 0 {
			segSize = cp.SegSize
		}
		redo := fmt.Sprintf("%d:%s", cp.TLI, cp.Redo)
		needs = append(needs, Need{Source: "pgdata " + d + " (" + redo + ")",
			WAL: RedoSegmentName(cp.TLI, cp.Redo, segSize)})
		origins = append(origins, Origin{Kind: "pgdata", Args: []string{d, redo}})
	}
	for _, b := range src.Backups {
		text, where, err := ReadLabel(b)
		if err != nil {
			return nil, nil, segSize, err
		}
		l, err := ParseLabel(text, segSize)
		if err != nil {
			return nil, nil, segSize, fmt.Errorf("%s: %w", where, err)
		}
		needs = append(needs, Need{Source: "backup " + where, WAL: l.StartWAL})
		origins = append(origins, Origin{Kind: "backup", Args: []string{where}})
	}
	for _, s := range src.StandbyRedos {
		cp, err := ParseRedo(s)
		if err != nil {
			return nil, nil, segSize, fmt.Errorf("--standby-redo: %w", err)
		}
		needs = append(needs, Need{Source: "checkpoint " + s, WAL: RedoSegmentName(cp.TLI, cp.Redo, segSize)})
		origins = append(origins, Origin{Kind: "standby", Args: []string{s}})
	}
	return needs, origins, segSize, nil
}

// controlData runs pg_controldata on a data directory.
func (t Tools) controlData(ctx context.Context, pgdata string) (Checkpoint, error) {
	bin := "pg_controldata"
	if t.PGPath != "" {
		bin = filepath.Join(t.PGPath, "pg_controldata")
	}
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	res, err := t.Run.Run(ctx, cmdrun.Cmd{Path: bin, Args: []string{pgdata}, Timeout: t.Timeout})
	if err != nil {
		return Checkpoint{}, fmt.Errorf("reading the last checkpoint of %s: %w", pgdata, err)
	}
	cd, err := pg.ParseControlData(res.Stdout)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("reading the last checkpoint of %s: %w", pgdata, err)
	}
	return CheckpointOf(cd), nil
}
