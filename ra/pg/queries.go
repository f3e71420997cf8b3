// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// Session is the agent's database session with the agent's queries.
type Session struct {
	Conn   *pgconn.PgConn
	PgData string // the server's data directory, for what only its files tell
}

// InRecovery is select pg_is_in_recovery().
func (p *Session) InRecovery(ctx context.Context) (bool, error) {
	var r bool
	row, err := p.row(ctx, 1, "select pg_catalog.pg_is_in_recovery()")
	if err == nil {
		err = scan(row, &r)
	}
	if err != nil {
		return false, fmt.Errorf("asking pg_is_in_recovery(): %w", err)
	}
	return r, nil
}

// RecoveryState is pg_is_in_recovery() and, in the same round trip, whether
// this standby's WAL receiver streams (PostgreSQL 9.6+; version is
// VersionNum, 0 when unknown; older versions report false and take the full
// path): the steady-state standby monitor needs both and nothing else. A
// receiver whose status the session may not see (NULL: the user lacks
// pg_read_all_stats, see ra/privilege.go) is an error on a standby, not
// "not streaming".
func (p *Session) RecoveryState(ctx context.Context, version int) (inRecovery, streaming bool, err error) {
	if version != 0 && version < 906 {
		inRecovery, err = p.InRecovery(ctx)
		return inRecovery, false, err
	}
	var hidden bool
	row, err := p.row(ctx, 3, "select pg_catalog.pg_is_in_recovery(), "+
		"coalesce(bool_or(status = 'streaming'), false), coalesce(bool_or(status is null), false) from pg_catalog.pg_stat_wal_receiver")
	if err == nil {
		err = scan(row, &inRecovery, &streaming, &hidden)
	}
	if err != nil {
		return false, false, fmt.Errorf("asking pg_is_in_recovery() and reading pg_stat_wal_receiver: %w", err)
	}
	if inRecovery && hidden {
		return true, false, errors.New("pg_stat_wal_receiver shows this session no status: the database user needs pg_read_all_stats or pg_monitor")
	}
	return inRecovery, streaming, nil
}

// Replication reads pg_stat_replication. Rows whose state the session may
// not see (NULL: the user lacks pg_read_all_stats, see ra/privilege.go) come
// back apart, in hidden: they are connected standbys in an unknown state,
// not disconnected ones. Each row carries the primary's current WAL
// position read in the same statement, to compare its flush position with.
func (p *Session) Replication(ctx context.Context, version int) (rows []ReplRow, hidden []ReplRow, err error) {
	q := "select coalesce(application_name, ''), upper(coalesce(state, '')), upper(coalesce(sync_state, '')), state is null, " +
		"coalesce(flush_lsn, '0/0')::text, " +
		"case when pg_catalog.pg_is_in_recovery() then '0/0' else pg_catalog.pg_current_wal_lsn() end::text from pg_catalog.pg_stat_replication"
	if version != 0 && version < 1000 {
		q = "select coalesce(application_name, ''), upper(coalesce(state, '')), upper(coalesce(sync_state, '')), state is null, " +
			"coalesce(flush_location, '0/0')::text, " +
			"case when pg_catalog.pg_is_in_recovery() then '0/0' else pg_catalog.pg_current_xlog_location() end::text from pg_catalog.pg_stat_replication"
	}
	rs, err := p.query(ctx, q)
	if err != nil {
		return nil, nil, fmt.Errorf("reading pg_stat_replication: %w", err)
	}
	for _, row := range rs {
		var r ReplRow
		var unknown bool
		var flush, current string
		if err := scan(row, &r.AppName, &r.State, &r.SyncState, &unknown, &flush, &current); err != nil {
			return nil, nil, fmt.Errorf("reading pg_stat_replication: %w", err)
		}
		if r.Flush, err = ParseLSN(flush); err != nil {
			return nil, nil, fmt.Errorf("reading pg_stat_replication: flush position: %w", err)
		}
		if r.Current, err = ParseLSN(current); err != nil {
			return nil, nil, fmt.Errorf("reading pg_stat_replication: current WAL position: %w", err)
		}
		if unknown {
			hidden = append(hidden, r)
		} else {
			rows = append(rows, r)
		}
	}
	return rows, hidden, nil
}

// LocationFacts is what the agent reads to place a server in the WAL: the WAL position and every
// record of the timeline the server has.
type LocationFacts struct {
	InRecovery bool
	LSN        LSN // standby: the larger of replayed and received; primary: the insert position
	// InsertTLI is a primary's current timeline (from the name of the WAL
	// file it writes); 0 on a standby.
	InsertTLI uint32
	// A standby's records: the last restart point's timeline, the
	// minimum recovery point's, the WAL receiver's (0 when no receiver
	// runs), and the newest timeline of the WAL segment files in pg_wal.
	CheckpointTLI  uint32
	MinRecoveryTLI uint32
	ReceivedTLI    uint32
	WALFileTLI     uint32
}

func (p *Session) LocationFacts(ctx context.Context, version int) (LocationFacts, error) {
	q := `select pg_catalog.pg_is_in_recovery(),
	case when pg_catalog.pg_is_in_recovery()
	  then greatest(coalesce(pg_catalog.pg_last_wal_replay_lsn(), '0/0'), coalesce(pg_catalog.pg_last_wal_receive_lsn(), '0/0'))
	  else pg_catalog.pg_current_wal_lsn() end::text,
	case when pg_catalog.pg_is_in_recovery() then 0
	  else ('x' || substr(pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()), 1, 8))::bit(32)::bigint end,
	(select timeline_id from pg_catalog.pg_control_checkpoint())::bigint,
	coalesce((select min_recovery_end_timeline from pg_catalog.pg_control_recovery()), 0)::bigint,
	coalesce((select received_tli from pg_catalog.pg_stat_wal_receiver), 0)::bigint`
	if version != 0 && version < 1000 {
		q = `select pg_catalog.pg_is_in_recovery(),
		case when pg_catalog.pg_is_in_recovery()
		  then greatest(coalesce(pg_catalog.pg_last_xlog_replay_location(), '0/0'), coalesce(pg_catalog.pg_last_xlog_receive_location(), '0/0'))
		  else pg_catalog.pg_current_xlog_location() end::text, 0::bigint, 0::bigint, 0::bigint, 0::bigint`
	}
	var f LocationFacts
	var lsnText string
	var insert, ckpt, minrec, recv int64
	row, err := p.row(ctx, 6, q)
	if err == nil {
		err = scan(row, &f.InRecovery, &lsnText, &insert, &ckpt, &minrec, &recv)
	}
	if err != nil {
		return f, fmt.Errorf("reading the WAL location: %w", err)
	}
	lsn, err := ParseLSN(lsnText)
	if err != nil {
		return f, err
	}
	f.LSN = lsn
	f.InsertTLI, f.CheckpointTLI, f.MinRecoveryTLI, f.ReceivedTLI = uint32(insert), uint32(ckpt), uint32(minrec), uint32(recv)
	if f.InRecovery || f.InsertTLI == 0 {
		if f.WALFileTLI, err = NewestWALTimeline(p.PgData, version); err != nil {
			return f, fmt.Errorf("reading the timeline: %w", err)
		}
	}
	return f, nil
}

// SystemID is the database system identifier from the control file
// (pg_control_system(), PostgreSQL 9.6+), as IDENTIFY_SYSTEM spells it.
func (p *Session) SystemID(ctx context.Context) (string, error) {
	var id string
	row, err := p.row(ctx, 1, "select system_identifier::text from pg_catalog.pg_control_system()")
	if err == nil {
		err = scan(row, &id)
	}
	if err != nil {
		return "", fmt.Errorf("reading the system identifier: %w", err)
	}
	return id, nil
}

// Show reads a setting.
func (p *Session) Show(ctx context.Context, name string) (string, error) {
	var v string
	row, err := p.row(ctx, 1, "select pg_catalog.current_setting($1)", name)
	if err == nil {
		err = scan(row, &v)
	}
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", name, err)
	}
	return v, nil
}

// Exec runs SQL with the simple protocol.
func (p *Session) Exec(ctx context.Context, sql string) error {
	_, err := p.Conn.Exec(ctx, sql).ReadAll()
	return err
}

// SlotFact is one slot as pg_replication_slots shows it.
type SlotFact struct {
	Exists   bool
	Active   bool
	Reserved bool // restart_lsn is set: the slot keeps WAL
	Lost     bool // wal_status = 'lost' (PostgreSQL 13+): its WAL is gone
}

// Slots reads the physical slots with the given names.
func (p *Session) Slots(ctx context.Context, names []string, version int) (map[string]SlotFact, error) {
	lost := "false"
	if v := version; v == 0 || v >= 1300 {
		lost = "coalesce(wal_status = 'lost', false)"
	}
	rows, err := p.query(ctx, "select slot_name::text, active, restart_lsn is not null, "+lost+
		" from pg_catalog.pg_replication_slots where slot_type = 'physical' and slot_name::text = any($1::text[])", textArray(names))
	if err != nil {
		return nil, fmt.Errorf("reading pg_replication_slots: %w", err)
	}
	out := map[string]SlotFact{}
	for _, row := range rows {
		var name string
		f := SlotFact{Exists: true}
		if err := scan(row, &name, &f.Active, &f.Reserved, &f.Lost); err != nil {
			return nil, fmt.Errorf("reading pg_replication_slots: %w", err)
		}
		out[name] = f
	}
	return out, nil
}

// DropSlot drops a physical slot unless it is active. dropped is false when
// it was active (also when it became active between the check and the drop:
// PostgreSQL then refuses with object_in_use).
func (p *Session) DropSlot(ctx context.Context, name string) (dropped bool, err error) {
	var n int64
	row, err := p.row(ctx, 1, "select count(pg_catalog.pg_drop_replication_slot(slot_name)) from pg_catalog.pg_replication_slots"+
		" where slot_name::text = $1 and slot_type = 'physical' and not active", name)
	if err == nil {
		err = scan(row, &n)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "55006" {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dropping replication slot %s: %w", name, err)
	}
	return n == 1, nil
}

// CreateSlot creates a physical slot that reserves no WAL until a standby
// streams from it.
func (p *Session) CreateSlot(ctx context.Context, name string) error {
	if _, err := p.query(ctx, "select pg_catalog.pg_create_physical_replication_slot($1)", name); err != nil {
		return fmt.Errorf("creating replication slot %s: %w", name, err)
	}
	return nil
}

// Privileges is what the server says about the session's user.
type Privileges struct {
	User      string
	Super     bool
	ReadStats bool // has the privileges of pg_read_all_stats (PostgreSQL 10+)
}

// Privileges asks the server about the session's user.
func (p *Session) Privileges(ctx context.Context, version int) (Privileges, error) {
	var f Privileges
	// PostgreSQL 15 grants the details to roles with the privileges of
	// pg_read_all_stats (inheritance: USAGE); 10 to 14 to its members
	// (MEMBER), whether or not they inherit.
	stats := "false"
	switch {
	case version == 0 || version >= 1500:
		stats = "pg_catalog.pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')"
	case version >= 1000:
		stats = "pg_catalog.pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER')"
	}
	row, err := p.row(ctx, 3, "select current_user::text, rolsuper, "+stats+
		" from pg_catalog.pg_roles where rolname = current_user")
	if err == nil {
		err = scan(row, &f.User, &f.Super, &f.ReadStats)
	}
	if err != nil {
		return f, fmt.Errorf("checking the privileges of the agent's database user: %w", err)
	}
	return f, nil
}

// ReplRow is one pg_stat_replication row as the agent reads it.
type ReplRow struct {
	AppName   string
	State     string // upper-cased
	SyncState string // upper-cased
	Flush     LSN    // where the standby has flushed WAL to (0: not reported yet)
	Current   LSN    // the primary's current WAL position when the row was read
}
