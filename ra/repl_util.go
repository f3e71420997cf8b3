// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/jackc/pgx/v5"

	"github.com/pgrex/pgrex/ra/fsutil"
	"github.com/pgrex/pgrex/ra/pg"
)

func statOwner(st os.FileInfo) *fsutil.Owner {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return &fsutil.Owner{UID: int(sys.Uid), GID: int(sys.Gid)}
	}
	return nil
}

// pgConn wraps the session with the agent's queries.
type pgConn struct{ c *pgx.Conn }

// inRecovery is select pg_is_in_recovery().
func (p *pgConn) inRecovery(ctx context.Context) (bool, error) {
	var r bool
	if err := p.c.QueryRow(ctx, "select pg_catalog.pg_is_in_recovery()").Scan(&r); err != nil {
		return false, fmt.Errorf("asking pg_is_in_recovery(): %w", err)
	}
	return r, nil
}

// receiverStreaming reports whether this standby's WAL receiver streams
// (PostgreSQL 9.6+; older versions report false and take the full path).
// A receiver whose status the session may not see (NULL: the user lacks
// pg_read_all_stats, see privilege.go) is an error, not "not streaming".
func (p *pgConn) receiverStreaming(ctx context.Context) (bool, error) {
	var ok, hidden bool
	err := p.c.QueryRow(ctx, "select coalesce(bool_or(status = 'streaming'), false), coalesce(bool_or(status is null), false) from pg_catalog.pg_stat_wal_receiver").Scan(&ok, &hidden)
	if err != nil {
		return false, fmt.Errorf("reading pg_stat_wal_receiver: %w", err)
	}
	if hidden {
		return false, errors.New("pg_stat_wal_receiver shows this session no status: the database user needs pg_read_all_stats or pg_monitor")
	}
	return ok, nil
}

// replication reads pg_stat_replication. Rows whose state the session may
// not see (NULL: the user lacks pg_read_all_stats, see privilege.go) come
// back apart, in hidden: they are connected standbys in an unknown state,
// not disconnected ones.
func (p *pgConn) replication(ctx context.Context) (rows []ReplRow, hidden []ReplRow, err error) {
	rs, err := p.c.Query(ctx, "select coalesce(application_name, ''), upper(coalesce(state, '')), upper(coalesce(sync_state, '')), state is null from pg_catalog.pg_stat_replication")
	if err != nil {
		return nil, nil, fmt.Errorf("reading pg_stat_replication: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var r ReplRow
		var unknown bool
		if err := rs.Scan(&r.AppName, &r.State, &r.SyncState, &unknown); err != nil {
			return nil, nil, fmt.Errorf("reading pg_stat_replication: %w", err)
		}
		if unknown {
			hidden = append(hidden, r)
		} else {
			rows = append(rows, r)
		}
	}
	if err := rs.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading pg_stat_replication: %w", err)
	}
	return rows, hidden, nil
}

// location is this server's WAL position and timeline: on a standby the
// larger of replayed and received, on a primary the current insert
// position. The timeline is the newer of the last checkpoint's (restart
// point's) and the WAL receiver's.
func (p *pgConn) location(ctx context.Context, version int) (pg.Location, error) {
	q := `select case when pg_catalog.pg_is_in_recovery()
	  then greatest(coalesce(pg_catalog.pg_last_wal_replay_lsn(), '0/0'), coalesce(pg_catalog.pg_last_wal_receive_lsn(), '0/0'))
	  else pg_catalog.pg_current_wal_lsn() end::text,
	greatest((select timeline_id from pg_catalog.pg_control_checkpoint()),
	         coalesce((select received_tli from pg_catalog.pg_stat_wal_receiver), 0))::bigint`
	if version != 0 && version < 1000 {
		q = `select case when pg_catalog.pg_is_in_recovery()
		  then greatest(coalesce(pg_catalog.pg_last_xlog_replay_location(), '0/0'), coalesce(pg_catalog.pg_last_xlog_receive_location(), '0/0'))
		  else pg_catalog.pg_current_xlog_location() end::text, 0::bigint`
	}
	var lsnText string
	var tli int64
	if err := p.c.QueryRow(ctx, q).Scan(&lsnText, &tli); err != nil {
		return pg.Location{}, fmt.Errorf("reading the WAL location: %w", err)
	}
	lsn, err := pg.ParseLSN(lsnText)
	if err != nil {
		return pg.Location{}, err
	}
	return pg.Location{TLI: uint32(tli), LSN: lsn}, nil
}

// show reads a setting.
func (p *pgConn) show(ctx context.Context, name string) (string, error) {
	var v string
	if err := p.c.QueryRow(ctx, "select pg_catalog.current_setting($1)", name).Scan(&v); err != nil {
		return "", fmt.Errorf("reading %s: %w", name, err)
	}
	return v, nil
}

// exec runs SQL with the simple protocol.
func (p *pgConn) exec(ctx context.Context, sql string) error {
	_, err := p.c.PgConn().Exec(ctx, sql).ReadAll()
	return err
}
