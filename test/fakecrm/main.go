// SPDX-License-Identifier: Apache-2.0

// Command fakecrm impersonates the Pacemaker command-line tools the agent
// uses — crm_attribute, crm_mon, cibadmin and crm_node — so that the
// agent's replication tests run in seconds without a cluster. It picks the
// tool from the basename of argv[0] (tests install it under those names as
// symlinks; "fakecrm <tool> args…" works too).
//
// The cluster is the JSON file named by $PGREX_FAKECRM_STATE (see package
// state); $PGREX_FAKECRM_NODE is the node the calling process runs on
// (crm_node --name, and crm_attribute without --node). A missing state file
// behaves like a cluster that is not running.
//
// The fake accepts the argument forms pgrex's attrd package produces, plus
// the long spellings an operator or PG-REX tool would use, and nothing
// else: a short option such as "-v" is a usage error (exit 64), because
// pgrex must use long options (Pacemaker 2.1.5 misparses "-p -v -INFINITY").
// Output and exit codes are those of Pacemaker 2.1.5.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pgrex/pgrex/test/fakecrm/state"
)

// Exit codes of the Pacemaker 2.1 tools (crm_exit_t).
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 64
	exitType    = 76  // what crm_attribute returns for a bad --lifetime
	exitNotConn = 102 // CRM_EX_DISCONNECT: the cluster is not running
	exitNoSuch  = 105 // CRM_EX_NOSUCH: no such attribute or node
)

// Environment variables the fake reads.
const (
	envState = "PGREX_FAKECRM_STATE"
	envNode  = "PGREX_FAKECRM_NODE"
)

// reply is what a tool prints and how it exits.
type reply struct {
	stdout, stderr string
	exit           int
}

// tool is one impersonated program: parse checks the arguments without
// touching the state (so usage errors never log a call); the returned op
// runs under the state lock.
type tool func(args []string, ctx *invocation) (op func(*state.State) reply, usage *reply)

// invocation carries what every tool needs besides its arguments.
type invocation struct {
	node string // $PGREX_FAKECRM_NODE: the node the caller runs on
}

func main() {
	os.Exit(run(os.Args, os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(argv []string, getenv func(string) string, stdout, stderr io.Writer) int {
	r := dispatch(argv, getenv)
	_, _ = io.WriteString(stdout, r.stdout)
	_, _ = io.WriteString(stderr, r.stderr)
	return r.exit
}

func dispatch(argv []string, getenv func(string) string) reply {
	if len(argv) == 0 {
		return usage("fakecrm: no program name")
	}
	name, args := filepath.Base(argv[0]), argv[1:]
	if name == "fakecrm" {
		if len(args) == 0 {
			return usage("usage: fakecrm crm_attribute|crm_mon|cibadmin|crm_node [args]")
		}
		name, args = args[0], args[1:]
	}
	tools := map[string]tool{
		"crm_attribute": crmAttribute,
		"crm_mon":       crmMon,
		"cibadmin":      cibadmin,
		"crm_node":      crmNode,
	}
	t, ok := tools[name]
	if !ok {
		return usage(fmt.Sprintf("fakecrm: cannot act as %q", name))
	}
	inv := &invocation{node: getenv(envNode)}
	op, bad := t(args, inv)
	if bad != nil {
		return *bad
	}
	path := getenv(envState)
	if path == "" {
		return reply{stderr: fmt.Sprintf("%s: fakecrm: %s is not set\n", name, envState), exit: exitNotConn}
	}

	// Log the call and look for a fault; without one, do the work in the
	// same locked update.
	var fault *state.Fault
	var out reply
	err := state.Update(path, func(s *state.State) error {
		s.Calls = append(s.Calls, state.Call{Tool: name, Args: append([]string{}, args...), Node: inv.node})
		if fault = s.TakeFault(name, args); fault == nil {
			out = op(s)
		}
		return nil
	})
	if err != nil {
		return notRunning(name, err)
	}
	if fault == nil {
		return out
	}
	// Sleep outside the lock, so a hanging tool does not block the others.
	time.Sleep(time.Duration(fault.DelayMS) * time.Millisecond)
	if fault.Exit != 0 || fault.Stdout != "" || fault.Stderr != "" {
		return reply{stdout: fault.Stdout, stderr: fault.Stderr, exit: fault.Exit}
	}
	err = state.Update(path, func(s *state.State) error {
		out = op(s)
		return nil
	})
	if err != nil {
		return notRunning(name, err)
	}
	return out
}

// notRunning answers as each real tool does when the cluster is down; a
// state file that exists but cannot be used is a plain error.
func notRunning(name string, err error) reply {
	if !state.NotRunning(err) {
		return reply{stderr: fmt.Sprintf("%s: fakecrm: %v\n", name, err), exit: exitError}
	}
	switch name {
	case "crm_mon":
		return reply{stdout: crmMonNotConnected(), exit: exitNotConn}
	case "crm_attribute":
		return reply{stderr: "crm_attribute: Could not connect to the CIB: Transport endpoint is not connected\n", exit: exitNotConn}
	case "cibadmin":
		return reply{stderr: "Could not connect to the CIB: Transport endpoint is not connected\nInit failed, could not perform requested operations\n", exit: exitNotConn}
	default:
		return reply{stderr: "error: Could not connect to controller: Connection refused\n", exit: exitNotConn}
	}
}

func usage(msg string) reply {
	return reply{stderr: msg + "\n", exit: exitUsage}
}

func usagep(format string, a ...any) *reply {
	r := usage(fmt.Sprintf(format, a...))
	return &r
}

// longOpts splits "--name=value" / "--name value" arguments. valued lists
// the options that take a value (the next argument when there is no "=");
// optional lists those whose value may only come after "=". Anything that
// is not a long option is refused.
type longOpt struct {
	name     string
	value    string
	hasValue bool
}

func parseLong(tool string, args []string, valued, optional map[string]bool) ([]longOpt, *reply) {
	var out []longOpt
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			if strings.HasPrefix(a, "-") {
				return nil, usagep("%s: fakecrm: short option %q refused: pgrex must use long options", tool, a)
			}
			return nil, usagep("%s: fakecrm: unexpected argument %q", tool, a)
		}
		name, value, has := strings.Cut(a[2:], "=")
		switch {
		case valued[name] && !has:
			if i+1 >= len(args) {
				return nil, usagep("%s: option --%s needs a value", tool, name)
			}
			i++
			value, has = args[i], true
		case !valued[name] && !optional[name] && has:
			return nil, usagep("%s: option --%s takes no value", tool, name)
		}
		out = append(out, longOpt{name: name, value: value, hasValue: has})
	}
	return out, nil
}
