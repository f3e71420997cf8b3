// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// The nodes' D-LAN addresses (test/lab/lab): the split-brain probe
// connects to each node's PostgreSQL there, from inside the node, where the
// lab's pg_hba trusts the D-LAN and no cut of a LAN port at the switch can
// get in the way.
var repAddr = map[string]string{"node1": "192.0.2.71", "node2": "192.0.2.72"}

// probeTable is where the split-brain probe writes.
const probeTable = "e2e_campaign_probe"

// probeRound is one round of the split-brain probe: both nodes asked at
// once whether they are out of recovery and take a write.
type probeRound struct {
	At       time.Time
	Writable map[string]bool // the node committed the probe's write
}

// Prober asks both nodes, every Interval, pg_is_in_recovery() and — when
// a node says it is not in recovery — for a write committed locally
// (synchronous_commit=local: writable, whatever its synchronous standby
// does). A round in which both nodes committed is two writable primaries
// at one moment: split brain, measured rather than assumed.
type Prober struct {
	Lab      *Lab
	Interval time.Duration

	mu     sync.Mutex
	rounds []probeRound
	cancel context.CancelFunc
	done   chan struct{}
}

// Start begins probing until Stop. The probe table must exist.
func (p *Prober) Start(ctx context.Context) {
	ctx, p.cancel = context.WithCancel(ctx)
	p.done = make(chan struct{})
	go func() {
		defer close(p.done)
		for ctx.Err() == nil {
			t0 := time.Now()
			r := probeRound{At: t0, Writable: map[string]bool{}}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for n := range repAddr {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok := p.writable(ctx, n)
					mu.Lock()
					r.Writable[n] = ok
					mu.Unlock()
				}()
			}
			wg.Wait()
			p.mu.Lock()
			p.rounds = append(p.rounds, r)
			p.mu.Unlock()
			sleepCtx(ctx, p.Interval-time.Since(t0))
		}
	}()
}

// Stop ends the probe and waits for it.
func (p *Prober) Stop() {
	p.cancel()
	<-p.done
}

// writable is one node's answer: a write committed there now.
func (p *Prober) writable(ctx context.Context, node string) bool {
	pid, err := p.Lab.nodePID(node)
	if err != nil {
		return false // powered off
	}
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=5432 user=postgres dbname=postgres sslmode=disable connect_timeout=1", repAddr[node]))
	if err != nil {
		return false
	}
	cfg.DialFunc = dialInNetns("/proc/" + strconv.Itoa(pid) + "/ns/net")
	cfg.RuntimeParams["synchronous_commit"] = "local"
	cfg.RuntimeParams["application_name"] = "pgrex-e2e-probe"
	// A frozen server answers nothing: the bound is the probe's interval.
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return false
	}
	defer conn.Close(context.WithoutCancel(cctx))
	var inRecovery bool
	if err := conn.QueryRow(cctx, "select pg_is_in_recovery()").Scan(&inRecovery); err != nil || inRecovery {
		return false
	}
	_, err = conn.Exec(cctx, "insert into "+probeTable+" (node) values ($1)", node)
	return err == nil
}

// Rounds returns the rounds so far.
func (p *Prober) Rounds() []probeRound {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.rounds)
}

// splitBrain counts the rounds in [from, to] in which more than one node
// committed a write.
func splitBrain(rounds []probeRound, from, to time.Time) int {
	n := 0
	for _, r := range rounds {
		if r.At.Before(from) || r.At.After(to) {
			continue
		}
		w := 0
		for _, ok := range r.Writable {
			if ok {
				w++
			}
		}
		if w > 1 {
			n++
		}
	}
	return n
}

// oneWritable counts the rounds in which exactly one node committed: the
// probe's proof that it can see a primary at all (a probe that never
// reaches one would also never see two).
func oneWritable(rounds []probeRound) int {
	n := 0
	for _, r := range rounds {
		w := 0
		for _, ok := range r.Writable {
			if ok {
				w++
			}
		}
		if w == 1 {
			n++
		}
	}
	return n
}

// unavailable is the longest time in [from, to] without an acknowledged
// write: the gap between consecutive acknowledgements (acks sorted) that
// overlaps the window most, counted inside the window.
func unavailable(acks []time.Time, from, to time.Time) time.Duration {
	prev := from
	var worst time.Duration
	for _, a := range acks {
		if a.Before(from) {
			continue
		}
		if a.After(to) {
			a = to
		}
		worst = max(worst, a.Sub(prev))
		prev = a
		if a.Equal(to) {
			return worst
		}
	}
	return max(worst, to.Sub(prev))
}

// percentile is the p-th percentile (0–100, nearest rank) of d.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// faultResult is one fault of a campaign.
type faultResult struct {
	Kind        string
	Target      string
	Unavailable time.Duration // longest time without an acknowledged write
	Back        time.Duration // fault → PRI + HS:sync again
	SplitBrain  int           // probe rounds with two writable primaries
	Lost        int           // acknowledged during the fault, missing at the end
	Unknown     int           // commits with no acknowledgement during the fault
	Committed   int           // of those, on the primary at the end
	Procedure   string        // the operator steps the campaign took ("" = none)
}

// campaignTable is the Markdown table of a campaign, a row per fault kind
// (docs/e2e.md, "The fault campaign").
func campaignTable(results []faultResult) string {
	var kinds []string
	by := map[string][]faultResult{}
	for _, r := range results {
		if _, ok := by[r.Kind]; !ok {
			kinds = append(kinds, r.Kind)
		}
		by[r.Kind] = append(by[r.Kind], r)
	}
	slices.Sort(kinds)
	var b strings.Builder
	b.WriteString("| fault | count | lost | unknown (committed) | split brain | unavailable p50 / max | back to PRI + HS:sync p50 / max | operator steps |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	sec := func(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
	var total faultResult
	for _, k := range kinds {
		rs := by[k]
		var sum faultResult
		var un, back []time.Duration
		procs := map[string]bool{}
		for _, r := range rs {
			sum.Lost += r.Lost
			sum.Unknown += r.Unknown
			sum.Committed += r.Committed
			sum.SplitBrain += r.SplitBrain
			un = append(un, r.Unavailable)
			back = append(back, r.Back)
			if r.Procedure != "" {
				procs[r.Procedure] = true
			}
		}
		total.Lost += sum.Lost
		total.Unknown += sum.Unknown
		total.Committed += sum.Committed
		total.SplitBrain += sum.SplitBrain
		steps := "none"
		if len(procs) > 0 {
			steps = strings.Join(slices.Sorted(func(y func(string) bool) {
				for p := range procs {
					if !y(p) {
						return
					}
				}
			}), "; ")
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d (%d) | %d | %s / %s | %s / %s | %s |\n", k, len(rs), sum.Lost, sum.Unknown,
			sum.Committed, sum.SplitBrain, sec(percentile(un, 50)), sec(percentile(un, 100)),
			sec(percentile(back, 50)), sec(percentile(back, 100)), steps)
	}
	fmt.Fprintf(&b, "| **all** | %d | %d | %d (%d) | %d | | | |\n", len(results), total.Lost, total.Unknown, total.Committed, total.SplitBrain)
	return b.String()
}
