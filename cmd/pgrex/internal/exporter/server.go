// SPDX-License-Identifier: Apache-2.0

package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/singleflight"
)

// Defaults of `pgrex exporter` (docs/operations.md, `pgrex exporter`).
const (
	// DefaultListen is loopback only: the metrics tell the cluster's
	// layout, so exposing them is the operator's choice. 9633 is not
	// postgres_exporter's 9187, which may run beside it.
	DefaultListen   = "127.0.0.1:9633"
	DefaultInterval = 5 * time.Second
	DefaultTimeout  = 10 * time.Second
)

// Server serves /metrics and the health endpoints from one cached
// snapshot: a read happens at most once per Interval, and requests that
// arrive while one runs wait for it instead of starting their own.
type Server struct {
	cfg      Config
	interval time.Duration
	counters *Counters
	log      *slog.Logger
	// read takes a snapshot (Read; tests replace it).
	read func(ctx context.Context, cfg Config) *Snapshot

	group singleflight.Group
	mu    sync.Mutex
	last  *Snapshot
	done  time.Time // when last was taken
	// lastErrs is what the previous read logged, so a lasting failure is
	// logged once, not every interval.
	lastErrs string
}

// NewServer serves reads of cfg cached for interval. cfg.Timeout must be
// positive: the shared read runs on its own deadline, not a request's.
func NewServer(cfg Config, interval time.Duration, log *slog.Logger) (*Server, error) {
	if cfg.Timeout <= 0 {
		return nil, errors.New("the read timeout must be positive")
	}
	if interval < 0 {
		return nil, errors.New("the cache interval must not be negative")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, interval: interval, counters: NewCounters(), log: log, read: Read}, nil
}

// Snapshot returns a snapshot no older than the interval, reading one if
// needed. It waits at most until ctx ends; the read itself goes on (to
// its timeout) for the others waiting on it and for the cache.
func (s *Server) Snapshot(ctx context.Context) (*Snapshot, error) {
	s.mu.Lock()
	if s.last != nil && s.cfg.Now().Sub(s.done) < s.interval {
		last := s.last
		s.mu.Unlock()
		return last, nil
	}
	s.mu.Unlock()
	ch := s.group.DoChan("read", func() (any, error) {
		snap := s.read(context.Background(), s.cfg)
		s.counters.Count(snap)
		s.logErrors(snap)
		s.mu.Lock()
		s.last, s.done = snap, s.cfg.Now()
		s.mu.Unlock()
		return snap, nil
	})
	select {
	case r := <-ch:
		return r.Val.(*Snapshot), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the cluster read: %w", ctx.Err())
	}
}

func (s *Server) logErrors(snap *Snapshot) {
	text := ""
	for _, src := range Sources {
		if err := snap.Errors[src]; err != nil {
			text += string(src) + ": " + err.Error() + "; "
		}
	}
	if text != s.lastErrs {
		if text != "" {
			s.log.Warn("read failed", "errors", text)
		} else {
			s.log.Info("read succeeded again")
		}
		s.lastErrs = text
	}
}

// Handler is the exporter's HTTP interface.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", s.serveMetrics)
	for _, c := range Checks {
		mux.HandleFunc("/"+string(c), func(w http.ResponseWriter, r *http.Request) { s.serveCheck(w, r, c) })
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "pgrex exporter: /metrics, /primary, /standby[?max_lag=BYTES], /sync[?max_lag=BYTES], /healthy")
	})
	return mux
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	snap, err := s.Snapshot(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	reg := Registry(snap, s.counters)
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).ServeHTTP(w, r)
}

// serveCheck answers a health endpoint: HTTP 200 or 503 with the reason,
// for GET, HEAD and OPTIONS (HAProxy's httpchk sends OPTIONS unless told
// otherwise).
func (s *Server) serveCheck(w http.ResponseWriter, r *http.Request, c Check) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	maxLag := int64(-1)
	if v := r.URL.Query().Get("max_lag"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			http.Error(w, fmt.Sprintf("max_lag=%q: want a number of bytes", v), http.StatusBadRequest)
			return
		}
		maxLag = n
	}
	snap, err := s.Snapshot(r.Context())
	v := Verdict{Reason: "unknown"}
	if err != nil {
		v.Reason = err.Error()
	} else {
		v = Decide(snap, c, maxLag)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	code := http.StatusServiceUnavailable
	if v.OK {
		code = http.StatusOK
	}
	w.WriteHeader(code)
	fmt.Fprintln(w, v.Reason)
}

// Serve answers on l until ctx ends, then shuts down, letting requests
// under way finish for up to the read timeout.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// A response waits for at most one read.
		WriteTimeout: s.cfg.Timeout + 10*time.Second,
		IdleTimeout:  2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving on %s: %w", l.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Timeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down the server on %s: %w", l.Addr(), err)
	}
	return nil
}
