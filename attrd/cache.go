// SPDX-License-Identifier: Apache-2.0

package attrd

import (
	"context"
	"fmt"
	"time"
)

// Store is the node-attribute store an agent invocation uses: CRM in
// production, Fake in unit tests.
type Store interface {
	Get(ctx context.Context, node, name string, lt Lifetime) (string, bool, error)
	Set(ctx context.Context, node, name, value string, lt Lifetime) error
	Delete(ctx context.Context, node, name string, lt Lifetime) error
	SetPromotionScore(ctx context.Context, resource, node, score string) error
	Snapshot(ctx context.Context) (*Cluster, error)
	CIBSnapshot(ctx context.Context) (*Cluster, error)
	Ban(ctx context.Context, resource, node string) error
}

// Cache is one agent invocation's view of the cluster: one snapshot, taken
// at the first read (with Light, the CIB's for membership and attributes,
// and crm_mon's only if roles are asked for too), what the invocation
// wrote since (read your writes), and writes only where a value changes. Every call goes through Retry: a
// transient failure (the CIB busy or reconnecting, crm_mon without status, a
// tool killed at its own timeout) is repeated with a short backoff until the
// caller's deadline less a reserve, so one failed call does not fail a
// healthy node's monitor and the agent still answers before Pacemaker's
// timeout. A permanent failure (usage error, unknown node) is returned at
// once.
type Cache struct {
	Store Store
	// Resource is the primitive whose promotion score SetScore sets.
	Resource string
	// Once makes every call a single attempt: a stop must not spend its
	// budget retrying a busy CIB before the server is down.
	Once bool
	// OnRetry, when set, is told about every call that will be retried:
	// what it was, then as RetryPolicy.OnRetry.
	OnRetry func(what string, attempt int, err error, wait time.Duration)
	// Debugf, when set, is told about every write.
	Debugf func(format string, args ...any)
	// Light lets Members answer from the CIB alone (see Members): for an
	// invocation whose questions are mostly about nodes and attributes, a
	// recurring monitor.
	Light bool

	snap    *Cluster
	snapErr error
	written map[cacheKey]cached
	// pending is a snapshot started by Prefetch and not collected yet.
	pending chan prefetched
	stop    context.CancelFunc
}

type prefetched struct {
	cl  *Cluster
	err error
}

type cacheKey struct{ node, name string }

type cached struct {
	value   string
	present bool
}

// Call runs one read or write of the cluster with Retry (one attempt while
// Once is set). what names the call for OnRetry.
func (c *Cache) Call(ctx context.Context, what string, op func(ctx context.Context) error) error {
	p := RetryPolicy{OnRetry: func(n int, err error, wait time.Duration) {
		if c.OnRetry != nil {
			c.OnRetry(what, n, err, wait)
		}
	}}
	if c.Once {
		p.MaxAttempts = 1
	}
	return Retry(ctx, p, op)
}

// Prefetch starts the invocation's one snapshot in the background (the
// one Members would take), for a caller that will almost surely need it:
// the primary's monitor reads the cluster after its PostgreSQL queries, and
// the two waits (a backend start and queries; the Pacemaker tool) then
// overlap instead of adding up (docs/performance.md). The next read
// collects the result; only its first attempt runs in the background, and a
// failure there is retried by that read as any other. Settle ends a
// snapshot nobody collected.
func (c *Cache) Prefetch(ctx context.Context) {
	if c.snap != nil || c.snapErr != nil || c.pending != nil {
		return
	}
	read := c.reader(false)
	ctx, c.stop = context.WithCancel(ctx)
	ch := make(chan prefetched, 1)
	c.pending = ch
	go func() {
		cl, err := read(ctx)
		ch <- prefetched{cl, err}
	}()
}

// Settle stops and waits for a prefetched snapshot that was never
// collected, so that no Pacemaker tool outlives the invocation.
func (c *Cache) Settle() {
	if c.pending == nil {
		return
	}
	c.stop()
	<-c.pending
	c.pending = nil
}

// Cluster returns the invocation's one snapshot with resource roles
// (crm_mon's). After Members answered from the CIB alone (Light), the first
// Cluster call reads crm_mon once more. A snapshot that could not be taken
// within the budget is not tried again: later callers get its error at
// once.
func (c *Cache) Cluster(ctx context.Context) (*Cluster, error) {
	return c.snapshot(ctx, true)
}

// Members returns the invocation's snapshot for questions about nodes,
// membership and attributes only. With Light it is read from the CIB
// (CIBSnapshot), without the scheduler crm_mon runs; otherwise it is
// Cluster's.
func (c *Cache) Members(ctx context.Context) (*Cluster, error) {
	return c.snapshot(ctx, !c.Light)
}

// reader is the Store call a snapshot is taken with.
func (c *Cache) reader(roles bool) func(context.Context) (*Cluster, error) {
	if !roles && c.Light {
		return c.Store.CIBSnapshot
	}
	return c.Store.Snapshot
}

func (c *Cache) snapshot(ctx context.Context, roles bool) (*Cluster, error) {
	enough := func(cl *Cluster) bool { return cl != nil && (!roles || !cl.MembershipOnly) }
	if enough(c.snap) {
		return c.snap, nil
	}
	if c.snapErr != nil {
		return nil, c.snapErr
	}
	if c.pending != nil {
		var r prefetched
		select {
		case r = <-c.pending:
		case <-ctx.Done():
			c.Settle()
			c.snapErr = fmt.Errorf("reading the cluster status: %w", ctx.Err())
			return nil, c.snapErr
		}
		c.pending = nil
		c.stop()
		if r.err == nil {
			c.snap = r.cl
			if enough(r.cl) {
				return r.cl, nil
			}
		} else {
			c.debugf("the cluster status read in the background failed, reading again: %v", r.err)
		}
	}
	read := c.reader(roles)
	var cl *Cluster
	err := c.Call(ctx, "reading the cluster status", func(ctx context.Context) error {
		var err error
		cl, err = read(ctx)
		return err
	})
	if err != nil {
		c.snapErr = fmt.Errorf("reading the cluster status: %w", err)
		return nil, c.snapErr
	}
	c.snap = cl
	return cl, nil
}

// Known returns an attribute's current value as far as the invocation
// knows it: from what it wrote itself, else from the snapshot, else (for a
// node the snapshot has no attributes of, e.g. an offline one) from a read.
func (c *Cache) Known(ctx context.Context, node, name string, lt Lifetime) (string, bool, error) {
	if v, ok := c.written[cacheKey{node, name}]; ok {
		return v.value, v.present, nil
	}
	if cl, err := c.Members(ctx); err == nil && cl.AttrKnown(node) {
		v, ok := cl.Attr(node, name)
		return v, ok, nil
	}
	var v string
	var ok bool
	err := c.Call(ctx, "reading "+name+" of "+node, func(ctx context.Context) error {
		var err error
		v, ok, err = c.Store.Get(ctx, node, name, lt)
		return err
	})
	return v, ok, err
}

func (c *Cache) remember(node, name, value string, present bool) {
	if c.written == nil {
		c.written = map[cacheKey]cached{}
	}
	c.written[cacheKey{node, name}] = cached{value, present}
}

func (c *Cache) debugf(format string, args ...any) {
	if c.Debugf != nil {
		c.Debugf(format, args...)
	}
}

// Set writes an attribute unless it already has the value.
func (c *Cache) Set(ctx context.Context, node, name, value string, lt Lifetime) error {
	if cur, ok, err := c.Known(ctx, node, name, lt); err == nil && ok && cur == value {
		return nil
	}
	what := fmt.Sprintf("setting %s=%s on %s", name, value, node)
	if err := c.Call(ctx, what, func(ctx context.Context) error {
		return c.Store.Set(ctx, node, name, value, lt)
	}); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	c.debugf("%s: %s=%s", node, name, value)
	c.remember(node, name, value, true)
	return nil
}

// Delete deletes an attribute unless it is known to be absent.
func (c *Cache) Delete(ctx context.Context, node, name string, lt Lifetime) error {
	if _, ok, err := c.Known(ctx, node, name, lt); err == nil && !ok {
		return nil
	}
	what := fmt.Sprintf("deleting %s on %s", name, node)
	if err := c.Call(ctx, what, func(ctx context.Context) error {
		return c.Store.Delete(ctx, node, name, lt)
	}); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	c.remember(node, name, "", false)
	return nil
}

// SetScore sets a node's promotion score for Resource unless it already
// has it.
func (c *Cache) SetScore(ctx context.Context, node, score string) error {
	name := PromotionScoreName(c.Resource)
	if cur, ok, err := c.Known(ctx, node, name, Reboot); err == nil && ok && cur == score {
		return nil
	}
	what := fmt.Sprintf("setting the promotion score of %s to %s", node, score)
	if err := c.Call(ctx, what, func(ctx context.Context) error {
		return c.Store.SetPromotionScore(ctx, c.Resource, node, score)
	}); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	c.debugf("%s: promotion score %s", node, score)
	c.remember(node, name, score, true)
	return nil
}
