// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
	"github.com/pgrex/pgrex/ra/cmdrun"
)

// StepKind says what a step does; Apply maps each kind to one Executor
// method (or to a wait).
type StepKind string

// Kinds of steps.
const (
	// KindRun runs Cmd (on this node or, with Cmd.Host, on the peer).
	KindRun StepKind = "run"
	// KindRemoveFile removes the regular file Path on this node (never a
	// directory, never through a symbolic link).
	KindRemoveFile StepKind = "remove-file"
	// KindMoveAside renames the directory Path to To on this node.
	KindMoveAside StepKind = "move-aside"
	// KindRemoveTree removes the directory Path and everything in it;
	// planned only when the operator asked to delete the old data.
	KindRemoveTree StepKind = "remove-tree"
	// KindMkdir creates the directory Path owned by User with Mode.
	KindMkdir StepKind = "mkdir"
	// KindInstallArchive moves Files from the staging directory Path into
	// the archive directory To after checking each one's size, hands them
	// to User, and removes the staging directory.
	KindInstallArchive StepKind = "install-archive"
	// KindWait polls the cluster until Wait's condition holds, bounded by
	// Wait.Timeout.
	KindWait StepKind = "wait"
)

// Step is one action of a plan. Code and Args name its description in
// the message catalogue (the CLI renders it in the operator's language;
// Describe gives the English text).
type Step struct {
	Kind StepKind `json:"kind"`
	Code string   `json:"code"`
	Args []string `json:"args,omitempty"`
	// Destructive steps (removing or replacing data, removing the lock,
	// stopping or demoting the primary) ask for confirmation unless the
	// operator said --yes.
	Destructive bool `json:"destructive,omitempty"`
	// IgnoreError: a failure is reported and the plan goes on (PG-REX's
	// CHECKPOINT before a stop).
	IgnoreError bool `json:"ignore_error,omitempty"`

	Cmd   *Command      `json:"cmd,omitempty"`
	Path  string        `json:"path,omitempty"`
	To    string        `json:"to,omitempty"`
	User  string        `json:"user,omitempty"`
	Mode  os.FileMode   `json:"mode,omitempty"`
	Files []ArchiveFile `json:"files,omitempty"`
	Wait  *WaitSpec     `json:"wait,omitempty"`
}

// Command is one external command of a plan or of fact gathering.
type Command struct {
	// Host is "" for this node, else the peer's address: the command runs
	// there over ssh.
	Host string   `json:"host,omitempty"`
	Argv []string `json:"argv"`
	// User runs the command as this OS user ("" = as the tool, root).
	User string `json:"user,omitempty"`
	// Env is added to the command's environment (KEY=VALUE).
	Env []string `json:"env,omitempty"`
	// Detach: the command leaves a daemon behind (starting Pacemaker);
	// its output is not waited for.
	Detach  bool          `json:"detach,omitempty"`
	Timeout time.Duration `json:"timeout,omitempty"`
}

func (c Command) String() string {
	s := quoteArgv(c.Argv)
	if c.User != "" {
		s = "(as " + c.User + ") " + s
	}
	if c.Host != "" {
		s = "[" + c.Host + "] " + s
	}
	return s
}

// ArchiveFile is one archive file to fetch from the primary.
type ArchiveFile struct {
	Name string `json:"name"`
	// Size is the size on the primary; the copy must have it.
	Size int64 `json:"size"`
	// Replace is set when a file of that name exists here with another
	// size (an incomplete copy): it is moved aside, not overwritten.
	Replace bool `json:"replace,omitempty"`
}

// WaitKind is a condition a wait step polls for.
type WaitKind string

// Conditions.
const (
	// WaitPrimary: Node runs pgsql Promoted with pgsql-status PRI and
	// data-status LATEST (and the primary's VIPs, when they exist), and
	// no other node is promoted.
	WaitPrimary WaitKind = "primary"
	// WaitStandby: Node runs pgsql Unpromoted with HS:sync and
	// STREAMING|SYNC (and the standby VIP when it exists).
	WaitStandby WaitKind = "standby"
	// WaitStopped: Pacemaker no longer runs on Host ("" = this node), and
	// on this node PostgreSQL has stopped too.
	WaitStopped WaitKind = "stopped"
	// WaitOffline: Node is no longer online in this node's cluster view.
	WaitOffline WaitKind = "offline"
)

// WaitSpec is what a wait step waits for.
type WaitSpec struct {
	Kind    WaitKind      `json:"kind"`
	Node    string        `json:"node,omitempty"`
	Host    string        `json:"host,omitempty"`
	Timeout time.Duration `json:"timeout"`
	// SettleHost, for WaitStopped: once Pacemaker has stopped, wait
	// until the cluster the node left has settled, as crm_mon on this
	// host (the peer, over ssh) shows it ("" = not waited for).
	SettleHost string `json:"settle_host,omitempty"`
}

// Plan is the ordered list of steps a procedure would run.
type Plan struct {
	Procedure string `json:"procedure"`
	Steps     []Step `json:"steps"`
}

// Destructive reports whether any step needs a confirmation.
func (p Plan) Destructive() bool {
	for _, s := range p.Steps {
		if s.Destructive {
			return true
		}
	}
	return false
}

// Refusal is one safety check that failed. Code names the message; Args
// fill it in.
type Refusal struct {
	Code string   `json:"code"`
	Args []string `json:"args,omitempty"`
}

func (r Refusal) String() string { return describe("pr.", r.Code, r.Args) }

// Decision is what a decide function returns: either refusals (nothing
// runs) or a plan. Notes are observations for the operator that do not
// stop anything.
type Decision struct {
	Refusals []Refusal `json:"refusals,omitempty"`
	// NoPrimary marks a refusal because no primary runs (exit code 3, as
	// `pgrex status` uses it).
	NoPrimary bool      `json:"no_primary,omitempty"`
	Notes     []Refusal `json:"notes,omitempty"`
	Plan      Plan      `json:"plan"`
}

// Refused reports whether the decision stops the procedure.
func (d Decision) Refused() bool { return len(d.Refusals) > 0 }

func (d *Decision) refuse(code string, args ...string) {
	d.Refusals = append(d.Refusals, Refusal{Code: code, Args: args})
}

func (d *Decision) note(code string, args ...string) {
	d.Notes = append(d.Notes, Refusal{Code: code, Args: args})
}

func (d *Decision) add(s Step) { d.Plan.Steps = append(d.Plan.Steps, s) }

// Describe renders a step in English, for the logs.
func Describe(s Step) string { return describe("ps.", s.Code, s.Args) }

// describe renders a step ("ps.") or a refusal ("pr.") code with the
// English text of the tools' catalogue.
func describe(prefix, code string, args []string) string {
	t, ok := msg.Template(msg.EN, prefix+code)
	if !ok {
		return code + " " + strings.Join(args, " ")
	}
	a := make([]any, len(args))
	for i, v := range args {
		a[i] = v
	}
	return fmt.Sprintf(t, a...)
}

// quoteArgv renders an argument vector for people (and for a remote
// shell): arguments are single-quoted when they contain anything a shell
// would interpret.
func quoteArgv(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = cmdrun.ShellQuote(a)
	}
	return strings.Join(q, " ")
}

// StepCodes lists every step code.
func StepCodes() []string { return catalogCodes("ps.") }

// RefusalCodes lists every refusal, reason and note code.
func RefusalCodes() []string { return catalogCodes("pr.") }

func catalogCodes(prefix string) []string {
	var out []string
	for _, k := range msg.Keys(prefix) {
		out = append(out, strings.TrimPrefix(k, prefix))
	}
	return out
}

// StoppedNodes are the nodes a plan waits to see stopped.
func (d Decision) StoppedNodes() []string {
	var out []string
	for _, st := range d.Plan.Steps {
		if st.Wait != nil && st.Wait.Kind == WaitStopped {
			out = append(out, st.Wait.Node)
		}
	}
	return out
}
