// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pgrex/pgrex/test/pgtest"
)

// BenchmarkStartup: the agent's start-up alone (meta-data, which touches
// neither PostgreSQL nor Pacemaker) against the floor — an empty Go program
// built the same way — and the upstream agent's meta-data.
func BenchmarkStartup(b *testing.B) {
	pgrex := pgtest.Binary(b, "pgsql")
	dir := b.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", empty, src)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building the empty program: %v\n%s", err, out)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "OCF_ROOT=/usr/lib/ocf"}
	b.Run("empty", func(b *testing.B) { measure(b, "startup/empty", empty, env, "meta-data", 0) })
	b.Run("pgrex", func(b *testing.B) { measure(b, "startup/pgrex", pgrex, env, "meta-data", 0) })
	b.Run("upstream", func(b *testing.B) { measure(b, "startup/upstream", upstreamAgent, env, "meta-data", 0) })
	// `make bench` runs this after BenchmarkPlainMonitor: the report is
	// written again with these rows.
	writeReport(b)
}
