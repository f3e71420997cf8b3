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
	Ban(ctx context.Context, resource, node string) error
}

// Cache is one agent invocation's view of the cluster: one snapshot, taken
// at the first read, what the invocation wrote since (read your writes), and
// writes only where a value changes. Every call goes through Retry: a
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

	snap    *Cluster
	snapErr error
	written map[cacheKey]cached
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

// Cluster returns the invocation's one snapshot. A snapshot that could not
// be taken within the budget is not tried again: later callers get its
// error at once.
func (c *Cache) Cluster(ctx context.Context) (*Cluster, error) {
	if c.snap != nil {
		return c.snap, nil
	}
	if c.snapErr != nil {
		return nil, c.snapErr
	}
	var cl *Cluster
	err := c.Call(ctx, "reading the cluster status", func(ctx context.Context) error {
		var err error
		cl, err = c.Store.Snapshot(ctx)
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
	if cl, err := c.Cluster(ctx); err == nil && cl.AttrKnown(node) {
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
