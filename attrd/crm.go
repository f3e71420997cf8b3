// SPDX-License-Identifier: Apache-2.0

package attrd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pgrex/pgrex/ra/cmdrun"
)

// Runner runs one external command; *cmdrun.Runner is the real one.
type Runner interface {
	Run(ctx context.Context, c cmdrun.Cmd) (cmdrun.Result, error)
}

// Defaults for Options.
const (
	// DefaultTimeout bounds a crm_attribute read, a reboot-lifetime write
	// (pacemaker-attrd answers at once) and the crm_mon snapshot.
	DefaultTimeout = 10 * time.Second
	// DefaultForeverWriteTimeout is the agent's crm_attr_timeout default:
	// a forever write is a CIB update and can hang while the CIB is busy
	// or the partition lost quorum; the agent would rather retry than let
	// the whole monitor time out.
	DefaultForeverWriteTimeout = 5 * time.Second
)

// Exit codes of the Pacemaker tools that mean "no such attribute/node"
// rather than "the tool failed".
const (
	exitNoSuch = 105 // CRM_EX_NOSUCH, Pacemaker ≥ 2.0
	exitENXIO  = 6   // ENXIO, what Pacemaker 1.1 exited with
)

// ErrUnknownNode means Pacemaker does not know the node named in an
// attribute operation ("Could not map name=… to a UUID"). It is an error,
// not "attribute absent": a misspelt node_list entry must be noticed.
var ErrUnknownNode = errors.New("node unknown to the cluster")

// ErrInvalidScore means a promotion score is not an integer or ±INFINITY;
// crm_attribute would store such a value and the scheduler would read it
// as 0, so it is refused before anything runs.
var ErrInvalidScore = errors.New("invalid promotion score")

// ErrInvalidRequest means a CRM method was called with arguments it refuses
// before running anything (no node, no attribute name, an unknown lifetime).
// Repeating such a call cannot help.
var ErrInvalidRequest = errors.New("invalid attribute request")

// Options configures a CRM. The zero value uses the tools from PATH and the
// default timeouts.
type Options struct {
	// CrmAttribute, CrmMon, CrmNode, CrmResource and Cibadmin are the
	// tools; "" means "crm_attribute", "crm_mon", "crm_node",
	// "crm_resource" and "cibadmin" looked up in PATH.
	CrmAttribute string
	CrmMon       string
	CrmNode      string
	CrmResource  string
	Cibadmin     string
	// Timeout bounds every command except forever writes (0 = DefaultTimeout).
	Timeout time.Duration
	// ForeverWriteTimeout bounds forever-lifetime updates and deletes; set
	// it from the crm_attr_timeout parameter (0 = DefaultForeverWriteTimeout).
	ForeverWriteTimeout time.Duration
	// Env is added to every command's environment. Besides tests, CIB_file
	// belongs here: the Pacemaker tools then work on a CIB file instead of
	// the live cluster.
	Env []string
}

// CRM reads and writes node attributes with crm_attribute and reads the
// cluster status with crm_mon.
//
// Every option is passed in its long "--name=value" form. Pacemaker 2.1.5's
// crm_attribute misparses the short form "-p -v -INFINITY" (it reads the
// value as "-I -N FINITY"), and "=" keeps any value starting with "-" a
// value. Each method runs exactly one command and does not retry: retry
// policy belongs to the caller, which knows the action's deadline; Retry and
// Transient are the tools for it.
type CRM struct {
	run  Runner
	opts Options
}

// NewCRM returns a CRM that runs its commands through r.
func NewCRM(r Runner, opts Options) *CRM {
	if opts.CrmAttribute == "" {
		opts.CrmAttribute = "crm_attribute"
	}
	if opts.CrmMon == "" {
		opts.CrmMon = "crm_mon"
	}
	if opts.CrmNode == "" {
		opts.CrmNode = "crm_node"
	}
	if opts.CrmResource == "" {
		opts.CrmResource = "crm_resource"
	}
	if opts.Cibadmin == "" {
		opts.Cibadmin = "cibadmin"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.ForeverWriteTimeout <= 0 {
		opts.ForeverWriteTimeout = DefaultForeverWriteTimeout
	}
	return &CRM{run: r, opts: opts}
}

// SnapshotArgs returns the crm_mon arguments Snapshot uses (fakes must
// accept them). --include=none first drops the sections crm_mon's XML shows
// by default (summary, operation history, fencing, bans…) that the agent
// does not read, which keeps the output small; node attributes are in the
// XML default set, so --show-node-attributes is not needed.
func SnapshotArgs() []string {
	return []string{"--one-shot", "--output-as=xml", "--include=none,nodes,resources,attributes"}
}

// Snapshot reads the cluster state with one crm_mon call: every node and
// whether it is online, the attributes of the online nodes (both lifetimes,
// promotion scores included), and the role of every resource instance on
// every node. Call it once per agent invocation and answer every question
// from the returned Cluster (docs/compatibility.md, "Cost": the shell agent
// ran crm_mon up to five times per monitor).
//
// Why crm_mon and not cibadmin --query: the CIB holds every attribute,
// including an offline node's forever ones, but a resource's role is not
// written in it. Roles are the scheduler's conclusions from the operation
// history (last call ids, pending and failed operations, fencing), and
// crm_mon runs that same scheduler code. Re-deriving roles from
// lrm_rsc_op records would be a second, subtly different scheduler, and a
// wrong "no master anywhere" starts an election. A node's online state is
// the scheduler's too, but a rule of four node_state fields, which
// CIBSnapshot applies for the callers that need no roles (recurring
// monitors, through Cache.Members with Light). What crm_mon lacks is an offline node's
// forever attributes (Node.AttrsKnown is false for such a node); a caller
// that needs one, such as the primary guarding a data-status write to a
// powered-off standby, reads it with Get — a read needed only while a node
// is down.
func (c *CRM) Snapshot(ctx context.Context) (*Cluster, error) {
	res, err := c.run.Run(ctx, c.cmd(c.opts.CrmMon, c.opts.Timeout, SnapshotArgs()...))
	if err != nil {
		return nil, fmt.Errorf("reading cluster status: %w", err)
	}
	cl, err := ParseCrmMon(res.Stdout)
	if err != nil {
		return nil, fmt.Errorf("reading cluster status: %w", err)
	}
	return cl, nil
}

// CIBSnapshotArgs returns the cibadmin arguments CIBSnapshot uses.
func CIBSnapshotArgs() []string { return []string{"--query"} }

// CIBSnapshot reads nodes, membership and attributes with one cibadmin
// query (ParseCIB): what a recurring monitor asks (the primary's about the
// others), for less than crm_mon costs, because no scheduler runs
// (docs/performance.md). It knows no roles (Cluster.MembershipOnly); see
// Snapshot for why those need crm_mon.
func (c *CRM) CIBSnapshot(ctx context.Context) (*Cluster, error) {
	res, err := c.run.Run(ctx, c.cmd(c.opts.Cibadmin, c.opts.Timeout, CIBSnapshotArgs()...))
	if err != nil {
		return nil, fmt.Errorf("reading the CIB: %w", err)
	}
	cl, err := ParseCIB(res.Stdout)
	if err != nil {
		return nil, fmt.Errorf("reading the CIB: %w", err)
	}
	return cl, nil
}

// LocalNode returns the name Pacemaker uses for this node (crm_node --name),
// which is not always the host name.
func (c *CRM) LocalNode(ctx context.Context) (string, error) {
	res, err := c.run.Run(ctx, c.cmd(c.opts.CrmNode, c.opts.Timeout, "--name"))
	if err != nil {
		return "", fmt.Errorf("asking Pacemaker for the local node name: %w", err)
	}
	name := strings.TrimSpace(string(res.Stdout))
	if name == "" || strings.ContainsAny(name, " \t\n") {
		return "", fmt.Errorf("asking Pacemaker for the local node name: crm_node printed %q", name)
	}
	return name, nil
}

// Get reads one node attribute from the CIB. found is false, with a nil
// error, when the node has no such attribute in that lifetime; an unknown
// node is an error wrapping ErrUnknownNode.
//
// Reboot-lifetime writes travel through pacemaker-attrd, which updates the
// CIB asynchronously, so a Get (or Snapshot) right after a reboot Set may
// still see the old value; forever writes are CIB updates and are visible
// once Set returns.
func (c *CRM) Get(ctx context.Context, node, name string, lt Lifetime) (value string, found bool, err error) {
	what := fmt.Sprintf("reading node attribute %s (%s) of %s", name, lt, node)
	if err := checkAttr(node, name, lt); err != nil {
		return "", false, fmt.Errorf("%s: %w", what, err)
	}
	res, err := c.run.Run(ctx, c.cmd(c.opts.CrmAttribute, c.opts.Timeout,
		"--query", "--quiet", "--node="+node, "--name="+name, "--lifetime="+lt.String()))
	if err != nil {
		if absent, nerr := notFound(res, err); absent {
			return "", false, nil
		} else if nerr != nil {
			return "", false, fmt.Errorf("%s: %w", what, nerr)
		}
		return "", false, fmt.Errorf("%s: %w", what, err)
	}
	// --quiet prints the bare value and a newline; the value itself may
	// contain spaces ("normal (master)"), so only the line end goes.
	out := strings.TrimRight(string(res.Stdout), "\r\n")
	return out, true, nil
}

// Set writes one node attribute. Forever writes are bounded by
// Options.ForeverWriteTimeout.
func (c *CRM) Set(ctx context.Context, node, name, value string, lt Lifetime) error {
	what := fmt.Sprintf("setting node attribute %s=%q (%s) on %s", name, value, lt, node)
	if err := checkAttr(node, name, lt); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	res, err := c.run.Run(ctx, c.cmd(c.opts.CrmAttribute, c.writeTimeout(lt),
		"--node="+node, "--name="+name, "--lifetime="+lt.String(), "--update="+value))
	if err != nil {
		if _, nerr := notFound(res, err); nerr != nil {
			return fmt.Errorf("%s: %w", what, nerr)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Delete removes one node attribute. Deleting an attribute that does not
// exist succeeds, as it does with crm_attribute itself.
func (c *CRM) Delete(ctx context.Context, node, name string, lt Lifetime) error {
	what := fmt.Sprintf("deleting node attribute %s (%s) of %s", name, lt, node)
	if err := checkAttr(node, name, lt); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return c.delete(ctx, what, c.writeTimeout(lt), "--node="+node, "--name="+name, "--lifetime="+lt.String())
}

// SetPromotionScore sets the promotion score of resource on node ("1000",
// "100", "-INFINITY"). The resource is the primitive id; a clone instance
// suffix (":0") is dropped. crm_attribute --promotion stores it as the
// reboot attribute master-<resource>.
func (c *CRM) SetPromotionScore(ctx context.Context, resource, node, score string) error {
	rsc := StripInstance(resource)
	what := fmt.Sprintf("setting promotion score of %s on %s to %s", rsc, node, score)
	if err := checkScore(rsc, node, score); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	res, err := c.run.Run(ctx, c.cmd(c.opts.CrmAttribute, c.opts.Timeout,
		"--promotion="+rsc, "--node="+node, "--update="+score))
	if err != nil {
		if _, nerr := notFound(res, err); nerr != nil {
			return fmt.Errorf("%s: %w", what, nerr)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// DeletePromotionScore removes the promotion score of resource on node;
// Pacemaker then treats the node as not promotable. Deleting an absent
// score succeeds.
func (c *CRM) DeletePromotionScore(ctx context.Context, resource, node string) error {
	rsc := StripInstance(resource)
	what := fmt.Sprintf("deleting promotion score of %s on %s", rsc, node)
	if err := checkScore(rsc, node, "0"); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return c.delete(ctx, what, c.opts.Timeout, "--promotion="+rsc, "--node="+node)
}

// delete runs crm_attribute --delete with the arguments that name the
// attribute; deleting an absent attribute succeeds.
func (c *CRM) delete(ctx context.Context, what string, timeout time.Duration, args ...string) error {
	res, err := c.run.Run(ctx, c.cmd(c.opts.CrmAttribute, timeout, append(args, "--delete")...))
	if err != nil {
		if absent, nerr := notFound(res, err); absent {
			return nil
		} else if nerr != nil {
			return fmt.Errorf("%s: %w", what, nerr)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// banTimeout bounds crm_resource --ban and --clear: a constraint is a CIB
// update.
const banTimeout = 30 * time.Second

// Ban keeps resource off node with a location constraint (crm_resource
// --ban); the agent bans itself when its data is newer than the promotee's.
func (c *CRM) Ban(ctx context.Context, resource, node string) error {
	if _, err := c.run.Run(ctx, c.cmd(c.opts.CrmResource, banTimeout, append(Pacemaker2.BanArgs(resource, node, false), "--quiet")...)); err != nil {
		return fmt.Errorf("banning %s from %s: %w", resource, node, err)
	}
	return nil
}

// Clear removes the constraints Ban (or a move) left for resource: on node
// only, or everywhere when node is "".
func (c *CRM) Clear(ctx context.Context, resource, node string) error {
	if _, err := c.run.Run(ctx, c.cmd(c.opts.CrmResource, banTimeout, append(ClearArgs(resource, node), "--quiet")...)); err != nil {
		return fmt.Errorf("clearing the constraints of %s: %w", resource, err)
	}
	return nil
}

func (c *CRM) cmd(path string, timeout time.Duration, args ...string) cmdrun.Cmd {
	return cmdrun.Cmd{Path: path, Args: args, Env: c.opts.Env, Timeout: timeout}
}

func (c *CRM) writeTimeout(lt Lifetime) time.Duration {
	if lt == Forever {
		return c.opts.ForeverWriteTimeout
	}
	return c.opts.Timeout
}

// notFound classifies a failed crm_attribute run. absent is true when the
// tool said the attribute does not exist; unknown is non-nil (wrapping
// ErrUnknownNode) when it said the node does not exist. Both come with exit
// code 105 on Pacemaker 2 (6 on 1.1) and differ only in the message.
// A command that did not exit on its own (timeout) is neither.
func notFound(res cmdrun.Result, err error) (absent bool, unknown error) {
	var ce *cmdrun.Error
	if !errors.As(err, &ce) || (ce.ExitCode != exitNoSuch && ce.ExitCode != exitENXIO) {
		return false, nil
	}
	msg := res.Stderr
	if len(msg) == 0 {
		msg = []byte(ce.Output)
	}
	if bytes.Contains(msg, []byte("Could not map name=")) {
		return false, fmt.Errorf("%w: %s", ErrUnknownNode, strings.TrimSpace(string(msg)))
	}
	return true, nil
}

func checkAttr(node, name string, lt Lifetime) error {
	switch {
	case node == "":
		return fmt.Errorf("%w: no node given", ErrInvalidRequest)
	case name == "":
		return fmt.Errorf("%w: no attribute name given", ErrInvalidRequest)
	case !lt.valid():
		return fmt.Errorf("%w: invalid lifetime %v", ErrInvalidRequest, lt)
	}
	return nil
}

// scoreOK is Pacemaker's score syntax as the agent writes and reads it:
// [+-]?([0-9]{1,10}|INFINITY). Checked by hand: a package-level regexp would
// be compiled by every invocation of the agent (docs/performance.md).
func scoreOK(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "INFINITY" {
		return true
	}
	if len(s) == 0 || len(s) > 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func checkScore(rsc, node, score string) error {
	switch {
	case rsc == "":
		return fmt.Errorf("%w: no resource given", ErrInvalidRequest)
	case node == "":
		return fmt.Errorf("%w: no node given", ErrInvalidRequest)
	case !scoreOK(score):
		return fmt.Errorf("%w %q: want an integer or ±INFINITY", ErrInvalidScore, score)
	}
	return nil
}
