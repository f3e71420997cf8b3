// SPDX-License-Identifier: Apache-2.0

package ocf

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestParseMeta(t *testing.T) {
	m := ParseMeta(Env{
		"OCF_RESKEY_CRM_meta_interval":   "9000",
		"OCF_RESKEY_CRM_meta_timeout":    "60000",
		"OCF_RESKEY_CRM_meta_role":       "Promoted",
		"OCF_RESKEY_CRM_meta_on_node":    "pg-rex01",
		"OCF_RESKEY_CRM_meta_promotable": "true",
		"OCF_RESKEY_CRM_meta_clone_max":  "2",
		"OCF_RESKEY_CRM_meta_notify":     "true",
	})
	assert.Equal(t, 9*time.Second, m.Interval)
	assert.Equal(t, time.Minute, m.Timeout)
	assert.Equal(t, "Promoted", m.Role)
	assert.Equal(t, "pg-rex01", m.OnNode)
	assert.True(t, m.Promotable)
	assert.True(t, m.NotifyEnabled)
	assert.Equal(t, 2, m.CloneMax)
	assert.False(t, m.IsProbe("monitor"))
	assert.False(t, m.Notify.Set)

	probe := ParseMeta(Env{"OCF_RESKEY_CRM_meta_interval": "0"})
	assert.True(t, probe.IsProbe("monitor"))
	assert.False(t, probe.IsProbe("start"))
	assert.True(t, ParseMeta(Env{}).IsProbe("monitor"), "a hand-run monitor without interval is a probe")
	assert.True(t, ParseMeta(Env{"OCF_RESKEY_CRM_meta_master_max": "1"}).Promotable, "Pacemaker 1.1 master/slave meta")
}

func TestParseMetaNotify(t *testing.T) {
	base := "OCF_RESKEY_CRM_meta_notify_"
	t.Run("new names win", func(t *testing.T) {
		m := ParseMeta(Env{
			base + "type":                "pre",
			base + "operation":           "promote",
			base + "promote_uname":       "PG-REX02 ",
			base + "promote_resource":    "pgsql:1",
			base + "promoted_uname":      " ",
			base + "master_uname":        "stale",
			base + "unpromoted_uname":    "pg-rex01 pg-rex02",
			base + "unpromoted_resource": "pgsql:0 pgsql:1",
			base + "slave_uname":         "ignored",
		})
		n := m.Notify
		assert.True(t, n.Set)
		assert.Equal(t, "pre", n.Type)
		assert.Equal(t, "promote", n.Operation)
		assert.Equal(t, []string{"pg-rex02"}, n.Promote.Uname, "names are lower-cased and trimmed")
		assert.Equal(t, []string{"pgsql:1"}, n.Promote.Resource)
		assert.True(t, n.Promoted.Present, "a single space is an empty list, not an unset variable")
		assert.Empty(t, n.Promoted.Uname)
		assert.Equal(t, []string{"pg-rex01", "pg-rex02"}, n.Unpromoted.Uname)
	})
	t.Run("legacy names", func(t *testing.T) {
		m := ParseMeta(Env{
			base + "type":         "post",
			base + "operation":    "demote",
			base + "master_uname": "pg-rex01",
			base + "slave_uname":  " ",
			base + "demote_uname": "pg-rex01",
		})
		n := m.Notify
		assert.Equal(t, []string{"pg-rex01"}, n.Promoted.Uname)
		assert.True(t, n.Unpromoted.Present)
		assert.Empty(t, n.Unpromoted.Uname)
		assert.Equal(t, []string{"pg-rex01"}, n.Demote.Uname)
		assert.False(t, n.Start.Present)
	})
	t.Run("action with copied notify data", func(t *testing.T) {
		// Pacemaker copies the notify keys into demote's own meta.
		m := ParseMeta(Env{base + "slave_uname": " "})
		assert.True(t, m.Notify.Set)
		assert.True(t, m.Notify.Unpromoted.Present)
	})
}

func TestBooleans(t *testing.T) {
	for _, v := range []string{"yes", "true", "1", "YES", "TRUE", "True", "ja", "on", "ON"} {
		assert.True(t, IsTrue(v), v)
		assert.False(t, IsFalse(v), v)
	}
	for _, v := range []string{"no", "false", "0", "off", "NO"} {
		assert.True(t, IsFalse(v), v)
		assert.False(t, IsTrue(v), v)
	}
	assert.False(t, IsTrue("maybe"))
	assert.False(t, IsFalse("maybe"))
}
