// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"fmt"
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

// SlotName is the per-node slot name: <base>_<node>, the node lower-cased
// with '-' and '.' (anything outside [a-z0-9_]) turned into '_'.
func SlotName(base, node string) string {
	return base + "_" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, strings.ToLower(node))
}
