// SPDX-License-Identifier: Apache-2.0

// Command upcrm lets the upstream shell agent (heartbeat/pgsql) talk to the
// fake Pacemaker tools (test/fakecrm) in the differential test. The shell
// agent calls the tools with short options (`crm_attribute -l reboot -N n
// -n name -v value`, `crm_attribute -p -v score`, `crm_master`,
// `attrd_updater`) and asks `pacemakerd -$` for the version; fakecrm takes
// only the long options pgrex uses. upcrm translates one call into
// fakecrm's form and runs fakecrm with it, so both agents see one kind of
// cluster state and neither ever reaches a real Pacemaker.
//
// It picks the tool from the basename of argv[0] (the test links it under
// every tool name) and finds fakecrm through $PGREX_UPCRM_FAKECRM.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// envFakecrm names the fakecrm binary upcrm hands the translated call to.
const envFakecrm = "PGREX_UPCRM_FAKECRM"

// exitUsage is what the Pacemaker tools return for arguments they reject.
const exitUsage = 64

// call is a translated invocation: either a fakecrm tool and its arguments,
// or a reply upcrm gives itself (pacemakerd's version, an unsupported form).
type call struct {
	tool   string
	args   []string
	stdout string
	stderr string
	exit   int
	direct bool
}

func main() {
	c := translate(filepath.Base(os.Args[0]), os.Args[1:], os.Getenv)
	if c.direct {
		fmt.Fprint(os.Stdout, c.stdout)
		fmt.Fprint(os.Stderr, c.stderr)
		os.Exit(c.exit)
	}
	bin := os.Getenv(envFakecrm)
	if bin == "" {
		fmt.Fprintf(os.Stderr, "%s: upcrm: %s is not set\n", c.tool, envFakecrm)
		os.Exit(exitUsage)
	}
	// Replace this process: the shell agent waits for the tool it started.
	err := syscall.Exec(bin, append([]string{"fakecrm", c.tool}, c.args...), os.Environ())
	fmt.Fprintf(os.Stderr, "%s: upcrm: running %s: %v\n", c.tool, bin, err)
	os.Exit(exitUsage)
}

func usage(tool, format string, a ...any) call {
	return call{direct: true, exit: exitUsage, stderr: tool + ": upcrm: " + fmt.Sprintf(format, a...) + "\n"}
}

// translate maps one call of the shell agent to fakecrm's long options.
func translate(tool string, args []string, getenv func(string) string) call {
	switch tool {
	case "pacemakerd":
		if len(args) == 1 && (args[0] == "-$" || args[0] == "--version") {
			// The version the lab runs (docs/lab.md): Pacemaker 2.1.5.
			return call{direct: true, stdout: "Pacemaker 2.1.5\nWritten by Andrew Beekhof and the Pacemaker project contributors\n"}
		}
		return usage(tool, "only -$ is supported")
	case "crm_mon", "crm_node":
		// fakecrm accepts the one-letter forms the shell agent uses here.
		return call{tool: tool, args: args}
	case "crm_attribute":
		return attribute(tool, args, getenv)
	case "crm_master":
		// crm_master is crm_attribute --promotion for the calling resource.
		return attribute(tool, append([]string{"-p"}, args...), getenv)
	case "attrd_updater":
		return attrdUpdater(args, getenv)
	}
	return usage(tool, "cannot act as %q", tool)
}

// attribute translates crm_attribute's short options. -p takes an
// optional resource name only when it is glued to the option or is not
// itself an option; without one the resource is OCF_RESOURCE_INSTANCE, as
// crm_attribute does.
func attribute(tool string, args []string, getenv func(string) string) call {
	var out []string
	valued := map[string]string{"-l": "--lifetime", "-N": "--node", "-n": "--name", "-v": "--update"}
	flags := map[string]string{"-G": "--query", "-q": "--quiet", "-D": "--delete"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if long, ok := valued[a]; ok {
			if i+1 >= len(args) {
				return usage(tool, "option %s needs a value", a)
			}
			i++
			out = append(out, long+"="+args[i])
			continue
		}
		if long, ok := flags[a]; ok {
			out = append(out, long)
			continue
		}
		if rsc, ok := strings.CutPrefix(a, "-p"); ok && !strings.HasPrefix(a, "--") {
			if rsc == "" && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				rsc = args[i]
			}
			if rsc == "" {
				rsc = getenv("OCF_RESOURCE_INSTANCE")
			}
			if rsc == "" {
				return usage(tool, "-p without a resource and without OCF_RESOURCE_INSTANCE")
			}
			out = append(out, "--promotion="+rsc)
			continue
		}
		return usage(tool, "argument %q not supported", a)
	}
	return call{tool: "crm_attribute", args: out}
}

// attrdUpdater translates `attrd_updater -n name -v value` and `-D` into a
// reboot-lifetime attribute of the local node.
func attrdUpdater(args []string, getenv func(string) string) call {
	var name, value string
	del, update := false, false
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-n", "-v":
			if i+1 >= len(args) {
				return usage("attrd_updater", "option %s needs a value", args[i])
			}
			if args[i] == "-n" {
				name = args[i+1]
			} else {
				value, update = args[i+1], true
			}
			i++
		case "-D":
			del = true
		default:
			return usage("attrd_updater", "argument %q not supported", args[i])
		}
	}
	node := getenv("PGREX_FAKECRM_NODE")
	if name == "" || node == "" || del == update {
		return usage("attrd_updater", "give -n and exactly one of -v or -D (and set PGREX_FAKECRM_NODE)")
	}
	out := []string{"--lifetime=reboot", "--node=" + node, "--name=" + name}
	if del {
		return call{tool: "crm_attribute", args: append(out, "--delete")}
	}
	return call{tool: "crm_attribute", args: append(out, "--update="+value)}
}
