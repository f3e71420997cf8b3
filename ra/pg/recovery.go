// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// RecoverySettings are what a standby needs to follow the primary.
type RecoverySettings struct {
	Version               int // VersionNum of the data directory
	MasterIP              string
	Port                  int
	RepUser               string
	ApplicationName       string // the lower-cased node name
	ConninfoOpt           string
	RestoreCommand        string
	ArchiveCleanupCommand string
	RecoveryEndCommand    string
	SlotName              string
}

// conninfoValue quotes a libpq keyword value when it needs it.
func conninfoValue(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\\") {
		return s
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// RenderRecovery renders the recovery settings in upstream's line order.
// PostgreSQL 12 and later read them from a file included by
// postgresql.conf (with standby.signal); older versions from
// <pgdata>/recovery.conf, which also needs standby_mode. Unlike the shell
// agent every value is escaped, so a quote in restore_command cannot break
// the file.
func RenderRecovery(s RecoverySettings) string {
	conn := fmt.Sprintf("host=%s port=%d user=%s application_name=%s",
		conninfoValue(s.MasterIP), s.Port, conninfoValue(s.RepUser), conninfoValue(s.ApplicationName))
	if o := strings.TrimSpace(s.ConninfoOpt); o != "" {
		conn += " " + o
	}
	var b strings.Builder
	b.WriteString("# written by pgrex (ocf:pgrex:pgsql) at standby start; changes are overwritten\n")
	fmt.Fprintf(&b, "primary_conninfo = %s\n", QuoteConfValue(conn))
	fmt.Fprintf(&b, "restore_command = %s\n", QuoteConfValue(s.RestoreCommand))
	b.WriteString("recovery_target_timeline = 'latest'\n")
	if s.Version != 0 && s.Version < 1200 {
		b.WriteString("standby_mode = 'on'\n")
	}
	if s.ArchiveCleanupCommand != "" {
		fmt.Fprintf(&b, "archive_cleanup_command = %s\n", QuoteConfValue(s.ArchiveCleanupCommand))
	}
	if s.RecoveryEndCommand != "" {
		fmt.Fprintf(&b, "recovery_end_command = %s\n", QuoteConfValue(s.RecoveryEndCommand))
	}
	if s.SlotName != "" {
		fmt.Fprintf(&b, "primary_slot_name = %s\n", QuoteConfValue(s.SlotName))
	}
	return b.String()
}

var slotCharRE = regexp.MustCompile(`[^a-z0-9_]`)

// SlotName is the per-node slot name: <base>_<node>, the node lower-cased
// with '-' and '.' (anything outside [a-z0-9_]) turned into '_'.
func SlotName(base, node string) string {
	return base + "_" + slotCharRE.ReplaceAllString(strings.ToLower(node), "_")
}

// Location is a WAL position with the timeline it was reached on.
type Location struct {
	TLI uint32
	LSN uint64
}

// ParseLSN reads PostgreSQL's "X/Y" text form.
func ParseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return 0, fmt.Errorf("LSN %q: expected X/Y", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("LSN %q: %w", s, err)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("LSN %q: %w", s, err)
	}
	return h<<32 | l, nil
}

// Hex16 renders an LSN the way the shell agent publishes it: both halves
// zero-padded to 8 upper-case hex digits, concatenated (pgsql-xlog-loc,
// pgsql-master-baseline). Fixed width makes string order numeric order.
func Hex16(lsn uint64) string { return fmt.Sprintf("%08X%08X", lsn>>32, lsn&0xffffffff) }

// ParseHex16 reads Hex16's form back, and also the PG-REX 9.1 baseline form
// "<tli>:<hex16>" (the timeline is returned, 0 when absent).
func ParseHex16(s string) (Location, error) {
	s = strings.TrimSpace(s)
	var loc Location
	if t, rest, ok := strings.Cut(s, ":"); ok {
		tli, err := strconv.ParseUint(t, 10, 32)
		if err != nil {
			return loc, fmt.Errorf("location %q: bad timeline: %w", s, err)
		}
		loc.TLI = uint32(tli)
		s = rest
	}
	if len(s) != 16 {
		return loc, fmt.Errorf("location %q: expected 16 hex digits", s)
	}
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return loc, fmt.Errorf("location %q: %w", s, err)
	}
	loc.LSN = v
	return loc, nil
}

// Newer reports whether a is ahead of b: a later timeline always wins,
// then the larger LSN. A standby left on an older timeline may have a
// larger LSN on a branch the cluster abandoned; it must never win.
func (a Location) Newer(b Location) bool {
	if a.TLI != b.TLI {
		return a.TLI > b.TLI
	}
	return a.LSN > b.LSN
}
