// SPDX-License-Identifier: Apache-2.0

package cmdrun

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunCapturesOutputAndEnv(t *testing.T) {
	t.Setenv("LANG", "ja_JP.UTF-8")
	t.Setenv("PGUSER", "someone")
	var seen []string
	r := &Runner{Observe: func(c Cmd, _ Result, _ error) { seen = append(seen, c.Path) }}
	res, err := r.Run(context.Background(), Cmd{Path: "env", Env: []string{"EXTRA=1 2"}, Unset: []string{"PGUSER"}})
	require.NoError(t, err)
	out := string(res.Stdout)
	assert.Contains(t, out, "LC_ALL=C\n")
	assert.Contains(t, out, "EXTRA=1 2\n")
	assert.NotContains(t, out, "LANG=ja_JP")
	assert.NotContains(t, out, "PGUSER=")
	assert.Equal(t, 0, res.ExitCode)
	assert.Equal(t, []string{"env"}, seen)
}

func TestRunArgumentsAreNotShellParsed(t *testing.T) {
	res, err := (&Runner{}).Run(context.Background(), Cmd{Path: "echo", Args: []string{"$(id)", "a;b", "'q'"}})
	require.NoError(t, err)
	assert.Equal(t, "$(id) a;b 'q'\n", string(res.Stdout))
}

func TestRunFailureCarriesOutput(t *testing.T) {
	res, err := (&Runner{}).Run(context.Background(), Cmd{Path: "ls", Args: []string{"/nonexistent/dir"}})
	require.Error(t, err)
	var e *Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, 2, e.ExitCode)
	assert.Equal(t, 2, res.ExitCode)
	assert.Contains(t, err.Error(), "ls /nonexistent/dir exited with status 2")
	assert.Contains(t, err.Error(), "No such file or directory")
}

func TestRunMissingProgram(t *testing.T) {
	_, err := (&Runner{}).Run(context.Background(), Cmd{Path: "/nonexistent/prog"})
	require.Error(t, err)
	var e *Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, -1, e.ExitCode)
}

// TestRunTimeoutKillsProcessGroup: a command that forks a grandchild must
// take it down on timeout.
func TestRunTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	start := time.Now()
	// sh here is the program under test's stand-in for a forking tool, run
	// from an argument slice; it records its background child's PID.
	_, err := (&Runner{}).Run(context.Background(), Cmd{
		Path:    "sh",
		Args:    []string{"-c", "sleep 30 & echo $! > " + pidFile + "; wait"},
		Timeout: 300 * time.Millisecond,
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "deadline exceeded")
	assert.Less(t, time.Since(start), 5*time.Second)
	data, rerr := os.ReadFile(pidFile)
	require.NoError(t, rerr)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	require.Positive(t, pid)
	gone := false
	for i := 0; i < 50; i++ {
		if syscall.Kill(pid, 0) != nil || isZombie(pid) {
			gone = true
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	assert.True(t, gone, "grandchild %d survived the timeout", pid)
}

func TestRunDetachDoesNotWaitForGrandchildren(t *testing.T) {
	start := time.Now()
	res, err := (&Runner{}).Run(context.Background(), Cmd{
		Path:   "sh",
		Args:   []string{"-c", "echo started; (sleep 3 &) ; exit 0"},
		Detach: true,
	})
	require.NoError(t, err)
	assert.Equal(t, "started\n", string(res.Stdout))
	assert.Less(t, time.Since(start), 2*time.Second)
}

// isZombie: a killed grandchild is reparented and may wait for its reaper.
func isZombie(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(data), ')')
	return i > 0 && i+2 < len(data) && data[i+2] == 'Z'
}
