// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"fmt"
	"time"

	"github.com/pgrex/pgrex/attrd"
)

// AttrStore is the node-attribute store the replication modes use
// (attrd.CRM in production, attrd.Fake in unit tests).
type AttrStore interface {
	Get(ctx context.Context, node, name string, lt attrd.Lifetime) (string, bool, error)
	Set(ctx context.Context, node, name, value string, lt attrd.Lifetime) error
	Delete(ctx context.Context, node, name string, lt attrd.Lifetime) error
	SetPromotionScore(ctx context.Context, resource, node, score string) error
	Snapshot(ctx context.Context) (*attrd.Cluster, error)
}

// names spells the resource's node attributes, as the shell agent did.
func (c *Config) names() attrd.Names { return attrd.Names{Resource: c.Resource} }

// clusterCall runs one read or write of the cluster with attrd.Retry: a
// transient failure (the CIB busy or reconnecting, crm_mon without status,
// a tool killed at its own timeout) is repeated with a short backoff until
// the operation's budget less a reserve is used up, so one failed call does
// not fail a healthy node's monitor and the agent still answers before
// Pacemaker's timeout. A permanent failure (usage error, unknown node) is
// returned at once. While a.clusterOnce is set every call is one attempt:
// see stopMember.
func (a *Agent) clusterCall(ctx context.Context, what string, op func(ctx context.Context) error) error {
	p := attrd.RetryPolicy{OnRetry: func(n int, err error, wait time.Duration) {
		a.Log.Warnf("%s failed (attempt %d), retrying in %s: %s", what, n, wait, oneLine(err))
	}}
	if a.clusterOnce {
		p.MaxAttempts = 1
	}
	return attrd.Retry(ctx, p, op)
}

// cluster returns the one cluster snapshot of this invocation. A snapshot
// that could not be taken within the budget is not tried again by later
// callers of the same invocation: its error is returned at once.
func (a *Agent) cluster(ctx context.Context) (*attrd.Cluster, error) {
	if a.snap != nil {
		return a.snap, nil
	}
	if a.snapErr != nil {
		return nil, a.snapErr
	}
	var c *attrd.Cluster
	err := a.clusterCall(ctx, "reading the cluster status", func(ctx context.Context) error {
		var err error
		c, err = a.Attrs.Snapshot(ctx)
		return err
	})
	if err != nil {
		a.snapErr = fmt.Errorf("reading the cluster status: %w", err)
		return nil, a.snapErr
	}
	a.snap = c
	return c, nil
}

// known returns an attribute's current value as far as this invocation
// knows it: from what it wrote itself, else from the snapshot, else (for a
// node the snapshot has no attributes of, e.g. an offline one) from a read.
func (a *Agent) known(ctx context.Context, node, name string, lt attrd.Lifetime) (string, bool, error) {
	key := node + "\x00" + name
	if v, ok := a.written[key]; ok {
		return v.value, v.present, nil
	}
	if c, err := a.cluster(ctx); err == nil && c.AttrKnown(node) {
		v, ok := c.Attr(node, name)
		return v, ok, nil
	}
	var v string
	var ok bool
	err := a.clusterCall(ctx, "reading "+name+" of "+node, func(ctx context.Context) error {
		var err error
		v, ok, err = a.Attrs.Get(ctx, node, name, lt)
		return err
	})
	return v, ok, err
}

type writtenAttr struct {
	value   string
	present bool
}

func (a *Agent) remember(node, name, value string, present bool) {
	if a.written == nil {
		a.written = map[string]writtenAttr{}
	}
	a.written[node+"\x00"+name] = writtenAttr{value, present}
}

// setAttr writes an attribute only when its value changes.
func (a *Agent) setAttr(ctx context.Context, node, name, value string, lt attrd.Lifetime) error {
	if cur, ok, err := a.known(ctx, node, name, lt); err == nil && ok && cur == value {
		return nil
	}
	what := fmt.Sprintf("setting %s=%s on %s", name, value, node)
	if err := a.clusterCall(ctx, what, func(ctx context.Context) error {
		return a.Attrs.Set(ctx, node, name, value, lt)
	}); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	a.Log.Debugf("%s: %s=%s", node, name, value)
	a.remember(node, name, value, true)
	return nil
}

// delAttr deletes an attribute unless it is known to be absent.
func (a *Agent) delAttr(ctx context.Context, node, name string, lt attrd.Lifetime) error {
	if _, ok, err := a.known(ctx, node, name, lt); err == nil && !ok {
		return nil
	}
	what := fmt.Sprintf("deleting %s on %s", name, node)
	if err := a.clusterCall(ctx, what, func(ctx context.Context) error {
		return a.Attrs.Delete(ctx, node, name, lt)
	}); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	a.remember(node, name, "", false)
	return nil
}

// setScore sets a node's promotion score when it changes.
func (a *Agent) setScore(ctx context.Context, node, score string) error {
	name := attrd.PromotionScoreName(a.Cfg.Resource)
	if cur, ok, err := a.known(ctx, node, name, attrd.Reboot); err == nil && ok && cur == score {
		return nil
	}
	what := fmt.Sprintf("setting the promotion score of %s to %s", node, score)
	if err := a.clusterCall(ctx, what, func(ctx context.Context) error {
		return a.Attrs.SetPromotionScore(ctx, a.Cfg.Resource, node, score)
	}); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	a.Log.Debugf("%s: promotion score %s", node, score)
	a.remember(node, name, score, true)
	return nil
}

// write carries out one planned attribute write.
func (a *Agent) write(ctx context.Context, w attrWrite) error {
	if w.Score {
		return a.setScore(ctx, w.Node, w.Value)
	}
	return a.setAttr(ctx, w.Node, w.Name, w.Value, w.Lifetime)
}

// myStatus etc. are shorthands for this node's own attributes.
func (a *Agent) setMyStatus(ctx context.Context, v string) error {
	return a.setAttr(ctx, a.node, a.Cfg.names().Status(), v, attrd.Reboot)
}
