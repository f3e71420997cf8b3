// SPDX-License-Identifier: Apache-2.0

package attrd_test

import (
	"context"
	"errors"
	"fmt"
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

// snapStore is a Fake whose Snapshot can fail first or wait for its
// context, to show what Prefetch does with either.
type snapStore struct {
	*attrd.Fake
	failFirst int // the first n snapshots fail
	block     bool
	calls     int
	cancelled chan struct{}
}

func (s *snapStore) Snapshot(ctx context.Context) (*attrd.Cluster, error) {
	s.calls++
	if s.block {
		<-ctx.Done()
		close(s.cancelled)
		return nil, ctx.Err()
	}
	if s.calls <= s.failFirst {
		return nil, fmt.Errorf("reading cluster status: %w", attrd.ErrNoStatus) // transient
	}
	return s.Fake.Snapshot(ctx)
}

// TestCachePrefetch: a prefetched snapshot is the invocation's one
// snapshot; a failed one is read again with retries; one never collected
// is stopped, not left running past the invocation.
func TestCachePrefetch(t *testing.T) {
	ctx := t.Context()
	newFake := func() *attrd.Fake {
		f := attrd.NewFake("node1", "node2")
		mustNil(t, f.Set(ctx, "node2", "pgsql-status", "HS:sync", attrd.Reboot))
		return f
	}

	t.Run("collected", func(t *testing.T) {
		s := &snapStore{Fake: newFake()}
		c := &attrd.Cache{Store: s, Resource: "pgsql"}
		c.Prefetch(ctx)
		c.Prefetch(ctx) // a second call starts nothing
		cl, err := c.Cluster(ctx)
		mustNil(t, err)
		if v, _ := cl.Attr("node2", "pgsql-status"); v != "HS:sync" {
			t.Errorf("pgsql-status of node2 = %q, want HS:sync", v)
		}
		mustNil(t, c.Set(ctx, "node2", "pgsql-status", "HS:sync", attrd.Reboot)) // answered from it
		c.Settle()
		if s.calls != 1 {
			t.Errorf("%d snapshots taken, want 1", s.calls)
		}
	})

	t.Run("failed in the background", func(t *testing.T) {
		s := &snapStore{Fake: newFake(), failFirst: 2}
		var retries int
		c := &attrd.Cache{Store: s, Resource: "pgsql", OnRetry: func(string, int, error, time.Duration) { retries++ }}
		c.Prefetch(ctx)
		cl, err := c.Cluster(ctx)
		mustNil(t, err)
		if !cl.Online("node2") {
			t.Error("node2 offline in the snapshot read again")
		}
		if s.calls != 3 || retries != 1 {
			t.Errorf("%d snapshots and %d retries, want 3 (1 in the background) and 1", s.calls, retries)
		}
	})

	t.Run("never collected", func(t *testing.T) {
		s := &snapStore{Fake: newFake(), block: true, cancelled: make(chan struct{})}
		c := &attrd.Cache{Store: s, Resource: "pgsql"}
		c.Prefetch(ctx)
		c.Settle()
		select {
		case <-s.cancelled:
		default:
			t.Fatal("Settle returned while the snapshot still ran")
		}
		c.Settle() // again: nothing to wait for
	})

	t.Run("deadline while waiting", func(t *testing.T) {
		s := &snapStore{Fake: newFake(), block: true, cancelled: make(chan struct{})}
		c := &attrd.Cache{Store: s, Resource: "pgsql"}
		c.Prefetch(ctx)
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		if _, err := c.Cluster(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Cluster past its deadline: %v, want a deadline error", err)
		}
		if _, err := c.Cluster(ctx); err == nil {
			t.Fatal("a snapshot that ran out of time was tried again")
		}
	})
}

// TestCacheLight: with Light the invocation's questions about nodes and
// attributes are answered from one CIB read, and roles cost one crm_mon
// read more only when asked for; without it both are the one crm_mon read.
func TestCacheLight(t *testing.T) {
	ctx := t.Context()
	f := attrd.NewFake("node1", "node2")
	mustNil(t, f.Set(ctx, "node2", "pgsql-status", "HS:sync", attrd.Reboot))
	mustNil(t, f.Set(ctx, "node2", "pgsql-data-status", "STREAMING|SYNC", attrd.Forever))
	f.SetRole("pgsql", "node1", attrd.RolePromoted)

	before := len(f.Calls())
	c := &attrd.Cache{Store: f, Resource: "pgsql", Light: true}
	c.Prefetch(ctx)
	m, err := c.Members(ctx)
	mustNil(t, err)
	if !m.Online("node2") || !m.MembershipOnly {
		t.Errorf("Members = %+v, want node2 online, from the CIB", m.Nodes)
	}
	mustNil(t, c.Set(ctx, "node2", "pgsql-data-status", "STREAMING|SYNC", attrd.Forever)) // unchanged
	mustNil(t, c.Set(ctx, "node2", "pgsql-status", "HS:async", attrd.Reboot))
	if got, want := ops(f)[before:], []attrd.Op{attrd.OpCIBSnapshot, attrd.OpSet}; !slices.Equal(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
	cl, err := c.Cluster(ctx)
	mustNil(t, err)
	if p, _ := cl.PromotedNode("pgsql"); p != "node1" {
		t.Errorf("PromotedNode = %q after asking for roles, want node1", p)
	}
	if _, err := c.Cluster(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := c.Known(ctx, "node2", "pgsql-status", attrd.Reboot); v != "HS:async" {
		t.Errorf("Known = %q, want the invocation's own write", v)
	}
	if got, want := ops(f)[before:], []attrd.Op{attrd.OpCIBSnapshot, attrd.OpSet, attrd.OpSnapshot}; !slices.Equal(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}

	before = len(f.Calls())
	full := &attrd.Cache{Store: f, Resource: "pgsql"}
	if m, err := full.Members(ctx); err != nil || m.MembershipOnly {
		t.Fatalf("Members without Light = %v, %v; want crm_mon's snapshot", m, err)
	}
	if _, err := full.Cluster(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := ops(f)[before:], []attrd.Op{attrd.OpSnapshot}; !slices.Equal(got, want) {
		t.Errorf("calls without Light = %v, want %v", got, want)
	}
}
