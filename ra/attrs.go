// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/config"
)

// attrNames spells the resource's node attributes, as the shell agent did.
func attrNames(c *config.Config) attrd.Names { return attrd.Names{Resource: c.Resource} }

// write carries out one planned attribute write.
func (a *Agent) write(ctx context.Context, w attrWrite) error {
	if w.Score {
		return a.attrs.SetScore(ctx, w.Node, w.Value)
	}
	return a.attrs.Set(ctx, w.Node, w.Name, w.Value, w.Lifetime)
}

// myStatus etc. are shorthands for this node's own attributes.
func (a *Agent) setMyStatus(ctx context.Context, v string) error {
	return a.attrs.Set(ctx, a.node, attrNames(&a.Cfg).Status(), v, attrd.Reboot)
}
