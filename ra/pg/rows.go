// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The agent reads every result in PostgreSQL's text format on the bare
// wire-protocol connection (pgconn), without pgx's type map: building that
// map is a third of a millisecond in every invocation (docs/performance.md),
// and the agent's few columns are booleans, integers and text.

// errNoRow is a query that returned no row where one was expected.
var errNoRow = errors.New("no row returned")

// query runs one statement and returns its rows, each value as text (nil
// for NULL). Without arguments it is one simple-protocol query; with them
// one extended-protocol round trip, the arguments sent as text.
func (p *Session) query(ctx context.Context, sql string, args ...string) ([][][]byte, error) {
	if len(args) == 0 {
		rs, err := p.Conn.Exec(ctx, sql).ReadAll()
		if err != nil {
			return nil, err
		}
		if len(rs) == 0 {
			return nil, nil
		}
		return rs[len(rs)-1].Rows, nil
	}
	params := make([][]byte, len(args))
	for i, a := range args {
		params[i] = []byte(a)
	}
	r := p.Conn.ExecParams(ctx, sql, params, nil, nil, nil).Read()
	return r.Rows, r.Err
}

// row runs a statement that returns exactly one row of n columns.
func (p *Session) row(ctx context.Context, n int, sql string, args ...string) ([][]byte, error) {
	rows, err := p.query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errNoRow
	}
	if len(rows) > 1 || len(rows[0]) != n {
		return nil, fmt.Errorf("%d rows of %d columns returned, want 1 of %d", len(rows), len(rows[0]), n)
	}
	return rows[0], nil
}

// textBool reads a boolean column ("t" or "f").
func textBool(v []byte) (bool, error) {
	switch string(v) {
	case "t":
		return true, nil
	case "f":
		return false, nil
	}
	if v == nil {
		return false, errors.New("boolean column is NULL")
	}
	return false, fmt.Errorf("boolean column is %q", v)
}

// textInt reads an integer column.
func textInt(v []byte) (int64, error) {
	if v == nil {
		return 0, errors.New("integer column is NULL")
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("integer column: %w", err)
	}
	return n, nil
}

// textArray is a text[] argument: the names the agent passes are slot
// names ([a-z0-9_]), quoted anyway.
func textArray(items []string) string {
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = `"` + esc.Replace(s) + `"`
	}
	return "{" + strings.Join(q, ",") + "}"
}

// scan reads a row's columns into bools, int64s and strings.
func scan(row [][]byte, dest ...any) error {
	if len(row) != len(dest) {
		return fmt.Errorf("%d columns, want %d", len(row), len(dest))
	}
	for i, d := range dest {
		var err error
		switch d := d.(type) {
		case *bool:
			*d, err = textBool(row[i])
		case *int64:
			*d, err = textInt(row[i])
		case *string:
			if row[i] == nil {
				err = errors.New("text column is NULL")
			}
			*d = string(row[i])
		default:
			err = fmt.Errorf("cannot scan into %T", d)
		}
		if err != nil {
			return fmt.Errorf("column %d: %w", i+1, err)
		}
	}
	return nil
}
