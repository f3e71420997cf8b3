// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/toolsconf"
)

// Flags are the procedures' command-line values ("" or nil = not given).
type Flags struct {
	Node, Peer, Resource, PGData, Tmpdir, RewindUser string
	// PacemakerStart and PacemakerStop are split at blanks (no shell).
	PacemakerStart, PacemakerStop string
	// SSHOptions are the --ssh-option values, each possibly "-o X=Y".
	SSHOptions     []string
	WaitTimeout    time.Duration
	RebuildTimeout time.Duration
}

// Host is what the resolution asks the outside world.
type Host struct {
	toolsconf.Host
	// LocalAddrs lists this node's addresses (net.InterfaceAddrs in
	// production).
	LocalAddrs func() []netip.Addr
}

// ResolveSettings fills in the settings: command line, config file, the
// pgsql resource's parameters in the CIB, defaults.
func ResolveSettings(ctx context.Context, h Host, cfg toolsconf.Config, f Flags) (Settings, error) {
	var s Settings
	s.Resource = cfg.Resource(f.Resource)
	params := cfg.ReadCIBParams(ctx, h.Run, s.Resource, true)
	s.PGData, _ = cfg.Resolve(f.PGData, "PGDATA", cfg.PGData, params, "pgdata", toolsconf.DefaultPGData)
	s.Tmpdir, _ = cfg.Resolve(f.Tmpdir, "Tmpdir", cfg.Tmpdir, params, "tmpdir", toolsconf.DefaultTmpdir)
	s.Node = cfg.LocalNodeName(ctx, h.Host, f.Node, true)
	if s.Node == "" {
		return s, errors.New("this node's cluster name is unknown: give --node")
	}
	s.Clone = cfg.PrimaryResourceID
	s.VIPPrimary, s.VIPReplication = cfg.VIPPrimary, cfg.VIPReplication
	if cfg.IPAddrStandby {
		s.VIPStandby = cfg.VIPStandby
	}
	s.ArchiveDir = cfg.ArchiveDir
	param := func(name, def string) string {
		if v := params[name]; v != "" {
			return v
		}
		return def
	}
	s.PGUser, s.PGBin = PGUserBin(cfg, params)
	s.PSQL = param("psql", s.Bin("psql"))
	s.PGPort = param("pgport", "5432")
	if h := params["pghost"]; filepath.IsAbs(h) {
		s.SocketDir = h
	} else {
		s.SocketDir = params["socketdir"]
	}
	s.PGDB = param("pgdb", "template1")
	s.MasterIP = params["master_ip"]
	s.RepUser = param("repuser", "postgres")
	s.RewindUser = f.RewindUser
	if s.RewindUser == "" {
		s.RewindUser = s.PGUser
	}
	s.CIBFile = cfg.CIBFile
	s.StartPacemaker = strings.Fields(f.PacemakerStart)
	s.StopPacemaker = strings.Fields(f.PacemakerStop)
	if len(s.StartPacemaker) == 0 || len(s.StopPacemaker) == 0 {
		return s, errors.New("--pacemaker-start and --pacemaker-stop must name a command")
	}
	s.SSHOptions = SSHSettings(f.SSHOptions)
	s.WaitTimeout = f.WaitTimeout
	if s.WaitTimeout <= 0 {
		return s, errors.New("--timeout must be positive")
	}
	s.RebuildTimeout = f.RebuildTimeout
	s.CommandTimeout = cfg.CommandTimeout
	s.PeerHost = PeerHost(f.Peer, cfg, h.LocalAddrs)
	s.Dialect = attrd.DetectDialect(ctx, h.Run, cfg.CommandTimeout)
	return s, nil
}

// InterfaceAddrs lists this node's addresses.
func InterfaceAddrs() []netip.Addr {
	var out []netip.Addr
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	for _, a := range ifaddrs {
		if pfx, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, pfx.Addr())
		}
	}
	return out
}

// NewGatherer is the procedures' gatherer for the settings s.
func NewGatherer(exec Executor, cfg toolsconf.Config, s Settings) *Gatherer {
	return &Gatherer{Exec: exec, Status: StatusOptions(cfg, s), CrmMon: CrmMonArgv(s.Dialect)}
}

// StatusOptions are how the procedures read the cluster with
// internal/status.
func StatusOptions(cfg toolsconf.Config, s Settings) status.Options {
	return status.Options{Resource: s.Resource, Clone: cfg.PrimaryResourceID, VIPPrimary: cfg.VIPPrimary,
		VIPReplication: cfg.VIPReplication, VIPStandby: s.VIPStandby, PingAttribute: cfg.PingAttribute,
		DiskAttributes: cfg.DiskAttributes, LocalNode: s.Node}
}

// PGUserBin: the OS user PostgreSQL runs as (pgdba) and the directory of
// its programs (PGPATH, else pgctl's directory; "" = PATH).
func PGUserBin(cfg toolsconf.Config, params map[string]string) (user, bin string) {
	user = params["pgdba"]
	if user == "" {
		user = "postgres"
	}
	switch {
	case cfg.PGPath != "":
		bin = cfg.PGPath
	case filepath.IsAbs(params["pgctl"]):
		bin = filepath.Dir(params["pgctl"])
	}
	return user, bin
}

// SSHSettings are the ssh options: the defaults and every --ssh-option,
// "-o X=Y" given as one value split into two arguments.
func SSHSettings(flags []string) []string {
	out := append([]string(nil), DefaultSSHOptions...)
	for _, v := range flags {
		out = append(out, strings.Fields(v)...)
	}
	return out
}

// PeerHost: flag (--peer), else the D_LAN_IPAddress not configured here.
func PeerHost(flag string, cfg toolsconf.Config, localAddrs func() []netip.Addr) string {
	if flag != "" {
		return flag
	}
	return peerFromDLAN(cfg.DLANAddresses, localAddrs())
}

// peerFromDLAN is the address of D_LAN_IPAddress that is not this node's
// (PG-REX's rule); "" when it cannot be told.
func peerFromDLAN(dlan, local []netip.Addr) string {
	if len(dlan) != 2 {
		return ""
	}
	isLocal := func(a netip.Addr) bool {
		for _, l := range local {
			if l == a {
				return true
			}
		}
		return false
	}
	switch l0, l1 := isLocal(dlan[0]), isLocal(dlan[1]); {
	case l0 && !l1:
		return dlan[1].String()
	case l1 && !l0:
		return dlan[0].String()
	}
	return ""
}
