// SPDX-License-Identifier: Apache-2.0

// Package templates holds the files pgrex ships inside its binaries, so
// that an installed pgrex can print them without any data directory.
// Packages that need a file import this one: go:embed cannot reach files
// outside a package's own directory.
package templates

import "embed"

// PGREXEnvCSV is the name, inside FS, of the environment-definition sheet
// (pm_crmgen CSV format) describing the standard PG-REX 2-node cluster with
// pgrex's ocf:pgrex:pgsql agent; `pgrex crmgen --template` prints it.
const PGREXEnvCSV = "pgrex-env.csv"

// ExporterUnit is the name, inside FS, of the systemd unit that runs
// `pgrex exporter` on a node (docs/operations.md, `pgrex exporter`); `make
// install` installs it.
const ExporterUnit = "pgrex-exporter.service"

// FS contains the shipped templates.
//
//go:embed pgrex-env.csv pgrex-exporter.service
var FS embed.FS
