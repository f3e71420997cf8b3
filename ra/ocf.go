// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pgrex/pgrex/ra/cmdrun"
)

// Status is an OCF exit code (OCF resource agent API 1.1).
type Status int

// The OCF exit codes.
const (
	OCFSuccess          Status = 0
	OCFErrGeneric       Status = 1
	OCFErrArgs          Status = 2
	OCFErrUnimplemented Status = 3
	OCFErrPerm          Status = 4
	OCFErrInstalled     Status = 5
	OCFErrConfigured    Status = 6
	OCFNotRunning       Status = 7
	OCFRunningPromoted  Status = 8
	OCFFailedPromoted   Status = 9
)

// exitError is a failure with its own OCF code, its reason already worded
// for the operator (it is shown as it is, not folded onto one line).
type exitError struct {
	code   Status
	reason string
}

func (e *exitError) Error() string { return e.reason }

// failf is a failure that exits with code, for a reason the operator reads.
func failf(code Status, format string, args ...any) error {
	return &exitError{code: code, reason: fmt.Sprintf(format, args...)}
}

// exit is the one place an action's outcome becomes the process's answer:
// no error is the status itself; an error is its ocf-exit-reason and its
// code — the code an exitError or a ConfigError carries, else
// OCF_ERR_GENERIC. Any other error is folded onto one line.
func (a *Agent) exit(st Status, err error) Status {
	if err == nil {
		return st
	}
	var ee *exitError
	var ce *ConfigError
	switch {
	case errors.As(err, &ee) && error(ee) == err:
		a.Log.ExitReason("%s", ee.reason)
		return ee.code
	case errors.As(err, &ce) && error(ce) == err:
		a.Log.ExitReason("%s", ce.Reason)
		return ce.RC
	case errors.As(err, &ee):
		a.Log.ExitReason("%s", cmdrun.OneLine(err.Error()))
		return ee.code
	case errors.As(err, &ce):
		a.Log.ExitReason("%s", cmdrun.OneLine(err.Error()))
		return ce.RC
	}
	a.Log.ExitReason("%s", cmdrun.OneLine(err.Error()))
	return OCFErrGeneric
}

// Env is the environment the agent was started with, as a map.
type Env map[string]string

// ParseEnv turns os.Environ()-style KEY=VALUE strings into an Env.
func ParseEnv(kv []string) Env {
	env := make(Env, len(kv))
	for _, s := range kv {
		if k, v, ok := strings.Cut(s, "="); ok {
			env[k] = v
		}
	}
	return env
}

// Notify carries Pacemaker's clone notification data. Each list holds the
// words of the variable; Set tells an unset variable (notify=false, or an
// action outside a notifying transition) from an empty list, which Pacemaker
// passes as a single space.
type Notify struct {
	Type       string // "pre" or "post"
	Operation  string // "start", "stop", "promote", "demote"
	Set        bool   // any notify variable was present
	Start      NotifyList
	Stop       NotifyList
	Promote    NotifyList
	Demote     NotifyList
	Active     NotifyList
	Inactive   NotifyList
	Promoted   NotifyList // promoted_*, falling back to master_*
	Unpromoted NotifyList // unpromoted_*, falling back to slave_*
	Available  NotifyList
	All        NotifyList
}

// NotifyList is one resource/uname pair of notify variables.
type NotifyList struct {
	Present  bool
	Resource []string
	Uname    []string
}

// Meta is what Pacemaker tells the agent about the operation and the
// resource's meta attributes (OCF_RESKEY_CRM_meta_*).
type Meta struct {
	Interval       time.Duration
	Timeout        time.Duration // 0 when Pacemaker did not say
	Role           string
	OnNode         string
	Promotable     bool
	PromotedMax    int
	CloneMax       int
	CloneNodeMax   int
	NotifyEnabled  bool
	GloballyUnique bool
	Notify         Notify
}

// IsProbe reports whether a monitor is Pacemaker's one-shot probe.
func (m Meta) IsProbe(action string) bool {
	return action == "monitor" && m.Interval == 0
}

// ParseMeta reads the CRM_meta variables. Unparsable numbers count as unset:
// Pacemaker never sends them, and a hand-run agent should still work.
func ParseMeta(env Env) Meta {
	get := func(name string) (string, bool) {
		v, ok := env["OCF_RESKEY_CRM_meta_"+name]
		return v, ok
	}
	ms := func(name string) time.Duration {
		v, _ := get(name)
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return 0
		}
		return time.Duration(n) * time.Millisecond
	}
	num := func(names ...string) int {
		for _, name := range names {
			if v, ok := get(name); ok {
				if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
					return n
				}
			}
		}
		return 0
	}
	flag := func(name string) bool {
		v, _ := get(name)
		return isTrue(v)
	}
	m := Meta{
		Interval:       ms("interval"),
		Timeout:        ms("timeout"),
		PromotedMax:    num("promoted_max", "master_max"),
		CloneMax:       num("clone_max"),
		CloneNodeMax:   num("clone_node_max"),
		NotifyEnabled:  flag("notify"),
		GloballyUnique: flag("globally_unique"),
	}
	m.Role, _ = get("role")
	m.OnNode, _ = get("on_node")
	m.Promotable = flag("promotable") || m.PromotedMax > 0

	list := func(names ...string) NotifyList {
		var l NotifyList
		for _, n := range names {
			r, rok := get("notify_" + n + "_resource")
			u, uok := get("notify_" + n + "_uname")
			if rok || uok {
				l.Present = true
				l.Resource = strings.Fields(r)
				l.Uname = lowerAll(strings.Fields(u))
				return l
			}
		}
		return l
	}
	n := &m.Notify
	n.Type, _ = get("notify_type")
	n.Operation, _ = get("notify_operation")
	n.Start = list("start")
	n.Stop = list("stop")
	n.Promote = list("promote")
	n.Demote = list("demote")
	n.Active = list("active")
	n.Inactive = list("inactive")
	n.Promoted = list("promoted", "master")
	n.Unpromoted = list("unpromoted", "slave")
	n.Available = list("available")
	n.All = list("all")
	n.Set = n.Type != "" || n.Start.Present || n.Stop.Present || n.Promote.Present ||
		n.Demote.Present || n.Promoted.Present || n.Unpromoted.Present
	return m
}

func lowerAll(in []string) []string {
	for i := range in {
		in[i] = strings.ToLower(in[i])
	}
	return in
}

// isTrue is ocf_is_true: the spellings the shell agents accept as true.
func isTrue(v string) bool {
	switch strings.TrimSpace(v) {
	case "yes", "true", "1", "YES", "TRUE", "True", "ja", "on", "ON", "Yes", "On":
		return true
	}
	return false
}

// isFalse lists the spellings accepted as false; anything that is neither
// true nor false is a configuration error in pgrex (the shell agent silently
// took it as false).
func isFalse(v string) bool {
	switch strings.TrimSpace(v) {
	case "no", "false", "0", "NO", "FALSE", "False", "nein", "off", "OFF", "No", "Off":
		return true
	}
	return false
}
