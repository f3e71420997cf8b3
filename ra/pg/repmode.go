// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// rep_mode.conf is the file the agent includes into postgresql.conf on the
// primary to name its one synchronous standby (rep_mode=sync). The agent
// writes it (ra/files.go) and the exporter reads it, so both spellings of
// the file live here, beside the other configuration file code.

// Compiled on first use: the agent starts once per monitor, and only the
// primary's reads rep_mode.conf.
var syncNameRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\s*synchronous_standby_names\s*=\s*'"?([^"']*)"?'\s*$`)
})

// RenderRepModeConf is rep_mode.conf for one synchronous standby (or none).
func RenderRepModeConf(name string) string {
	if name == "" {
		return "synchronous_standby_names = ''\n"
	}
	return fmt.Sprintf("synchronous_standby_names = '\"%s\"'\n", name)
}

// ParseRepModeConf returns the standby rep_mode.conf names ("" for none or
// for a file it cannot read: the agent then rewrites it).
func ParseRepModeConf(data string) string {
	for _, l := range strings.Split(data, "\n") {
		if m := syncNameRE().FindStringSubmatch(l); m != nil {
			return strings.ToLower(m[1])
		}
	}
	return ""
}
