// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"fmt"
	"io"
	"log/syslog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pgrex/pgrex/ra/ocf"
)

// Logger writes like ocf_log: a line on stderr (Pacemaker's executor puts
// it in its log next to the operation) and the same message to syslog under
// a tag naming the resource instance. Debug lines appear only with HA_debug
// / HA_DEBUG set, as with the shell agents.
type Logger struct {
	mu     sync.Mutex
	out    io.Writer
	tag    string
	debug  bool
	sys    *syslog.Writer
	reason string
	// syslog is dialled on the first message: a quiet monitor (the common
	// case) never pays for the connection.
	sysPrio syslog.Priority
	sysWant bool
}

// NewLogger builds the agent's logger. Syslog is best effort: without
// /dev/log (containers, tests) messages still reach stderr.
func NewLogger(env ocf.Env, out io.Writer, useSyslog bool) *Logger {
	inst := env["OCF_RESOURCE_INSTANCE"]
	if inst == "" {
		inst = "pgsql"
	}
	l := &Logger{out: out, tag: fmt.Sprintf("pgsql(%s)", inst)}
	for _, k := range []string{"HA_debug", "HA_DEBUG"} {
		if v := env[k]; v != "" && v != "0" {
			l.debug = true
		}
	}
	l.sysWant = useSyslog
	l.sysPrio = facility(env["HA_LOGFACILITY"]) | syslog.LOG_INFO
	return l
}

func facility(name string) syslog.Priority {
	switch strings.ToLower(name) {
	case "local0":
		return syslog.LOG_LOCAL0
	case "local1":
		return syslog.LOG_LOCAL1
	case "local2":
		return syslog.LOG_LOCAL2
	case "local3":
		return syslog.LOG_LOCAL3
	case "local4":
		return syslog.LOG_LOCAL4
	case "local5":
		return syslog.LOG_LOCAL5
	case "local6":
		return syslog.LOG_LOCAL6
	case "local7":
		return syslog.LOG_LOCAL7
	case "user":
		return syslog.LOG_USER
	}
	return syslog.LOG_DAEMON
}

// Close releases the syslog connection.
func (l *Logger) Close() {
	if l.sys != nil {
		_ = l.sys.Close()
	}
}

func (l *Logger) write(level, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.out, "%s[%d]: %s %s: %s\n", l.tag, os.Getpid(), time.Now().Format("2006/01/02_15:04:05"), level, msg)
	if l.sysWant && l.sys == nil {
		l.sysWant = false
		if w, err := syslog.New(l.sysPrio, l.tag); err == nil {
			l.sys = w
		}
	}
	if l.sys == nil {
		return
	}
	line := level + ": " + msg
	switch level {
	case "ERROR":
		_ = l.sys.Err(line)
	case "WARNING":
		_ = l.sys.Warning(line)
	case "DEBUG":
		_ = l.sys.Debug(line)
	default:
		_ = l.sys.Info(line)
	}
}

// Debugf logs at debug level.
func (l *Logger) Debugf(format string, args ...any) {
	if l.debug {
		l.write("DEBUG", fmt.Sprintf(format, args...))
	}
}

// Infof logs at info level.
func (l *Logger) Infof(format string, args ...any) { l.write("INFO", fmt.Sprintf(format, args...)) }

// Warnf logs at warning level.
func (l *Logger) Warnf(format string, args ...any) { l.write("WARNING", fmt.Sprintf(format, args...)) }

// Errorf logs at error level.
func (l *Logger) Errorf(format string, args ...any) { l.write("ERROR", fmt.Sprintf(format, args...)) }

// ExitReason records the one-line reason Pacemaker shows next to a failed
// operation (ocf_exit_reason): "ocf-exit-reason:<text>" on stderr, also
// logged as an error. Only the first reason of an invocation is printed.
func (l *Logger) ExitReason(format string, args ...any) {
	msg := strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", " ")
	l.mu.Lock()
	first := l.reason == ""
	if first {
		l.reason = msg
		fmt.Fprintf(l.out, "ocf-exit-reason:%s\n", msg)
	}
	l.mu.Unlock()
	l.Errorf("%s", msg)
}

// Reason returns the exit reason given so far.
func (l *Logger) Reason() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}
