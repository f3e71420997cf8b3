// SPDX-License-Identifier: Apache-2.0

package toolsconf

// Where the settings every tool shares come from when neither the command
// line nor the configuration file gives them: the cluster (crm_node, the
// pgsql resource in the CIB), the CIB Pacemaker left on disk, the host.

import (
	"context"
	"os"
	"strings"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/cmdrun"
)

// Host is what the resolution needs from the outside world.
type Host struct {
	Run attrd.Runner
	// Hostname is os.Hostname in production.
	Hostname func() (string, error)
}

// LocalNodeName: flag (--node), else Node_name from the config, else
// (live) crm_node --name, else the short host name, else "" (then no node
// is "local").
func (c *Config) LocalNodeName(ctx context.Context, h Host, flag string, live bool) string {
	if flag != "" {
		return flag
	}
	if c.NodeName != "" {
		return c.NodeName
	}
	if !live {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, c.CommandTimeout)
	defer cancel()
	if n, err := attrd.NewCRM(h.Run, attrd.Options{Timeout: c.CommandTimeout}).LocalNode(ctx); err == nil {
		return n
	}
	if name, err := h.Hostname(); err == nil {
		name, _, _ = strings.Cut(name, ".")
		return name
	}
	return ""
}

// ReadCIBParams reads the pgsql primitive's parameters: from the live CIB
// (cibadmin --query --scope resources), else from the on-disk CIB file
// (Pacemaker stopped on this node). nil when neither can be read.
func (c *Config) ReadCIBParams(ctx context.Context, run attrd.Runner, rsc string, live bool) map[string]string {
	if live {
		ctx, cancel := context.WithTimeout(ctx, c.CommandTimeout)
		defer cancel()
		res, err := run.Run(ctx, cmdrun.Cmd{Path: "cibadmin", Args: []string{"--query", "--scope", "resources"},
			Timeout: c.CommandTimeout})
		if err == nil {
			if p, found, err := CIBParams(res.Stdout, rsc); err == nil && found {
				return p
			}
		}
	}
	if b, err := os.ReadFile(c.CIBFile); err == nil {
		if p, found, err := CIBParams(b, rsc); err == nil && found {
			return p
		}
	}
	return nil
}

// ResolveTmpdir: flag (--tmpdir), Tmpdir in the config, the CIB's tmpdir
// parameter, the agent's default.
func (c *Config) ResolveTmpdir(ctx context.Context, run attrd.Runner, flag, rsc string, live bool) (string, Source) {
	var params map[string]string
	if flag == "" && !c.IsSet("Tmpdir") {
		params = c.ReadCIBParams(ctx, run, rsc, live)
	}
	return c.Resolve(flag, "Tmpdir", c.Tmpdir, params, "tmpdir", DefaultTmpdir)
}

// Resource is the pgsql primitive: flag (--resource), else
// PG_REX_Primitive_ResourceID.
func (c *Config) Resource(flag string) string {
	if flag != "" {
		return flag
	}
	return c.PrimitiveResourceID
}
