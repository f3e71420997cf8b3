// SPDX-License-Identifier: Apache-2.0

package exporter

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/pgrex/pgrex/ra/pg"
)

// PGFacts is what one session with this node's PostgreSQL (13 or later)
// reads: where its WAL is and, on a primary, where each standby is.
type PGFacts struct {
	InRecovery bool
	Timeline   uint32
	// A primary's insert and flush positions.
	Current, Flushed pg.LSN
	// A standby's: received (written by the WAL receiver), flushed
	// (pg_last_wal_receive_lsn), replayed; PrimaryEnd is the primary's
	// position as the WAL receiver last heard it (latest_end_lsn).
	Received, ReceivedFlushed, Replayed, PrimaryEnd pg.LSN
	// Streaming: a standby's WAL receiver streams.
	Streaming bool
	// Standbys are pg_stat_replication's rows, by application_name.
	Standbys []StandbyFacts
}

// StandbyFacts is one row of a primary's pg_stat_replication.
type StandbyFacts struct {
	Name      string // application_name (the standby's node name in PG-REX)
	State     string // "streaming", "catchup", …; "" = hidden (no pg_read_all_stats)
	SyncState string // "sync", "async", "potential", "quorum"
	Replay    pg.LSN
	// ReplayKnown is false when the standby reported no replay position.
	ReplayKnown bool
	// LagSeconds is replay_lag (0 when PostgreSQL shows none: no WAL
	// activity for a while, the standby is caught up).
	LagSeconds float64
}

// LagBytes is how far the standby's replay is behind the primary's
// insert position.
func (f *PGFacts) LagBytes(sb StandbyFacts) float64 {
	if !sb.ReplayKnown || sb.Replay > f.Current {
		return 0
	}
	return float64(f.Current - sb.Replay)
}

// StandbyLagBytes is a standby's replay distance behind the primary as
// its WAL receiver last heard it: what it can tell without asking the
// primary (0 when unknown).
func (f *PGFacts) StandbyLagBytes() float64 {
	if f.PrimaryEnd <= f.Replayed {
		return 0
	}
	return float64(f.PrimaryEnd - f.Replayed)
}

// nodeQuery reads the server's own position in one round trip. The CASE
// keeps the primary-only functions from running on a standby (where they
// fail) and the other way round.
const nodeQuery = `select r,
  case when r then '' else pg_catalog.pg_current_wal_lsn()::text end,
  case when r then '' else pg_catalog.pg_current_wal_flush_lsn()::text end,
  case when r then coalesce((select written_lsn::text from pg_catalog.pg_stat_wal_receiver), pg_catalog.pg_last_wal_receive_lsn()::text, '') else '' end,
  case when r then coalesce(pg_catalog.pg_last_wal_receive_lsn()::text, '') else '' end,
  case when r then coalesce(pg_catalog.pg_last_wal_replay_lsn()::text, '') else '' end,
  case when r then coalesce((select latest_end_lsn::text from pg_catalog.pg_stat_wal_receiver), '') else '' end,
  coalesce((select status = 'streaming' from pg_catalog.pg_stat_wal_receiver), false),
  case when r then coalesce((select received_tli from pg_catalog.pg_stat_wal_receiver), (select timeline_id from pg_catalog.pg_control_checkpoint()))::bigint
    else ('x' || substr(pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()), 1, 8))::bit(32)::bigint end
from (select pg_catalog.pg_is_in_recovery() as r) s`

// replicationQuery reads the standbys. A base backup's WAL sender (state
// "backup": a rebuild's pg_basebackup) is no standby, and it has no replay
// position for a lag to be measured against.
const replicationQuery = `select coalesce(application_name, ''), coalesce(state, ''), coalesce(sync_state, ''),
  coalesce(replay_lsn::text, ''), coalesce(extract(epoch from replay_lag), 0)::float8
from pg_catalog.pg_stat_replication where state is distinct from 'backup' order by application_name, pid`

// readPostgres opens one session, reads, and closes it; ctx bounds all.
func readPostgres(ctx context.Context, p pg.ConnParams) (PGFacts, error) {
	var f PGFacts
	conn, err := pg.Connect(ctx, p)
	if err != nil {
		return f, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var cur, flushed, recv, recvFlushed, replayed, end string
	var tli int64
	if err := conn.QueryRow(ctx, nodeQuery).Scan(&f.InRecovery, &cur, &flushed, &recv, &recvFlushed, &replayed,
		&end, &f.Streaming, &tli); err != nil {
		return f, fmt.Errorf("reading the WAL positions: %w", err)
	}
	f.Timeline = uint32(tli)
	for _, v := range []struct {
		text string
		dst  *pg.LSN
	}{{cur, &f.Current}, {flushed, &f.Flushed}, {recv, &f.Received}, {recvFlushed, &f.ReceivedFlushed},
		{replayed, &f.Replayed}, {end, &f.PrimaryEnd}} {
		if v.text == "" {
			continue
		}
		if *v.dst, err = pg.ParseLSN(v.text); err != nil {
			return f, fmt.Errorf("reading the WAL positions: %w", err)
		}
	}
	rows, err := conn.Query(ctx, replicationQuery)
	if err != nil {
		return f, fmt.Errorf("reading pg_stat_replication: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sb StandbyFacts
		var replay string
		if err := rows.Scan(&sb.Name, &sb.State, &sb.SyncState, &replay, &sb.LagSeconds); err != nil {
			return f, fmt.Errorf("reading pg_stat_replication: %w", err)
		}
		if replay != "" {
			if sb.Replay, err = pg.ParseLSN(replay); err != nil {
				return f, fmt.Errorf("reading pg_stat_replication: %w", err)
			}
			sb.ReplayKnown = true
		}
		f.Standbys = append(f.Standbys, sb)
	}
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("reading pg_stat_replication: %w", err)
	}
	return f, nil
}

// flushed is the WAL position flushed to disk: a primary's own, a
// standby's received one.
func (f *PGFacts) flushed() pg.LSN {
	if f.InRecovery {
		return f.ReceivedFlushed
	}
	return f.Flushed
}

// ConnParams is how the exporter reaches this node's PostgreSQL, from the
// pgsql resource's parameters in the CIB (the agent's own settings):
// pgport, pghost or socketdir, pgdba, pgdb, with the agent's defaults. It
// connects over the Unix socket as pgdba, as the agent does, so peer
// authentication needs no password.
func ConnParams(params map[string]string) (pg.ConnParams, error) {
	param := func(name, def string) string {
		if v := params[name]; v != "" {
			return v
		}
		return def
	}
	p := pg.ConnParams{User: param("pgdba", "postgres"), Database: param("pgdb", "template1"),
		Host: param("socketdir", "")}
	if h := params["pghost"]; filepath.IsAbs(h) {
		p.Host = h
	}
	port, err := strconv.Atoi(param("pgport", "5432"))
	if err != nil || port <= 0 || port > 65535 {
		return p, fmt.Errorf("the pgsql resource's pgport %q is not a port", params["pgport"])
	}
	p.Port = port
	if p.As, err = pg.LookupUser(p.User); err != nil {
		return p, fmt.Errorf("finding the OS user PostgreSQL runs as: %w", err)
	}
	return p, nil
}
