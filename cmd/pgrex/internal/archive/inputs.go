// SPDX-License-Identifier: Apache-2.0

package archive

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/pgrex/pgrex/ra/pg"
)

// Need is one consumer of the archive and the oldest WAL file it needs.
type Need struct {
	// Source says who needs it, for the operator ("backup /backup/x",
	// "standby 117:6A/51629270").
	Source string `json:"source"`
	// WAL is the 24-digit name of the oldest WAL file needed.
	WAL string `json:"wal"`
}

// Label is what a backup_label or a backup history file says about where
// the backup starts.
type Label struct {
	StartLSN pg.LSN
	// StartWAL is the file named in "START WAL LOCATION: … (file X)".
	StartWAL string
	// Timeline is "START TIMELINE" (PostgreSQL 11 and later), else the
	// timeline of StartWAL.
	Timeline uint32
}

var startWALRE = regexp.MustCompile(`^START WAL LOCATION: ([0-9A-Fa-f]+/[0-9A-Fa-f]+) \(file ([0-9A-F]{24})\)\s*$`)

// ParseLabel reads a backup_label file or a backup history file (both
// begin with the START WAL LOCATION line) and checks that its parts agree
// with each other and with segSize: a label whose file name is not the
// segment of its start location was made with another segment size, and
// cutting the archive with the wrong size would delete needed files.
func ParseLabel(data []byte, segSize int64) (Label, error) {
	var l Label
	var haveTLI bool
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if m := startWALRE.FindStringSubmatch(line); m != nil && l.StartWAL == "" {
			lsn, err := pg.ParseLSN(m[1])
			if err != nil {
				return l, fmt.Errorf("backup label: %w", err)
			}
			l.StartLSN, l.StartWAL = lsn, m[2]
			continue
		}
		if v, ok := strings.CutPrefix(line, "START TIMELINE: "); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
			if err != nil || n == 0 {
				return l, fmt.Errorf("backup label: START TIMELINE %q is not a timeline", v)
			}
			l.Timeline, haveTLI = uint32(n), true
		}
	}
	if l.StartWAL == "" || !isWALName(l.StartWAL) {
		return l, errors.New(`backup label: no "START WAL LOCATION: X/Y (file NAME)" line`)
	}
	fileTLI := timelineOf(l.StartWAL)
	if haveTLI && l.Timeline != fileTLI {
		return l, fmt.Errorf("backup label: START TIMELINE %d but the start file %s is on timeline %d", l.Timeline, l.StartWAL, fileTLI)
	}
	l.Timeline = fileTLI
	if want := pg.WALFileName(fileTLI, l.StartLSN, segSize); want != l.StartWAL {
		return l, fmt.Errorf("backup label: start location %s is in %s with %d-byte WAL segments, but the label names %s: check the WAL segment size",
			l.StartLSN, want, segSize, l.StartWAL)
	}
	return l, nil
}

// ReadLabel finds the label of a base backup at path: a backup_label or
// backup history file itself, or a directory holding backup_label,
// pgdata/backup_label (the manual's layout), base.tar or base.tar.gz
// (pg_basebackup -Ft). It returns the label's text and where it was found.
func ReadLabel(path string) ([]byte, string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("reading the base backup %s: %w", path, err)
	}
	if !st.IsDir() {
		b, err := readSmall(path)
		return b, path, err
	}
	for _, rel := range []string{"backup_label", filepath.Join("pgdata", "backup_label")} {
		p := filepath.Join(path, rel)
		b, err := readSmall(p)
		if err == nil {
			return b, p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", err
		}
	}
	for _, name := range []string{"base.tar", "base.tar.gz"} {
		p := filepath.Join(path, name)
		b, err := labelFromTar(p, strings.HasSuffix(name, ".gz"))
		if err == nil {
			return b, p + ":backup_label", nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", err
		}
	}
	return nil, "", fmt.Errorf("reading the base backup %s: no backup_label, pgdata/backup_label, base.tar or base.tar.gz in it", path)
}

func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return b, nil
}

func labelFromTar(path string, gz bool) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if gz {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("reading %s: no backup_label in it", path)
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		if filepath.Clean(h.Name) == "backup_label" {
			b, err := io.ReadAll(io.LimitReader(tr, 1<<20))
			if err != nil {
				return nil, fmt.Errorf("reading backup_label in %s: %w", path, err)
			}
			return b, nil
		}
	}
}

// Checkpoint is a standby's (or any server's) last checkpoint.
type Checkpoint struct {
	TLI  uint32
	Redo pg.LSN
	// SegSize is "Bytes per WAL segment" when pg_controldata printed it.
	SegSize int64
}

// ParseRedo reads the operator's form "TLI:X/Y" (the timeline in decimal,
// as pg_controldata prints "Latest checkpoint's TimeLineID").
func ParseRedo(s string) (Checkpoint, error) {
	t, l, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Checkpoint{}, fmt.Errorf("checkpoint %q: expected TIMELINE:X/Y (e.g. 117:6A/51629270)", s)
	}
	tli, err := strconv.ParseUint(t, 10, 32)
	if err != nil || tli == 0 {
		return Checkpoint{}, fmt.Errorf("checkpoint %q: timeline %q is not a positive decimal number", s, t)
	}
	lsn, err := pg.ParseLSN(l)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint %q: %w", s, err)
	}
	return Checkpoint{TLI: uint32(tli), Redo: lsn}, nil
}

// CheckpointOf is the last checkpoint pg_controldata reported (the one
// parser, pg.ParseControlData, read it).
func CheckpointOf(cd *pg.ControlData) Checkpoint {
	c := Checkpoint{TLI: cd.TLI, Redo: cd.RedoLSN}
	if cd.SegSizePrinted {
		c.SegSize = cd.SegSize
	}
	return c
}
