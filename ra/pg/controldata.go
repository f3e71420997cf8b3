// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ControlData is what pg_controldata (run with LC_ALL=C) says about a data
// directory: the state of a stopped one, which the server cannot be asked.
type ControlData struct {
	SystemID string `json:"system_id"`
	// State is "Database cluster state": "shut down", "shut down in
	// recovery", "in production", "in archive recovery", …
	State string `json:"state"`
	// CheckpointLSN is "Latest checkpoint location"; RedoLSN its REDO
	// location; TLI "Latest checkpoint's TimeLineID".
	CheckpointLSN LSN    `json:"checkpoint_lsn"`
	RedoLSN       LSN    `json:"redo_lsn"`
	TLI           uint32 `json:"tli"`
	// MinRecoveryLSN/TLI: "Minimum recovery ending location" and its
	// timeline (0 when unset).
	MinRecoveryLSN LSN    `json:"min_recovery_lsn,omitempty"`
	MinRecoveryTLI uint32 `json:"min_recovery_tli,omitempty"`
	// DataChecksums is "Data page checksum version" (0 = off).
	DataChecksums int   `json:"data_checksums"`
	WALLogHints   bool  `json:"wal_log_hints"`
	SegSize       int64 `json:"seg_size"`
	// SegSizePrinted is false when pg_controldata printed no "Bytes per
	// WAL segment" line and SegSize is PostgreSQL's default of 16 MiB: a
	// caller that was told the size another way keeps that one.
	SegSizePrinted bool `json:"-"`
}

// CleanlyShutDown reports whether the server stopped cleanly (as primary
// or as standby).
func (c *ControlData) CleanlyShutDown() bool {
	return c.State == "shut down" || c.State == "shut down in recovery"
}

// InProduction reports whether the control file says the server runs, or
// ran until it crashed, as a primary.
func (c *ControlData) InProduction() bool { return c.State == "in production" }

// Timeline is the latest timeline the data directory is known to have
// reached: a standby that followed a promotion records the new timeline
// as its minimum recovery point's timeline long before a restart point
// puts it into "Latest checkpoint's TimeLineID".
func (c *ControlData) Timeline() uint32 {
	if c.MinRecoveryTLI > c.TLI {
		return c.MinRecoveryTLI
	}
	return c.TLI
}

// ParseControlData reads pg_controldata's output (LC_ALL=C).
func ParseControlData(out []byte) (*ControlData, error) {
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if prev, dup := kv[k]; dup && prev != v {
			// pg_controldata prints every line once; two different
			// values mean two outputs mixed up, and neither is trusted.
			return nil, fmt.Errorf("pg_controldata: %q printed twice, as %q and %q", k, prev, v)
		}
		kv[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pg_controldata: reading its output: %w", err)
	}
	c := &ControlData{SystemID: kv["Database system identifier"], State: kv["Database cluster state"]}
	if c.SystemID == "" || c.State == "" {
		return nil, errors.New("pg_controldata: no \"Database system identifier\" or \"Database cluster state\" line (was it run with LC_ALL=C?)")
	}
	if _, err := strconv.ParseUint(c.SystemID, 10, 64); err != nil {
		return nil, fmt.Errorf("pg_controldata: Database system identifier %q is not a number", c.SystemID)
	}
	var err error
	lsn := func(key string, dst *LSN, required bool) {
		v, ok := kv[key]
		if !ok {
			if required && err == nil {
				err = fmt.Errorf("pg_controldata: no %q line", key)
			}
			return
		}
		n, perr := ParseLSN(v)
		if perr != nil && err == nil {
			err = fmt.Errorf("pg_controldata: %s: %w", key, perr)
		}
		*dst = n
	}
	lsn("Latest checkpoint location", &c.CheckpointLSN, true)
	lsn("Latest checkpoint's REDO location", &c.RedoLSN, true)
	lsn("Minimum recovery ending location", &c.MinRecoveryLSN, false)
	if err != nil {
		return nil, err
	}
	tli, terr := strconv.ParseUint(kv["Latest checkpoint's TimeLineID"], 10, 32)
	if terr != nil || tli == 0 {
		return nil, fmt.Errorf("pg_controldata: Latest checkpoint's TimeLineID %q", kv["Latest checkpoint's TimeLineID"])
	}
	c.TLI = uint32(tli)
	if v, ok := kv["Min recovery ending loc's timeline"]; ok {
		n, perr := strconv.ParseUint(v, 10, 32)
		if perr != nil {
			return nil, fmt.Errorf("pg_controldata: Min recovery ending loc's timeline %q", v)
		}
		c.MinRecoveryTLI = uint32(n)
	}
	c.DataChecksums, _ = strconv.Atoi(kv["Data page checksum version"])
	c.WALLogHints = kv["wal_log_hints setting"] == "on"
	c.SegSize = 16 << 20
	if v, ok := kv["Bytes per WAL segment"]; ok {
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || n <= 0 || n&(n-1) != 0 {
			return nil, fmt.Errorf("pg_controldata: Bytes per WAL segment %q", v)
		}
		c.SegSize, c.SegSizePrinted = n, true
	}
	return c, nil
}

// ControlData runs pg_controldata (the program at bin) on the data
// directory as its owner and parses what it prints.
func (c *Ctl) ControlData(ctx context.Context, bin string) (*ControlData, error) {
	cmd := c.cmd([]string{c.PgData}, 15*time.Second)
	cmd.Path = bin
	res, err := c.Runner.Run(ctx, cmd)
	if err != nil {
		return nil, fmt.Errorf("reading the control file of %s: %w", c.PgData, err)
	}
	cd, err := ParseControlData(res.Stdout)
	if err != nil {
		return nil, fmt.Errorf("reading the control file of %s: %w", c.PgData, err)
	}
	return cd, nil
}
