// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sys/unix"
)

// dialInNetns returns a dialer whose sockets are created inside the network
// namespace at nsPath (e.g. /run/netns/pgrex-client). The socket is made on
// an OS thread that joined the namespace for the dial and then goes back to
// its own namespace; a socket keeps the namespace it was created in wherever
// it is used afterwards. A thread that cannot go back stays locked, so the Go
// runtime retires it with its goroutine instead of reusing it.
func dialInNetns(nsPath string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		type result struct {
			c   net.Conn
			err error
		}
		ch := make(chan result, 1)
		go func() {
			runtime.LockOSThread()
			orig, err := os.Open("/proc/thread-self/ns/net")
			if err != nil {
				runtime.UnlockOSThread()
				ch <- result{nil, err}
				return
			}
			defer orig.Close()
			target, err := os.Open(nsPath)
			if err != nil {
				runtime.UnlockOSThread()
				ch <- result{nil, err}
				return
			}
			defer target.Close()
			if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
				runtime.UnlockOSThread()
				ch <- result{nil, fmt.Errorf("setns %s: %w", nsPath, err)}
				return
			}
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
				runtime.UnlockOSThread()
			} // else: stay locked, the thread exits with this goroutine
			ch <- result{c, err}
		}()
		r := <-ch
		return r.c, r.err
	}
}

// Writer commits numbered rows (synchronous_commit=on) through the service
// VIP from the lab's client namespace and records every acknowledged id.
type Writer struct {
	Table    string
	Interval time.Duration // pause between commits

	mu       sync.Mutex
	acked    []int64
	ackedAt  []time.Time // when each acked id was acknowledged
	inDoubt  []int64     // commit sent, no acknowledgement (error or timeout)
	errors   int
	lastErr  string
	done     chan struct{}
	cancel   context.CancelFunc
	connects int
}

// Start begins writing until Stop. The table must exist.
func (w *Writer) Start(ctx context.Context) {
	ctx, w.cancel = context.WithCancel(ctx)
	w.done = make(chan struct{})
	go w.loop(ctx)
}

// startWriter creates a table named prefix_<unix time> on node and starts
// a writer into it (every 20 ms) that stops when the test ends, if not
// before (Stop may be called again).
func startWriter(t *testing.T, ctx context.Context, l *Lab, node, prefix string) *Writer {
	t.Helper()
	table := fmt.Sprintf("%s_%d", prefix, time.Now().Unix())
	if _, err := l.PSQL(ctx, 30*time.Second, node, "CREATE TABLE "+table+" (id bigint PRIMARY KEY, at timestamptz DEFAULT now())"); err != nil {
		t.Fatal(err)
	}
	w := &Writer{Table: table, Interval: 20 * time.Millisecond}
	w.Start(ctx)
	t.Cleanup(w.Stop)
	return w
}

// Stop ends the writer and waits for it (bounded by the per-commit timeout).
func (w *Writer) Stop() {
	w.cancel()
	<-w.done
}

// Result returns the acknowledged ids, the in-doubt ids, the error count and the last error.
func (w *Writer) Result() (acked, inDoubt []int64, errs, connects int, lastErr string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int64(nil), w.acked...), append([]int64(nil), w.inDoubt...), w.errors, w.connects, w.lastErr
}

// AckTimes returns when each acknowledged id was acknowledged, in the
// order of Result's acked.
func (w *Writer) AckTimes() []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Time(nil), w.ackedAt...)
}

func (w *Writer) loop(ctx context.Context) {
	defer close(w.done)
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=5432 user=postgres dbname=postgres sslmode=disable connect_timeout=3", VIPMaster))
	if err != nil {
		w.fail(err)
		return
	}
	cfg.DialFunc = dialInNetns("/run/netns/" + ClientNS)
	cfg.RuntimeParams["synchronous_commit"] = "on"
	cfg.RuntimeParams["application_name"] = "pgrex-e2e-writer"
	insert := fmt.Sprintf("INSERT INTO %s (id) VALUES ($1)", w.Table)
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			_ = conn.Close(cctx)
			cancel()
		}
	}()
	id := int64(0)
	for ctx.Err() == nil {
		if conn == nil {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			c, err := pgx.ConnectConfig(cctx, cfg)
			cancel()
			if err != nil {
				w.fail(err)
				sleepCtx(ctx, 200*time.Millisecond)
				continue
			}
			conn = c
			w.mu.Lock()
			w.connects++
			w.mu.Unlock()
		}
		id++
		// A commit may wait for the sync standby; 10 s bounds a hung primary.
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := conn.Exec(cctx, insert, id)
		cancel()
		w.mu.Lock()
		if err == nil {
			w.acked = append(w.acked, id)
			w.ackedAt = append(w.ackedAt, time.Now())
		} else {
			w.inDoubt = append(w.inDoubt, id)
		}
		w.mu.Unlock()
		if err != nil {
			w.fail(err)
			cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = conn.Close(cctx)
			cancel()
			conn = nil
			sleepCtx(ctx, 200*time.Millisecond)
			continue
		}
		sleepCtx(ctx, w.Interval)
	}
}

func (w *Writer) fail(err error) {
	w.mu.Lock()
	w.errors++
	w.lastErr = err.Error()
	w.mu.Unlock()
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
