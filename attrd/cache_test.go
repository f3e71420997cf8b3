// SPDX-License-Identifier: Apache-2.0

package attrd_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pgrex/pgrex/attrd"
)

var (
	_ attrd.Store = (*attrd.CRM)(nil)
	_ attrd.Store = (*attrd.Fake)(nil)
)

func ops(f *attrd.Fake) []attrd.Op {
	var out []attrd.Op
	for _, c := range f.Calls() {
		out = append(out, c.Op)
	}
	return out
}

// TestCacheWritesOnlyChanges: one snapshot per invocation, reads answered
// from it and from the invocation's own writes, and a write only where the
// value changes.
func TestCacheWritesOnlyChanges(t *testing.T) {
	ctx := t.Context()
	f := attrd.NewFake("node1", "node2")
	mustNil(t, f.Set(ctx, "node2", "pgsql-status", "HS:sync", attrd.Reboot))
	mustNil(t, f.SetPromotionScore(ctx, "pgsql", "node2", "100"))
	before := len(f.Calls())
	c := &attrd.Cache{Store: f, Resource: "pgsql"}

	mustNil(t, c.Set(ctx, "node2", "pgsql-status", "HS:sync", attrd.Reboot)) // unchanged
	mustNil(t, c.SetScore(ctx, "node2", "100"))                              // unchanged
	mustNil(t, c.Delete(ctx, "node2", "pgsql-xlog-loc", attrd.Reboot))       // absent
	mustNil(t, c.Set(ctx, "node2", "pgsql-status", "HS:async", attrd.Reboot))
	mustNil(t, c.Set(ctx, "node2", "pgsql-status", "HS:async", attrd.Reboot)) // read your writes
	mustNil(t, c.SetScore(ctx, "node2", "-INFINITY"))
	if v, ok, err := c.Known(ctx, "node2", "master-pgsql", attrd.Reboot); v != "-INFINITY" || !ok || err != nil {
		t.Errorf("Known after SetScore = %q, %v, %v", v, ok, err)
	}
	mustNil(t, c.Delete(ctx, "node2", "pgsql-status", attrd.Reboot))
	if _, ok, _ := c.Known(ctx, "node2", "pgsql-status", attrd.Reboot); ok {
		t.Error("a deleted attribute is still known")
	}
	mustNil(t, c.Delete(ctx, "node2", "pgsql-status", attrd.Reboot)) // known absent

	got := ops(f)[before:]
	want := []attrd.Op{attrd.OpSnapshot, attrd.OpSet, attrd.OpSetPromotionScore, attrd.OpDelete}
	if !slices.Equal(got, want) {
		t.Errorf("calls = %v\nwant %v", got, want)
	}
}

// TestCacheReadsWhatTheSnapshotCannotShow: an offline node's attributes
// are not in crm_mon's output; they are read one by one.
func TestCacheReadsWhatTheSnapshotCannotShow(t *testing.T) {
	ctx := t.Context()
	f := attrd.NewFake("node1", "node2")
	mustNil(t, f.Set(ctx, "node2", "pgsql-data-status", "LATEST", attrd.Forever))
	f.SetOnline("node2", false)
	before := len(f.Calls())
	c := &attrd.Cache{Store: f, Resource: "pgsql"}
	if v, ok, err := c.Known(ctx, "node2", "pgsql-data-status", attrd.Forever); v != "LATEST" || !ok || err != nil {
		t.Errorf("Known = %q, %v, %v", v, ok, err)
	}
	if got, want := ops(f)[before:], []attrd.Op{attrd.OpSnapshot, attrd.OpGet}; !slices.Equal(got, want) {
		t.Errorf("calls = %v\nwant %v", got, want)
	}
}

// TestCacheSnapshotFailureSticks: a snapshot that failed within the budget
// is not tried again by the same invocation.
func TestCacheSnapshotFailureSticks(t *testing.T) {
	ctx := t.Context()
	f := attrd.NewFake("node1")
	broken := errors.New("crm_mon: usage error")
	f.Fail(attrd.OpSnapshot, broken)
	c := &attrd.Cache{Store: f, Resource: "pgsql"}
	if _, err := c.Cluster(ctx); !errors.Is(err, broken) {
		t.Fatalf("Cluster: %v", err)
	}
	f.Fail(attrd.OpSnapshot, nil)
	if _, err := c.Cluster(ctx); !errors.Is(err, broken) {
		t.Errorf("second Cluster: %v", err)
	}
	if n := len(ops(f)); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

// TestCacheOnce: while Once is set a transient failure is not retried;
// otherwise it is, within the deadline.
func TestCacheOnce(t *testing.T) {
	f := attrd.NewFake("node1")
	f.Fail(attrd.OpSet, attrd.ErrNoStatus)
	var retried int
	c := &attrd.Cache{Store: f, Resource: "pgsql", Once: true,
		OnRetry: func(string, int, error, time.Duration) { retried++ }}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	if err := c.Set(ctx, "node1", "pgsql-status", "PRI", attrd.Reboot); !errors.Is(err, attrd.ErrNoStatus) {
		t.Fatalf("Set: %v", err)
	}
	if retried != 0 {
		t.Errorf("retried %d times with Once", retried)
	}
	c.Once = false
	if err := c.Set(ctx, "node1", "pgsql-status", "PRI", attrd.Reboot); !errors.Is(err, attrd.ErrNoStatus) {
		t.Fatalf("Set: %v", err)
	}
	if retried == 0 {
		t.Error("a transient failure was not retried")
	}
}
