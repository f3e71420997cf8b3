// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/archive"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/toolsconf"
)

func archiveCleanCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "archive-clean",
		Usage: "delete WAL archive files no base backup and no standby needs (PG-REX manual 6.2)",
		Description: "The oldest WAL file still needed is the smaller of the oldest base backup's START WAL LOCATION " +
			"(--backup) and each standby's last checkpoint REDO location on its timeline (--standby-redo, or --pgdata " +
			"to read one with pg_controldata). Archive files that sort before it are deleted; timeline history files " +
			"of kept timelines and of every timeline leading to them are kept; compressed and unrecognised files are " +
			"never touched. Run it on each node: the archives are separate. " +
			"Exit status: 0 done (or nothing to do, or --dry-run), 2 refused (inputs missing or implausible), " +
			"3 declined at the prompt, 1 error.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "archive", Usage: "the archive directory (default: Archive_dir in the config)"},
			&cli.GenericFlag{Name: "backup", Value: &stringList{}, Usage: "the oldest base backup kept: its directory (backup_label, pgdata/backup_label, base.tar[.gz]), its backup_label or its backup history file; repeatable"},
			&cli.GenericFlag{Name: "standby-redo", Value: &stringList{}, Usage: "a standby's last checkpoint as TIMELINE:X/Y (pg_controldata's \"Latest checkpoint's TimeLineID\" and \"REDO location\"); repeatable"},
			&cli.GenericFlag{Name: "pgdata", Value: &stringList{}, Usage: "a local data directory whose last checkpoint (pg_controldata) must stay recoverable; repeatable"},
			&cli.StringFlag{Name: "wal-segsize", Usage: "WAL segment size, e.g. 16MB (default: WAL_segment_size, 16MB; --pgdata's pg_controldata wins)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "print the plan, delete nothing"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"},
			&cli.BoolFlag{Name: "json", Usage: "print the plan (and the result) as JSON"},
			configFlag(),
		},
		Action: func(c *cli.Context) error { return runArchiveClean(c, e) },
	}
}

func runArchiveClean(c *cli.Context, e *env) error {
	cfg, err := loadConfig(c, e)
	if err != nil {
		return e.fail(exitError, err)
	}
	dir := c.String("archive")
	if dir == "" {
		dir = cfg.ArchiveDir
	}
	if dir == "" {
		path := cfg.Path
		if path == "" {
			path = c.String("config")
		}
		fmt.Fprintln(e.stderr, e.T("ar.no-archive", path))
		return cli.Exit("", exitAttn)
	}
	segSize := cfg.WALSegmentSize
	if s := c.String("wal-segsize"); s != "" {
		if segSize, err = toolsconf.ParseSize(s); err != nil {
			return e.fail(exitError, fmt.Errorf("--wal-segsize: %w", err))
		}
	}

	// What needs the archive.
	needs, origins, segSize, err := archive.GatherNeeds(c.Context,
		archive.Tools{Run: e.run, PGPath: cfg.PGPath, Timeout: cfg.CommandTimeout},
		archive.Sources{PGData: list(c, "pgdata"), Backups: list(c, "backup"), StandbyRedos: list(c, "standby-redo")}, segSize)
	if err != nil {
		return e.fail(exitError, err)
	}
	sources := archive.OriginTexts(e.lang, origins)
	if len(needs) == 0 {
		fmt.Fprintln(e.stderr, e.T("ar.no-needs"))
		return cli.Exit("", exitAttn)
	}

	files, ancestors, warns, err := archive.Scan(dir)
	if err != nil {
		return e.fail(exitError, err)
	}
	plan, err := archive.MakePlan(archive.Input{Files: files, Needs: needs, Ancestors: ancestors, SegSize: segSize})
	if err != nil {
		// Every planning error is a refusal: the inputs contradict the
		// archive (cutoff beyond it, another segment size) or are empty.
		fmt.Fprintln(e.stderr, e.T("ar.refused", dir, err.Error()))
		return cli.Exit("", exitAttn)
	}
	plan.Warnings = append(warns, plan.Warnings...)

	jsonOut := c.Bool("json")
	if !jsonOut {
		archive.WritePlan(e.printer(), plan, sources, len(list(c, "backup")) == 0)
	} else {
		for _, w := range plan.Warnings {
			fmt.Fprintln(e.stderr, e.T("warning", w))
		}
	}
	emit := func(r *archive.Result) error {
		if !jsonOut {
			return nil
		}
		return e.printJSON(archive.Report{Archive: dir, Plan: plan, DryRun: c.Bool("dry-run"), Result: r})
	}

	if len(plan.Delete) == 0 {
		if !jsonOut {
			e.say("ar.nothing")
		}
		return emit(nil)
	}
	if c.Bool("dry-run") {
		if !jsonOut {
			e.say("ar.dry-run")
		}
		return emit(nil)
	}
	if !c.Bool("yes") && !e.confirm("ar.confirm", len(plan.Delete), dir) {
		e.say("declined")
		return cli.Exit("", exitDeclined)
	}
	res, err := archive.Execute(dir, plan, func(name string) {
		if !jsonOut {
			e.say("ar.deleted-one", name)
		}
	})
	if len(res.Deleted) > 0 {
		e.logAction(fmt.Sprintf("pgrex archive-clean: deleted %d files (%d bytes) from %s, older than %s",
			len(res.Deleted), res.DeletedBytes, dir, plan.Cutoff))
	}
	if err != nil {
		return e.fail(exitError, err)
	}
	if !jsonOut {
		e.say("ar.done", len(res.Deleted), archive.HumanBytes(res.DeletedBytes), dir)
		if len(res.Skipped) > 0 {
			e.say("ar.skipped", len(res.Skipped))
		}
	}
	return emit(&res)
}

// stringList is a repeatable string flag. Unlike cli.StringSliceFlag it
// does not split values at commas: a path may contain one.
type stringList []string

func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
func (l *stringList) String() string     { return strings.Join(*l, " ") }

func list(c *cli.Context, name string) []string {
	if l, ok := c.Generic(name).(*stringList); ok && l != nil {
		return *l
	}
	return nil
}
