// SPDX-License-Identifier: Apache-2.0

package procedure

// What `pgrex lock status` and `pgrex lock clear` gather before
// DecideLockClear: this node's PostgreSQL, backup_label and data-status
// (from the cluster, else the CIB Pacemaker left on disk), and, when the
// data-status is only this node's memory, the peer's facts over ssh.

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/toolsconf"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/pg"
)

// LockQuery is what the lock subcommands resolved: the config, the pgsql
// resource, the agent's tmpdir, the lock read there, and the flags.
type LockQuery struct {
	Config   toolsconf.Config
	Resource string
	Tmpdir   string
	Lock     lockfile.Info
	// NodeFlag, PGDataFlag, PeerFlag: --node, --pgdata, --peer ("" = not
	// given); SSHOptions the --ssh-option values.
	NodeFlag, PGDataFlag, PeerFlag string
	SSHOptions                     []string
}

// LockFacts are this node's facts about its lock. DataStatusSource says
// where the data-status came from: "cluster", "on-disk CIB <path>", or ""
// (not read).
type LockFacts struct {
	Base             lockfile.Facts
	Node, PGData     string
	DataStatusSource string
}

// GatherLockFacts gathers what lockfile.Decide needs.
func GatherLockFacts(ctx context.Context, h Host, q LockQuery) LockFacts {
	cfg := q.Config
	lf := LockFacts{Base: lockfile.Facts{Lock: q.Lock}}
	f := &lf.Base
	var params map[string]string
	if q.PGDataFlag == "" && !cfg.IsSet("PGDATA") {
		params = cfg.ReadCIBParams(ctx, h.Run, q.Resource, true)
	}
	lf.PGData, _ = cfg.Resolve(q.PGDataFlag, "PGDATA", cfg.PGData, params, "pgdata", toolsconf.DefaultPGData)
	pgdata := lf.PGData

	live, err := pg.CheckLiveness(pgdata)
	switch {
	case err != nil:
		f.PG = lockfile.PGUnknown
	default:
		f.PG = lockfile.RoleFromDataDir(live.Running, func(name string) bool {
			_, err := os.Lstat(filepath.Join(pgdata, name))
			return err == nil
		})
	}
	if st, err := os.Lstat(filepath.Join(pgdata, "backup_label")); err == nil {
		f.BackupLabel = st.ModTime()
	}

	lf.Node = cfg.LocalNodeName(ctx, h.Host, q.NodeFlag, true)
	if lf.Node == "" {
		f.DataStatusErr = errors.New("this node's cluster name is unknown: give --node")
		return lf
	}
	name := attrd.Names{Resource: q.Resource}.DataStatus()
	ctx, cancel := context.WithTimeout(ctx, cfg.CommandTimeout)
	defer cancel()
	v, found, err := attrd.NewCRM(h.Run, attrd.Options{Timeout: cfg.CommandTimeout}).Get(ctx, lf.Node, name, attrd.Forever)
	lf.DataStatusSource = "cluster"
	if err != nil {
		// Pacemaker is usually stopped on a node whose lock is being
		// cleared: read the CIB it left on disk, as PG-REX's tools do.
		if _, serr := os.Stat(cfg.CIBFile); serr == nil {
			v, found, err = attrd.NewCRM(h.Run, attrd.Options{Timeout: cfg.CommandTimeout,
				Env: []string{"CIB_file=" + cfg.CIBFile}}).Get(ctx, lf.Node, name, attrd.Forever)
			lf.DataStatusSource = "on-disk CIB " + cfg.CIBFile
		}
	}
	f.DataStatus, f.DataStatusFound, f.DataStatusErr = v, found, err
	return lf
}

// GatherLockClear completes the facts for DecideLockClear. With the
// data-status from the live cluster no peer is asked; otherwise it came
// from this node's own memory (its on-disk CIB) and the peer's facts are
// gathered over ssh with the procedures' gatherer.
func GatherLockClear(ctx context.Context, h Host, q LockQuery, lf LockFacts) LockClearFacts {
	fc := LockClearFacts{Base: lf.Base, LiveCIB: lf.DataStatusSource == "cluster"}
	if !lf.Base.Lock.Exists || fc.LiveCIB {
		return fc
	}
	cfg, node := q.Config, lf.Node
	s := Settings{Node: node, Resource: q.Resource, PGData: lf.PGData, Tmpdir: q.Tmpdir, CIBFile: cfg.CIBFile,
		CommandTimeout: cfg.CommandTimeout, SSHOptions: SSHSettings(q.SSHOptions), PeerHost: PeerHost(q.PeerFlag, cfg, h.LocalAddrs)}
	s.PGUser, s.PGBin = PGUserBin(cfg, cfg.ReadCIBParams(ctx, h.Run, q.Resource, false))
	g := &Gatherer{Exec: &Real{Runner: h.Run, SSH: SSH{Options: s.SSHOptions}, Timeout: cfg.CommandTimeout},
		Status: status.Options{Resource: q.Resource, Clone: cfg.PrimaryResourceID, LocalNode: node}}
	p := g.Peer(ctx, s, PeerOptions{})
	s.Peer = PeerNodeName(s, p)
	fc.Peer, fc.PeerNode = p, s.Peer
	if local, err := g.Local(ctx, s, true); err == nil {
		fc.Local = local
	} else {
		fc.Local.ControlErr = err.Error()
	}
	if p.Err == "" {
		mine, peers, _ := g.DataStatusViews(ctx, s, p)
		// Only the peer's CIB: this node's own was read already.
		for _, ob := range mine {
			if !strings.HasPrefix(ob.Source, "on-disk CIB of "+node) {
				fc.MineInPeer = append(fc.MineInPeer, ob)
			}
		}
		for _, ob := range peers {
			if !strings.HasPrefix(ob.Source, "on-disk CIB of "+node) {
				fc.PeerStatus = append(fc.PeerStatus, ob)
			}
		}
	}
	return fc
}
