// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Source is what a server's walsender says about itself over a physical
// replication connection — the connection every standby already makes, so
// asking needs nothing repuser does not have.
type Source struct {
	SystemID string `json:"system_id"`
	TLI      uint32 `json:"tli"`
	XLogPos  LSN    `json:"xlogpos"`
	// History is the history file of TLI (empty on timeline 1).
	History []HistoryEntry `json:"history,omitempty"`
}

// ReadSource connects to p as a physical replication client and runs
// IDENTIFY_SYSTEM, then TIMELINE_HISTORY of the server's timeline.
func ReadSource(ctx context.Context, p ConnParams) (Source, error) {
	var s Source
	kv := []string{
		"host=" + quoteConnValue(p.Host),
		"port=" + strconv.Itoa(p.Port),
		"user=" + quoteConnValue(p.User),
		"replication=true",
		"application_name=pgrex-rejoin",
		"sslmode=disable",
	}
	if p.Password == "" && p.As != nil && p.As.Home != "" {
		kv = append(kv, "passfile="+quoteConnValue(filepath.Join(p.As.Home, ".pgpass")))
	}
	cfg, err := pgconn.ParseConfig(strings.Join(kv, " "))
	if err != nil {
		return s, fmt.Errorf("building the replication connection settings: %w", err)
	}
	if p.Password != "" {
		cfg.Password = p.Password
	}
	cfg.Fallbacks = nil
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return s, fmt.Errorf("connecting for replication to %s port %d as %s: %w", p.Host, p.Port, p.User, err)
	}
	defer func() { _ = conn.Close(context.Background()) }()

	row, err := oneRow(ctx, conn, "IDENTIFY_SYSTEM", 3)
	if err != nil {
		return s, err
	}
	s.SystemID = row[0]
	tli, err := strconv.ParseUint(row[1], 10, 32)
	if err != nil || tli == 0 {
		return s, fmt.Errorf("IDENTIFY_SYSTEM: timeline %q", row[1])
	}
	s.TLI = uint32(tli)
	if s.XLogPos, err = ParseLSN(row[2]); err != nil {
		return s, fmt.Errorf("IDENTIFY_SYSTEM: %w", err)
	}
	if s.TLI == 1 {
		return s, nil
	}
	row, err = oneRow(ctx, conn, fmt.Sprintf("TIMELINE_HISTORY %d", s.TLI), 2)
	if err != nil {
		return s, err
	}
	if s.History, err = ParseHistory(historyContent(row[1])); err != nil {
		return s, fmt.Errorf("the history of timeline %d: %w", s.TLI, err)
	}
	return s, nil
}

// historyContent is the file text of TIMELINE_HISTORY's content column,
// which is typed bytea: accept it raw or in bytea's hex output form.
func historyContent(v string) []byte {
	if h, ok := strings.CutPrefix(v, `\x`); ok {
		if b, err := hex.DecodeString(h); err == nil {
			return b
		}
	}
	return []byte(v)
}

func oneRow(ctx context.Context, conn *pgconn.PgConn, cmd string, cols int) ([]string, error) {
	res, err := conn.Exec(ctx, cmd).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	if len(res) != 1 || len(res[0].Rows) != 1 || len(res[0].Rows[0]) < cols {
		return nil, errors.New(cmd + ": unexpected answer")
	}
	out := make([]string, len(res[0].Rows[0]))
	for i, v := range res[0].Rows[0] {
		out[i] = string(v)
	}
	return out, nil
}

// SourceSettings is what pg_rewind's own (non-replication) session to the
// source finds: whether it is a primary, whether it writes full pages, and
// the timeline of its latest checkpoint — the one pg_rewind reads from its
// control file.
type SourceSettings struct {
	InRecovery     bool   `json:"in_recovery"`
	FullPageWrites bool   `json:"full_page_writes"`
	CheckpointTLI  uint32 `json:"checkpoint_tli"`
}

// ReadSourceSettings opens the session pg_rewind will open (p names its
// database) and reads SourceSettings; every function it calls is open to
// any user.
func ReadSourceSettings(ctx context.Context, p ConnParams) (SourceSettings, error) {
	var s SourceSettings
	conn, err := Connect(ctx, p)
	if err != nil {
		return s, err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	var fpw string
	var tli int64
	if err := conn.QueryRow(ctx, "SELECT pg_is_in_recovery(), current_setting('full_page_writes'), (SELECT timeline_id FROM pg_control_checkpoint())").
		Scan(&s.InRecovery, &fpw, &tli); err != nil {
		return s, fmt.Errorf("reading the source's settings: %w", err)
	}
	s.FullPageWrites = fpw == "on"
	s.CheckpointTLI = uint32(tli)
	return s, nil
}
