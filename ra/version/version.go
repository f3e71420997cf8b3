// SPDX-License-Identifier: Apache-2.0

// Package version holds the pgrex release, the one string both binaries
// report: the agent in its meta-data, the CLI in `pgrex version`. It is a
// leaf package so that the CLI need not import the agent for it.
package version

// Version is the pgrex release. The Makefile sets it at build time with
// -ldflags "-X github.com/pgrex/pgrex/ra/version.Version=…".
var Version = "0.1.0-dev"
