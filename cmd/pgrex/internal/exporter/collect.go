// SPDX-License-Identifier: Apache-2.0

// Package exporter is `pgrex exporter`: the PG-REX picture of the cluster
// as Prometheus metrics and as HAProxy-style health checks (HTTP 200 or
// 503) for load balancers (docs/operations.md, `pgrex exporter`).
//
// The work is split the house way:
//
//   - collect.go reads (Read): one crm_mon report (attrd.ReadReport, or a
//     file offline), viewed by internal/status and diagnosed by
//     status.Diagnose; this node's PGSQL.lock and rep_mode.conf; and at
//     most one PostgreSQL session (postgres.go). Everything under one
//     deadline; nothing is written anywhere.
//   - metrics.go turns one Snapshot into metrics, health.go into the
//     answer of a health endpoint: both are pure functions of the Snapshot,
//     tested on the fixtures of test/fixtures.
//   - server.go serves them, reading at most once per interval however
//     many scrapes and checks arrive (concurrent ones share one read).
package exporter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/pg"
)

// Source names what a read looks at; errors are counted per source.
type Source string

// The sources of a read.
const (
	SourceCrmMon   Source = "crm_mon"
	SourcePostgres Source = "postgresql"
	SourceLockFile Source = "lockfile"
	SourceRepMode  Source = "rep_mode_conf"
)

// Sources lists every source, in the order the metrics show them.
var Sources = []Source{SourceCrmMon, SourcePostgres, SourceLockFile, SourceRepMode}

// Config says what a read looks at. Zero values leave a source out: no
// Runner and no XMLFile, no cluster; no Tmpdir, no PGSQL.lock and no
// rep_mode.conf; no PG, no PostgreSQL (offline mode).
type Config struct {
	// Run runs crm_mon (live mode).
	Run attrd.Runner
	// XMLFile is crm_mon XML read instead of running crm_mon (offline).
	XMLFile string
	// Status names the resources and this node (Status.LocalNode), as for
	// `pgrex status`.
	Status status.Options
	// Tmpdir is the agent's tmpdir on this node.
	Tmpdir string
	// PG reaches this node's PostgreSQL.
	PG *pg.ConnParams
	// Timeout bounds one whole read: a scrape never waits longer.
	Timeout time.Duration
	// Now is the clock (time.Now in production).
	Now func() time.Time
}

// Snapshot is what one read saw. A source that could not be read has its
// error in Errors and its part nil.
type Snapshot struct {
	// Time is when the read started, Duration how long it took.
	Time     time.Time
	Duration time.Duration
	// Node is this node's cluster name ("" = unknown): the node label of
	// what is read locally (PGSQL.lock, rep_mode.conf, PostgreSQL).
	Node string
	// Cluster is crm_mon's report as attrd read it, Model the PG-REX view
	// of it, Diagnosis the row of the manual it is in.
	Cluster   *attrd.Cluster
	Model     *status.Model
	Diagnosis status.Diagnosis
	// Lock is this node's PGSQL.lock.
	Lock *lockfile.Info
	// SyncStandby is the standby rep_mode.conf names ("" = none); nil when
	// the file was not read or does not exist (rep_mode=async, a standby
	// that never was primary).
	SyncStandby *string
	// PG is what this node's PostgreSQL said.
	PG *PGFacts
	// Tried lists the sources this read looked at, in the order of
	// Sources; Errors holds those that failed.
	Tried  []Source
	Errors map[Source]error
}

// Read takes one snapshot. It never fails as a whole: each source's error
// is in the snapshot, so the metrics show what could be read and count
// what could not.
func Read(ctx context.Context, cfg Config) *Snapshot {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s := &Snapshot{Time: now(), Node: cfg.Status.LocalNode, Errors: map[Source]error{}}
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	// crm_mon and PostgreSQL are read side by side, so that a slow one
	// does not eat the other's time; the files are quick.
	errs := map[Source]chan error{}
	try := func(src Source, read func() error) {
		ch := make(chan error, 1)
		errs[src] = ch
		go func() { ch <- read() }()
	}
	var pgFacts PGFacts
	if cfg.Run != nil || cfg.XMLFile != "" {
		try(SourceCrmMon, func() error { return s.readCluster(ctx, cfg) })
	}
	if cfg.PG != nil {
		try(SourcePostgres, func() (err error) {
			pgFacts, err = readPostgres(ctx, *cfg.PG)
			return err
		})
	}
	if cfg.Tmpdir != "" {
		try(SourceLockFile, func() error { return s.readLock(cfg.Tmpdir) })
		try(SourceRepMode, func() error { return s.readRepMode(cfg.Tmpdir) })
	}
	for _, src := range Sources {
		ch, ok := errs[src]
		if !ok {
			continue
		}
		s.Tried = append(s.Tried, src)
		if err := <-ch; err != nil {
			s.Errors[src] = err
		} else if src == SourcePostgres {
			s.PG = &pgFacts
		}
	}
	s.Duration = now().Sub(s.Time)
	return s
}

func (s *Snapshot) readCluster(ctx context.Context, cfg Config) error {
	var xml []byte
	var err error
	if cfg.XMLFile != "" {
		if xml, err = os.ReadFile(cfg.XMLFile); err != nil {
			return fmt.Errorf("reading crm_mon XML: %w", err)
		}
	} else if xml, err = attrd.ReadReport(ctx, cfg.Run, remaining(ctx)); err != nil {
		return err
	}
	c, err := attrd.ParseCrmMon(xml)
	if err != nil {
		return fmt.Errorf("parsing crm_mon's report: %w", err)
	}
	s.Cluster = c
	s.Model = status.FromCluster(c, cfg.Status)
	s.Diagnosis = status.Diagnose(s.Model)
	return nil
}

// remaining is what is left of ctx's deadline, for the runner's own
// timeout (the runner kills the process group when it expires).
func remaining(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return time.Until(dl)
	}
	return 0
}

func (s *Snapshot) readLock(tmpdir string) error {
	info, err := lockfile.Read(lockfile.Path(tmpdir))
	if err != nil {
		return err
	}
	s.Lock = &info
	return nil
}

// repModeConfPath is where the agent keeps rep_mode.conf in tmpdir (the
// one spelling is the agent's parameter table's).
func repModeConfPath(tmpdir string) string { return (&config.Config{TmpDir: tmpdir}).RepModeConf() }

// maxRepModeConf bounds what is read of rep_mode.conf: the agent writes
// one line.
const maxRepModeConf = 64 << 10

func (s *Snapshot) readRepMode(tmpdir string) error {
	path := repModeConfPath(tmpdir)
	// Never through a symbolic link: the agent writes a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxRepModeConf))
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	name := pg.ParseRepModeConf(string(b))
	s.SyncStandby = &name
	return nil
}
