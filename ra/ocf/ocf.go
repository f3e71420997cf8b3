// SPDX-License-Identifier: Apache-2.0

// Package ocf is the OCF resource agent API as the agent sees it: exit
// codes, the environment, and what Pacemaker says about the operation
// (OCF_RESKEY_CRM_meta_*, the clone notification variables).
package ocf

import (
	"strconv"
	"strings"
	"time"
)

// Status is an OCF exit code (OCF resource agent API 1.1).
type Status int

// The OCF exit codes.
const (
	Success          Status = 0
	ErrGeneric       Status = 1
	ErrArgs          Status = 2
	ErrUnimplemented Status = 3
	ErrPerm          Status = 4
	ErrInstalled     Status = 5
	ErrConfigured    Status = 6
	NotRunning       Status = 7
	RunningPromoted  Status = 8
	FailedPromoted   Status = 9
	// Degraded and DegradedPromoted (OCF 1.1): running (promoted) and
	// serving, but degraded; Pacemaker 2.1 counts them as running
	// (promoted), never as a failure.
	Degraded         Status = 190
	DegradedPromoted Status = 191
)

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
		return IsTrue(v)
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

// IsTrue is ocf_is_true: the spellings the shell agents accept as true.
func IsTrue(v string) bool {
	switch strings.TrimSpace(v) {
	case "yes", "true", "1", "YES", "TRUE", "True", "ja", "on", "ON", "Yes", "On":
		return true
	}
	return false
}

// IsFalse lists the spellings accepted as false; anything that is neither
// true nor false is a configuration error in pgrex (the shell agent silently
// took it as false).
func IsFalse(v string) bool {
	switch strings.TrimSpace(v) {
	case "no", "false", "0", "NO", "FALSE", "False", "nein", "off", "OFF", "No", "Off":
		return true
	}
	return false
}
