// SPDX-License-Identifier: Apache-2.0

package ra

// Version is the pgrex release, also reported in the agent's meta-data.
// Overridden at build time with -ldflags "-X github.com/pgrex/pgrex/ra.Version=…".
var Version = "0.1.0-dev"
