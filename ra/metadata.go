// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/pgrex/pgrex/ra/version"
)

// Action is one operation advertised in the meta-data, with the defaults
// tools such as crmsh and pcs copy into new configurations.
type Action struct {
	Name     string
	Timeout  string
	Interval string
	Depth    string
	Role     string
}

// Actions are upstream's advertised actions and timeouts, kept identical so
// that `crm configure` and `pcs resource create` propose the same defaults.
var Actions = []Action{
	{Name: "start", Timeout: "120s"},
	{Name: "stop", Timeout: "120s"},
	{Name: "status", Timeout: "60s"},
	{Name: "monitor", Timeout: "30s", Interval: "30s", Depth: "0"},
	{Name: "monitor", Timeout: "30s", Interval: "29s", Depth: "0", Role: "Promoted"},
	{Name: "promote", Timeout: "120s"},
	{Name: "demote", Timeout: "120s"},
	{Name: "notify", Timeout: "90s"},
	{Name: "meta-data", Timeout: "5s"},
	{Name: "validate-all", Timeout: "5s"},
	{Name: "methods", Timeout: "5s"},
}

// renderedDefault is the default shown for p; for config and pgctldata it
// is derived from other parameters, as the agent will resolve it.
func renderedDefault(p config.Param, env ocf.Env) string {
	get := func(name string) string {
		if v := env["OCF_RESKEY_"+name]; v != "" {
			return v
		}
		p, _ := config.LookupParam(name)
		return p.Default
	}
	switch p.Name {
	case "config":
		return filepath.Join(get("pgdata"), "postgresql.conf")
	case "pgctldata":
		return filepath.Join(filepath.Dir(get("pgctl")), "pg_controldata")
	}
	return p.Default
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// MetaData renders the OCF meta-data XML. It validates against
// resource-agents' ra-api-1.dtd.
func MetaData(env ocf.Env) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
`)
	fmt.Fprintf(&b, "<resource-agent name=\"pgsql\" version=\"%s\">\n<version>1.1</version>\n\n", esc(version.Version))
	b.WriteString(`<longdesc lang="en">
pgrex's PostgreSQL agent: a drop-in replacement for the pgsql agent of resource-agents (and PG-REX's copy of it).
It manages one PostgreSQL server (rep_mode=none), or a primary with streaming-replication standbys as a promotable
clone (rep_mode=sync or async), publishing the replication state as the same node attributes
(pgsql-status, pgsql-data-status, pgsql-master-baseline, pgsql-xlog-loc) and files (rep_mode.conf, PGSQL.lock).
</longdesc>
<shortdesc lang="en">Manages a PostgreSQL server, or a replicated pair as a promotable clone</shortdesc>

<parameters>
`)
	for _, p := range config.Params {
		fmt.Fprintf(&b, "<parameter name=\"%s\" unique=\"0\" required=\"0\">\n", p.Name)
		fmt.Fprintf(&b, "<longdesc lang=\"en\">\n%s\n</longdesc>\n", esc(p.LongDesc))
		fmt.Fprintf(&b, "<shortdesc lang=\"en\">%s</shortdesc>\n", esc(p.ShortDesc))
		fmt.Fprintf(&b, "<content type=\"%s\" default=\"%s\" />\n</parameter>\n\n", p.Type, esc(renderedDefault(p, env)))
	}
	b.WriteString("</parameters>\n\n<actions>\n")
	for _, a := range Actions {
		fmt.Fprintf(&b, "<action name=\"%s\" timeout=\"%s\"", a.Name, a.Timeout)
		if a.Depth != "" {
			fmt.Fprintf(&b, " depth=\"%s\"", a.Depth)
		}
		if a.Interval != "" {
			fmt.Fprintf(&b, " interval=\"%s\"", a.Interval)
		}
		if a.Role != "" {
			fmt.Fprintf(&b, " role=\"%s\"", a.Role)
		}
		b.WriteString(" />\n")
	}
	b.WriteString("</actions>\n</resource-agent>\n")
	return b.String()
}

// Methods is the output of the methods action: one action per line.
func Methods() string {
	return strings.Join([]string{"start", "stop", "status", "monitor", "promote", "demote", "notify", "validate-all", "methods", "meta-data"}, "\n") + "\n"
}

// ParametersMarkdown renders docs/parameters.md from the same table.
func ParametersMarkdown() string {
	var b strings.Builder
	b.WriteString("# Parameters of `ocf:pgrex:pgsql`\n\n")
	b.WriteString("Generated from the agent's meta-data (`make docs`); a test fails when this file drifts.\n")
	b.WriteString("Origin: `upstream` = heartbeat/pgsql in Debian 12's resource-agents, `upstream-2026` = newer upstream,\n`pg-rex` = PG-REX 9.1's agent, `pgrex` = this agent's own.\n\n")
	b.WriteString("| name | type | default | origin | description |\n|---|---|---|---|---|\n")
	for _, p := range config.Params {
		def := renderedDefault(p, nil)
		if def != "" {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", p.Name, p.Type, strings.ReplaceAll(def, "|", `\|`), p.Origin,
			strings.ReplaceAll(p.LongDesc, "|", `\|`))
	}
	b.WriteString("\n## Actions\n\n| action | default timeout | interval | role |\n|---|---|---|---|\n")
	for _, a := range Actions {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", a.Name, a.Timeout, a.Interval, a.Role)
	}
	return b.String()
}
