// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/archive"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/procedure"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/toolsconf"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/pg"
)

func lockCommand() *cli.Command {
	common := func(extra ...cli.Flag) []cli.Flag {
		return append([]cli.Flag{
			&cli.StringFlag{Name: "tmpdir", Usage: "the agent's tmpdir (default: Tmpdir in the config, else the pgsql resource's tmpdir in the CIB, else /var/lib/pgsql/tmp)"},
			&cli.StringFlag{Name: "pgdata", Usage: "the data directory (default: PGDATA in the config, else the CIB's pgdata, else /var/lib/pgsql/data)"},
			&cli.StringFlag{Name: "node", Usage: "this node's cluster name (default: crm_node --name)"},
			&cli.StringFlag{Name: "resource", Usage: "the pgsql primitive id (default: PG_REX_Primitive_ResourceID, pgsql)"},
			&cli.StringFlag{Name: "peer", Usage: "the peer's address for ssh, asked while Pacemaker is stopped here (default: the address of D_LAN_IPAddress not configured here)"},
			&cli.StringSliceFlag{Name: "ssh-option", Usage: "an extra ssh option, e.g. -o StrictHostKeyChecking=accept-new (repeatable)"},
			configFlag(),
		}, extra...)
	}
	return &cli.Command{
		Name:  "lock",
		Usage: "show or remove PGSQL.lock, PG-REX's start-prohibition flag",
		Subcommands: []*cli.Command{
			{
				Name:        "status",
				Usage:       "show whether PGSQL.lock exists, when and by which promote it was made, and whether clear would remove it",
				Description: "Exit status: 0 no lock, 2 the lock exists, 1 it could not be inspected.",
				Flags:       common(&cli.BoolFlag{Name: "json", Usage: "print JSON"}),
				Action:      runLockStatus,
			},
			{
				Name:  "clear",
				Usage: "remove PGSQL.lock once this node's data is known to be complete",
				Description: "Refuses while PostgreSQL runs here as primary, and unless this node's pgsql-data-status is " +
					"LATEST or STREAMING|SYNC or its data directory was rebuilt (pg_basebackup/pg_rewind) after the lock " +
					"was made. With Pacemaker stopped here it also asks the peer over ssh and refuses unless the peer " +
					"answers, does not run as primary, is not LATEST and is not on a later timeline or further on the same " +
					"one. --force overrides the refusals. Asks before removing unless --yes. " +
					"Exit status: 0 removed or nothing to remove, 2 refused, 3 declined at the prompt, 1 error.",
				Flags: common(
					&cli.BoolFlag{Name: "force", Usage: "remove the lock despite the safety checks"},
					&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"},
					&cli.BoolFlag{Name: "dry-run", Usage: "show what would be done, change nothing"},
				),
				Action: runLockClear,
			},
		},
	}
}

// lockCtx is what both lock subcommands resolve first.
type lockCtx struct {
	e      *env
	cfg    toolsconf.Config
	rsc    string
	tmpdir string
	tmpSrc toolsconf.Source
	info   lockfile.Info
	// clear is what the last decide saw.
	clear procedure.LockClearFacts
}

func newLockCtx(c *cli.Context) (*lockCtx, error) {
	e := envOf(c)
	cfg, err := loadConfig(c, e)
	if err != nil {
		return nil, e.fail(exitError, err)
	}
	l := &lockCtx{e: e, cfg: cfg, rsc: c.String("resource")}
	if l.rsc == "" {
		l.rsc = cfg.PrimitiveResourceID
	}
	l.tmpdir, l.tmpSrc = resolveTmpdir(c, e, cfg, l.rsc, true)
	l.info, err = lockfile.Read(lockfile.Path(l.tmpdir))
	if err != nil {
		return nil, e.fail(exitError, err)
	}
	return l, nil
}

// facts gathers what lockfile.Decide needs. dsSource says where the
// data-status came from: "cluster" or "on-disk CIB <path>".
func (l *lockCtx) facts(c *cli.Context) (f lockfile.Facts, node, pgdata, dsSource string) {
	f.Lock = l.info
	var params map[string]string
	if c.String("pgdata") == "" && !l.cfg.IsSet("PGDATA") {
		params = cibParams(c, l.e, l.cfg, l.rsc, true)
	}
	pgdata, _ = l.cfg.Resolve(c.String("pgdata"), "PGDATA", l.cfg.PGData, params, "pgdata", toolsconf.DefaultPGData)

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

	node = localNodeName(c, l.e, l.cfg, true)
	if node == "" {
		f.DataStatusErr = errors.New("this node's cluster name is unknown: give --node")
		return f, node, pgdata, ""
	}
	name := attrd.Names{Resource: l.rsc}.DataStatus()
	ctx, cancel := ctxTimeout(c, l.cfg)
	defer cancel()
	v, found, err := attrd.NewCRM(l.e.run, attrd.Options{Timeout: l.cfg.CommandTimeout}).Get(ctx, node, name, attrd.Forever)
	dsSource = "cluster"
	if err != nil {
		// Pacemaker is usually stopped on a node whose lock is being
		// cleared: read the CIB it left on disk, as PG-REX's tools do.
		if _, serr := os.Stat(l.cfg.CIBFile); serr == nil {
			v, found, err = attrd.NewCRM(l.e.run, attrd.Options{Timeout: l.cfg.CommandTimeout,
				Env: []string{"CIB_file=" + l.cfg.CIBFile}}).Get(ctx, node, name, attrd.Forever)
			dsSource = "on-disk CIB " + l.cfg.CIBFile
		}
	}
	f.DataStatus, f.DataStatusFound, f.DataStatusErr = v, found, err
	return f, node, pgdata, dsSource
}

// decide applies procedure.DecideLockClear. With the data-status from the
// live cluster no peer is asked; otherwise it came from this node's own
// memory (its on-disk CIB) and the peer's facts are gathered over ssh with
// the procedures' gatherer.
func (l *lockCtx) decide(c *cli.Context, f lockfile.Facts, node, pgdata, dsSource string, force bool) lockfile.Decision {
	l.clear = procedure.LockClearFacts{Base: f, LiveCIB: dsSource == "cluster"}
	if f.Lock.Exists && !l.clear.LiveCIB {
		l.gatherPeer(c, node, pgdata)
	}
	return procedure.DecideLockClear(l.clear, force)
}

func (l *lockCtx) gatherPeer(c *cli.Context, node, pgdata string) {
	cfg := l.cfg
	s := procedure.Settings{Node: node, Resource: l.rsc, PGData: pgdata, Tmpdir: l.tmpdir, CIBFile: cfg.CIBFile,
		CommandTimeout: cfg.CommandTimeout, SSHOptions: sshSettings(c), PeerHost: peerHost(c, cfg)}
	s.PGUser, s.PGBin = pgUserBin(cfg, cibParams(c, l.e, cfg, l.rsc, false))
	g := &procedure.Gatherer{Exec: &procedure.Real{Runner: l.e.run, SSH: procedure.SSH{Options: s.SSHOptions}, Timeout: cfg.CommandTimeout},
		Status: status.Options{Resource: l.rsc, Clone: cfg.PrimaryResourceID, LocalNode: node}}
	ctx := c.Context
	p := g.Peer(ctx, s, procedure.PeerOptions{})
	s.Peer = procedure.PeerNodeName(s, p)
	l.clear.Peer, l.clear.PeerNode = p, s.Peer
	if local, err := g.Local(ctx, s, true); err == nil {
		l.clear.Local = local
	} else {
		l.clear.Local.ControlErr = err.Error()
	}
	if p.Err == "" {
		mine, peers, _ := g.DataStatusViews(ctx, s, p)
		// Only the peer's CIB: this node's own was read already.
		for _, ob := range mine {
			if !strings.HasPrefix(ob.Source, "on-disk CIB of "+node) {
				l.clear.MineInPeer = append(l.clear.MineInPeer, ob)
			}
		}
		for _, ob := range peers {
			if !strings.HasPrefix(ob.Source, "on-disk CIB of "+node) {
				l.clear.PeerStatus = append(l.clear.PeerStatus, ob)
			}
		}
	}
}

func (l *lockCtx) printLock() {
	e := l.e
	e.say("lk.path", l.info.Path, e.sourceText(l.tmpSrc))
	if !l.info.Exists {
		e.say("lk.absent")
		return
	}
	e.say("lk.present")
	from := e.T("lk.from-mtime")
	if l.info.CreatedFrom == "content" {
		from = e.T("lk.from-content")
	}
	e.say("lk.created", l.info.Created.UTC().Format(time.RFC3339), from)
	if ct := l.info.Content; ct.Node != "" || ct.Timeline != 0 || ct.Location != "" {
		tli := "?"
		if ct.Timeline != 0 {
			tli = fmt.Sprint(ct.Timeline)
		}
		e.say("lk.by", orDash(ct.Node), tli, orDash(ct.Location))
	}
	if len(l.info.Content.Unknown) > 0 {
		e.say("lk.unknown", strings.Join(l.info.Content.Unknown, " | "))
	}
}

func (l *lockCtx) printFacts(f lockfile.Facts, node, pgdata, dsSource string) {
	e := l.e
	ds := f.DataStatus
	switch {
	case f.DataStatusErr != nil:
		ds = e.T("lk.unreadable")
		dsSource = ""
	case !f.DataStatusFound:
		ds = e.T("lk.unset")
	}
	src := ""
	switch {
	case dsSource == "cluster":
		src = e.T("source", e.T("src.cluster"))
	case strings.HasPrefix(dsSource, "on-disk CIB "):
		src = e.T("source", e.T("src.cib-file", strings.TrimPrefix(dsSource, "on-disk CIB ")))
	}
	e.say("lk.facts", orDash(node), e.T("pg."+string(f.PG)), ds, src)
	if !f.BackupLabel.IsZero() {
		e.say("lk.backup-label", pgdata, f.BackupLabel.UTC().Format(time.RFC3339))
	}
}

// reasonText renders a Decide code.
func (l *lockCtx) reasonText(code lockfile.Code, f lockfile.Facts) string {
	e := l.e
	switch code {
	case lockfile.PrimaryRunning:
		return e.T("lk.primary-running")
	case lockfile.RoleUnknown:
		return e.T("lk.role-unknown")
	case lockfile.DataBehind:
		return e.T("lk.data-behind", f.DataStatus)
	case lockfile.DataUnset:
		return e.T("lk.data-unset")
	case lockfile.DataUnreadable:
		return e.T("lk.data-unreadable", f.DataStatusErr.Error())
	case lockfile.GroundLatest:
		return e.T("lk.data-latest")
	case lockfile.GroundSync:
		return e.T("lk.data-sync")
	case lockfile.GroundRebuilt:
		return e.T("lk.rebuilt", f.BackupLabel.UTC().Format(time.RFC3339))
	case lockfile.GroundForced:
		return e.T("lk.forced-ground")
	}
	pf := l.clear
	peer := orDash(pf.PeerNode)
	if pf.PeerNode == "" {
		peer = orDash(pf.Peer.Host)
	}
	tl := func(c *procedure.ControlData, t uint32) string {
		if c == nil {
			return "?"
		}
		return fmt.Sprintf("%d (%s)", t, archive.FormatLSN(c.CheckpointLSN))
	}
	var peerTL, myTL string
	if pf.Peer.Control != nil {
		peerTL = tl(pf.Peer.Control, pf.Peer.Control.Timeline())
	}
	myTL = tl(pf.Local.Control, pf.Local.Timeline())
	switch code {
	case lockfile.PeerUnreachable:
		return e.T("lk.peer-unreachable", peer, pf.Peer.Err)
	case lockfile.PeerPrimary:
		return e.T("lk.peer-primary", peer)
	case lockfile.PeerLatest:
		return e.T("lk.peer-latest", peer, observationSources(pf.PeerStatus))
	case lockfile.PeerSaysBehind:
		return e.T("lk.peer-says-behind", peer, observationValues(pf.MineInPeer))
	case lockfile.PeerNewerTimeline:
		return e.T("lk.peer-newer-timeline", peer, peerTL, myTL)
	case lockfile.PeerAhead:
		return e.T("lk.peer-ahead", peer, peerTL, myTL)
	case lockfile.PeerUnknown:
		why := pf.Peer.ControlErr
		if pf.Local.Control == nil {
			why = pf.Local.ControlErr
		}
		return e.T("lk.peer-unknown", peer, orDash(why))
	case lockfile.GroundPeerBehind:
		return e.T("lk.peer-not-ahead", peer, orDash(peerTL), myTL)
	}
	return string(code)
}

func (l *lockCtx) printDecision(d lockfile.Decision, f lockfile.Facts) {
	e := l.e
	if len(d.Refusals) > 0 {
		if d.Remove {
			e.say("lk.forced")
		} else {
			e.say("lk.refused", l.info.Path)
		}
		for _, r := range d.Refusals {
			fmt.Fprintf(e.stdout, "  - %s\n", l.reasonText(r, f))
		}
		if !d.Remove {
			e.say("lk.force-hint")
		}
		return
	}
	if d.Remove {
		e.say("lk.grounds")
		for _, g := range d.Grounds {
			fmt.Fprintf(e.stdout, "  - %s\n", l.reasonText(g, f))
		}
	}
}

// lockStatusJSON is `pgrex lock status --json`.
type lockStatusJSON struct {
	Path   string        `json:"path"`
	Source string        `json:"tmpdir_source"`
	Lock   lockfile.Info `json:"lock"`
	Clear  *clearJSON    `json:"clear,omitempty"`
}

type clearJSON struct {
	Node            string          `json:"node"`
	PostgreSQL      lockfile.PGRole `json:"postgresql"`
	DataStatus      string          `json:"data_status,omitempty"`
	DataStatusFound bool            `json:"data_status_found"`
	DataStatusError string          `json:"data_status_error,omitempty"`
	WouldRemove     bool            `json:"would_remove"`
	Refusals        []lockfile.Code `json:"refusals,omitempty"`
	Grounds         []lockfile.Code `json:"grounds,omitempty"`
}

func runLockStatus(c *cli.Context) error {
	l, err := newLockCtx(c)
	if err != nil {
		return err
	}
	var cj *clearJSON
	var f lockfile.Facts
	var d lockfile.Decision
	var node, pgdata, dsSource string
	if l.info.Exists {
		f, node, pgdata, dsSource = l.facts(c)
		d = l.decide(c, f, node, pgdata, dsSource, false)
		cj = &clearJSON{Node: node, PostgreSQL: f.PG, DataStatus: f.DataStatus, DataStatusFound: f.DataStatusFound,
			WouldRemove: d.Remove, Refusals: d.Refusals, Grounds: d.Grounds}
		if f.DataStatusErr != nil {
			cj.DataStatusError = f.DataStatusErr.Error()
		}
	}
	if c.Bool("json") {
		enc := json.NewEncoder(l.e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(lockStatusJSON{Path: l.info.Path, Source: string(l.tmpSrc), Lock: l.info, Clear: cj}); err != nil {
			return l.e.fail(exitError, fmt.Errorf("writing JSON: %w", err))
		}
	} else {
		l.printLock()
		if l.info.Exists {
			l.printFacts(f, node, pgdata, dsSource)
			l.printDecision(d, f)
		}
	}
	if l.info.Exists {
		return cli.Exit("", exitAttn)
	}
	return nil
}

func runLockClear(c *cli.Context) error {
	l, err := newLockCtx(c)
	if err != nil {
		return err
	}
	e := l.e
	l.printLock()
	if !l.info.Exists {
		e.say("lk.nothing")
		return nil
	}
	f, node, pgdata, dsSource := l.facts(c)
	l.printFacts(f, node, pgdata, dsSource)
	d := l.decide(c, f, node, pgdata, dsSource, c.Bool("force"))
	l.printDecision(d, f)
	if !d.Remove {
		return cli.Exit("", exitAttn)
	}
	if c.Bool("dry-run") {
		e.say("lk.dry-run", l.info.Path)
		return nil
	}
	if !c.Bool("yes") && !e.confirm("lk.confirm", l.info.Path) {
		e.say("declined")
		return cli.Exit("", exitDeclined)
	}
	removed, err := lockfile.Remove(l.info.Path)
	if err != nil {
		return e.fail(exitError, err)
	}
	if !removed {
		e.say("lk.gone", l.info.Path)
		return nil
	}
	var why []string
	for _, g := range d.Grounds {
		why = append(why, string(g))
	}
	for _, r := range d.Refusals {
		why = append(why, "overrode "+string(r))
	}
	if dsSource != "" && f.DataStatusErr == nil {
		why = append(why, fmt.Sprintf("data-status=%q from %s", f.DataStatus, dsSource))
	}
	l.e.logAction(fmt.Sprintf("pgrex lock clear: removed %s on node %s (%s)", l.info.Path, orDash(node), strings.Join(why, "; ")))
	e.say("lk.removed", l.info.Path)
	return nil
}

// observationSources names the CIBs that hold a value; observationValues
// renders "value (source)" for each.
func observationSources(obs []procedure.Observation) string {
	var out []string
	for _, ob := range obs {
		if ob.Found {
			out = append(out, ob.Source)
		}
	}
	return strings.Join(out, ", ")
}

func observationValues(obs []procedure.Observation) string {
	var out []string
	for _, ob := range obs {
		if ob.Found {
			out = append(out, ob.Value+" ("+ob.Source+")")
		}
	}
	return strings.Join(out, ", ")
}
