// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"testing"

	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/stretchr/testify/assert"
)

func TestDecidePrivilege(t *testing.T) {
	cases := []struct {
		name   string
		f      privilegeFacts
		rc     ocf.Status // 0: accepted
		reason string
	}{
		{"superuser", privilegeFacts{User: "postgres", Super: true, Version: 1500}, 0, ""},
		{"pg_monitor member", privilegeFacts{User: "mon", ReadStats: true, Version: 1500}, 0, ""},
		{"plain role", privilegeFacts{User: "mon", Version: 1500}, ocf.ErrPerm,
			`database user "mon" is neither a superuser nor a member of pg_read_all_stats or pg_monitor: it would read the replication state in pg_stat_replication and pg_stat_wal_receiver as NULL (GRANT pg_monitor TO "mon")`},
		{"role name quoted in the GRANT", privilegeFacts{User: `Mon"1`, Version: 1000}, ocf.ErrPerm, `(GRANT pg_monitor TO "Mon""1")`},
		{"9.6 needs a superuser", privilegeFacts{User: "mon", Version: 906}, ocf.ErrPerm,
			`database user "mon" is not a superuser: PostgreSQL 9.6 shows pg_stat_replication and pg_stat_wal_receiver only to superusers (set monitor_user to one)`},
		{"9.6 superuser", privilegeFacts{User: "postgres", Super: true, Version: 906}, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ce := decidePrivilege(c.f)
			if c.rc == 0 {
				assert.Nil(t, ce)
				return
			}
			if assert.NotNil(t, ce) {
				assert.Equal(t, c.rc, ce.RC)
				assert.Equal(t, "monitor_user", ce.Param)
				assert.Contains(t, ce.Reason, c.reason)
			}
		})
	}
}
