// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/archive"
	"github.com/pgrex/pgrex/ra/pg"
)

// scpChunk bounds the number of files one scp command fetches.
const scpChunk = 200

// ArchiveFetch is the pure part of the archive synchronisation (manual
// 4.3 (5): always from the primary to the standby, never back): which of
// the primary's archive files this node lacks.
//
//   - Timeline history, backup history and .partial files (compressed or
//     not) are fetched when missing here or of another size here.
//   - WAL segments likewise, unless this node's newest archived segment
//     sorts after the primary's newest: then this node's archive is ahead
//     (it was primary longer) and no segment is fetched, as
//     pg-rex_standby_start does; skipWAL reports it.
//   - A segment on the primary whose size is not the segment size is
//     being written by archive_command right now and is left alone (the
//     standby fetches it by streaming); so is an empty file.
//   - Nothing else (directories, unknown names) is touched.
//
// A file present here with another size is marked Replace: it is moved
// aside when the copy is installed, never overwritten in place.
func ArchiveFetch(local, primary Listing, segSize int64) (files []ArchiveFile, skipWAL bool, incomplete []string) {
	newest := func(l Listing) string {
		n := ""
		for name := range l {
			if isWALFile(name) && name[:24] > n {
				n = name[:24]
			}
		}
		return n
	}
	skipWAL = newest(local) > newest(primary)
	for name, size := range primary {
		kind, _, _ := archive.Classify(name)
		if kind == archive.Other {
			continue
		}
		if isWALFile(name) && skipWAL {
			continue
		}
		if size == 0 || (kind == archive.Segment && size != segSize) {
			incomplete = append(incomplete, name)
			continue
		}
		have, ok := local[name]
		switch {
		case !ok:
			files = append(files, ArchiveFile{Name: name, Size: size})
		case have != size:
			files = append(files, ArchiveFile{Name: name, Size: size, Replace: true})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	sort.Strings(incomplete)
	return files, skipWAL, incomplete
}

// planArchiveFetch adds the steps that fetch ArchiveFetch's files: a
// private staging directory inside the archive directory, scp into it in
// chunks, then the checked move into place (so restore_command never sees
// a half-copied file under a WAL name).
func planArchiveFetch(d *Decision, s Settings, local, primary Listing, segSize int64, stamp string) {
	files, skipWAL, incomplete := ArchiveFetch(local, primary, segSize)
	if skipWAL {
		d.note("archive-ahead", s.ArchiveDir)
	}
	if len(incomplete) > 0 {
		d.note("archive-incomplete-skipped", strings.Join(incomplete, " "))
	}
	if len(files) == 0 {
		d.note("archive-in-sync", s.ArchiveDir)
		return
	}
	staging := filepath.Join(s.ArchiveDir, ".pgrex-fetch-"+stamp)
	d.add(Step{Kind: KindMkdir, Code: "mkdir-staging", Args: []string{staging}, Path: staging, Mode: 0o700})
	host := s.PeerHost
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	for i := 0; i < len(files); i += scpChunk {
		end := min(i+scpChunk, len(files))
		argv := append([]string{"scp", "-p", "-q"}, s.SSHOptions...)
		for _, f := range files[i:end] {
			argv = append(argv, host+":"+filepath.Join(s.ArchiveDir, f.Name))
		}
		argv = append(argv, staging+"/")
		d.add(Step{Kind: KindRun, Code: "fetch-archive",
			Args: []string{fmt.Sprint(end - i), s.PeerHost, files[i].Name, files[end-1].Name},
			Cmd:  &Command{Argv: argv, Timeout: s.RebuildTimeout}})
	}
	d.add(Step{Kind: KindInstallArchive, Code: "install-archive", Args: []string{fmt.Sprint(len(files)), s.ArchiveDir},
		Path: staging, To: s.ArchiveDir, Files: files, User: s.PGUser})
}

// isWALFile reports whether name is a WAL segment, compressed or not (not
// a .partial or backup history file).
func isWALFile(name string) bool {
	kind, _, _ := archive.Classify(name)
	switch kind {
	case archive.Segment:
		return true
	case archive.Compressed:
		if len(name) <= 25 || name[24] != '.' || strings.Contains(name[25:], ".") {
			return false
		}
		_, ok := pg.ParseWALFileName(name[:24])
		return ok
	}
	return false
}
