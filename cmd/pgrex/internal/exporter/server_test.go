// SPDX-License-Identifier: Apache-2.0

package exporter

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/test/fixtures"
)

func offlineServer(t *testing.T, fixture, node string) *Server {
	t.Helper()
	s, err := NewServer(Config{XMLFile: fixtures.Path(t, fixture), Status: status.Options{LocalNode: node},
		Timeout: time.Minute}, time.Minute, nil)
	require.NoError(t, err)
	return s
}

func get(t *testing.T, h http.Handler, method, target string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), method, target, nil))
	return rec.Code, rec.Body.String()
}

// TestHealthEndpoints: the healthy capture answers 200 for the primary on
// node1 and the sync standby on node2, 503 the other way round.
func TestHealthEndpoints(t *testing.T) {
	for _, tc := range []struct {
		fixture, node, target string
		want                  int
	}{
		{"crm_mon-healthy.xml", "node1", "/primary", 200},
		{"crm_mon-healthy.xml", "node2", "/primary", 503},
		{"crm_mon-healthy.xml", "node1", "/standby", 503},
		{"crm_mon-healthy.xml", "node2", "/standby", 200},
		{"crm_mon-healthy.xml", "node2", "/sync", 200},
		{"crm_mon-healthy.xml", "node1", "/sync", 503},
		{"crm_mon-healthy.xml", "node1", "/healthy", 200},
		{"crm_mon-healthy.xml", "node2", "/standby?max_lag=1048576", 503}, // offline: lag unknown
		{"crm_mon-healthy.xml", "node2", "/standby?max_lag=lots", 400},
		{"crm_mon-healthy.xml", "node2", "/standby?max_lag=-1", 400},
		{"crm_mon-healthy.xml", "node1", "/nothing", 404},
		{"crm_mon-after-kill9-primary.xml", "node2", "/primary", 200},
		{"crm_mon-after-kill9-primary.xml", "node1", "/primary", 503},
		{"crm_mon-after-kill9-primary.xml", "node1", "/healthy", 503},
		{"crm_mon-replication-link-cut.xml", "node2", "/standby", 503},
		{"crm_mon-switchover-ban.xml", "node2", "/primary", 200},
	} {
		h := offlineServer(t, tc.fixture, tc.node).Handler()
		code, body := get(t, h, http.MethodGet, tc.target)
		assert.Equal(t, tc.want, code, "%s on %s: GET %s: %s", tc.fixture, tc.node, tc.target, body)
	}
}

func TestHealthMethods(t *testing.T) {
	h := offlineServer(t, "crm_mon-healthy.xml", "node1").Handler()
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodOptions} {
		code, _ := get(t, h, m, "/primary")
		assert.Equal(t, 200, code, m)
	}
	code, _ := get(t, h, http.MethodPost, "/primary")
	assert.Equal(t, http.StatusMethodNotAllowed, code)
}

func TestMetricsEndpoint(t *testing.T) {
	h := offlineServer(t, "crm_mon-healthy.xml", "node1").Handler()
	code, body := get(t, h, http.MethodGet, "/metrics")
	require.Equal(t, 200, code, body)
	assert.Contains(t, body, `pgrex_pgsql_status{node="node1",status="PRI"} 1`)
	assert.Contains(t, body, "go_goroutines ")
}

// countingServer's reads block until release is closed and count.
func countingServer(t *testing.T, interval time.Duration, release <-chan struct{}) (*Server, *atomic.Int32) {
	t.Helper()
	s := offlineServer(t, "crm_mon-healthy.xml", "node1")
	s.interval = interval
	var n atomic.Int32
	s.read = func(ctx context.Context, cfg Config) *Snapshot {
		n.Add(1)
		<-release
		return Read(ctx, cfg)
	}
	return s, &n
}

// TestSnapshotShared: concurrent scrapes share one read, and scrapes
// within the interval reuse it.
func TestSnapshotShared(t *testing.T) {
	release := make(chan struct{})
	s, reads := countingServer(t, time.Hour, release)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Snapshot(t.Context())
			assert.NoError(t, err)
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	_, err := s.Snapshot(t.Context())
	require.NoError(t, err)
	assert.Equal(t, int32(1), reads.Load())

	s.interval = 0
	_, err = s.Snapshot(t.Context())
	require.NoError(t, err)
	assert.Equal(t, int32(2), reads.Load(), "a zero interval reads every time")
}

// TestSnapshotRequestGivesUp: a request that ends stops waiting; the read
// goes on and fills the cache.
func TestSnapshotRequestGivesUp(t *testing.T) {
	release := make(chan struct{})
	s, reads := countingServer(t, time.Hour, release)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := s.Snapshot(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	h := s.Handler()
	rctx, rcancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer rcancel()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(rctx, http.MethodGet, "/primary", nil))
	assert.Equal(t, 503, rec.Code)

	close(release)
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.last != nil
	}, 10*time.Second, 10*time.Millisecond)
	code, _ := get(t, h, http.MethodGet, "/primary")
	assert.Equal(t, 200, code)
	assert.Equal(t, int32(1), reads.Load())
}

// TestServe answers over a real socket and stops with its context.
func TestServe(t *testing.T) {
	s := offlineServer(t, "crm_mon-healthy.xml", "node1")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	resp, err := http.Get("http://" + l.Addr().String() + "/healthy")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.True(t, strings.HasPrefix(string(body), "the cluster is in the normal state"))
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not stop")
	}
}

func TestNewServerNeedsTimeout(t *testing.T) {
	_, err := NewServer(Config{}, time.Second, nil)
	assert.Error(t, err)
}
