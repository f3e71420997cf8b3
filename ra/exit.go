// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"errors"
	"fmt"

	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/ocf"
)

// exitError is a failure with its own OCF code, its reason already worded
// for the operator (it is shown as it is, not folded onto one line).
type exitError struct {
	code   ocf.Status
	reason string
}

func (e *exitError) Error() string { return e.reason }

// failf is a failure that exits with code, for a reason the operator reads.
func failf(code ocf.Status, format string, args ...any) error {
	return &exitError{code: code, reason: fmt.Sprintf(format, args...)}
}

// exit is the one place an action's outcome becomes the process's answer:
// no error is the status itself; an error is its ocf-exit-reason and its
// code — the code an exitError or a config.Error carries, else
// OCF_ERR_GENERIC. Any other error is folded onto one line.
func (a *Agent) exit(st ocf.Status, err error) ocf.Status {
	if err == nil {
		return st
	}
	code, reason := ocf.ErrGeneric, cmdrun.OneLine(err.Error())
	var ee *exitError
	var ce *config.Error
	switch {
	case errors.As(err, &ee):
		code = ee.code
		if error(ee) == err {
			reason = ee.reason
		}
	case errors.As(err, &ce):
		code = ce.RC
		if error(ce) == err {
			reason = ce.Reason
		}
	}
	a.Log.ExitReason("%s", reason)
	return code
}
