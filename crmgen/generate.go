// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Exit statuses of a generation, pm_crmgen's exit codes.
const (
	StatusOK      = 0 // output produced, no warning
	StatusError   = 1 // an error: nothing is written
	StatusWarning = 2 // output produced with warnings, or nothing valid found
)

// Options are the switches of one generation.
type Options struct {
	// NoAutoColocation and NoAutoOrder suppress the colocation and order
	// constraints that ping/pingd/diskd columns of the simple LOCATION
	// table imply (-C and -O).
	NoAutoColocation bool
	NoAutoOrder      bool
	// AlertBrackets wraps each alert recipient in "{ … }" (-b).
	AlertBrackets bool
	// Check validates the parameters of ocf:pgrex:pgsql primitives
	// (--check): unknown names, rep_mode, and node_list/master_ip where
	// rep_mode needs them. Findings are errors at the sheet row.
	Check bool
	// Format is the output: FormatCRM (crmsh), FormatCIB (CIB XML) or
	// FormatPcs (a pcs script); "" means the sheet's own, crm for a
	// pm_crmgen sheet and the CIB for a pm_pcsgen one.
	Format string
	// Target is the crmsh a crm output is for: TargetCrmsh4 (""; pm_crmgen's
	// output byte for byte) or TargetCrmsh5 (crmsh 5 / Pacemaker 3).
	Target string
	// PcsVersion is the pcs a pcs script is for (Pcs011, Pcs012); ""
	// means Pcs011, PG-REX 17's.
	PcsVersion string
	// KnownParam says whether the pgsql agent accepts a parameter name.
	// nil means the list built into crmgen (BuiltinPgsqlParam); the CLI can
	// wire the agent's own parameter table here.
	KnownParam func(name string) bool
}

// Output formats (Options.Format).
const (
	FormatCRM = "crm"
	FormatCIB = "cib"
	FormatPcs = "pcs"
)

// Formats lists the output formats, for usage texts.
var Formats = []string{FormatCRM, FormatCIB, FormatPcs}

// Result is the outcome of Generate.
type Result struct {
	// Output is the crm text; nil when nothing must be written (an error,
	// or no valid data at all).
	Output []byte
	// Script says Output is a shell script (FormatPcs), which is written
	// executable.
	Script bool
	// Diags are all messages, whatever the verbosity; WriteDiags filters.
	Diags  []Diag
	Status int
}

// Generate runs the whole pipeline on the content of one CSV file: decode,
// split into records, classify rows and build the model, check it, render.
// name is the file name shown in messages (its base name is used).
func Generate(name string, data []byte, opts Options) *Result {
	d := &diags{file: filepath.Base(name)}
	res := &Result{}
	finish := func() *Result {
		res.Diags = d.list
		switch {
		case d.errors > 0:
			res.Status, res.Output = StatusError, nil
		case d.warns > 0:
			res.Status = StatusWarning
		}
		return res
	}

	text, enc, err := Decode(data)
	if err != nil {
		d.add(LevelError, 0, "", "CSVファイルの文字エンコーディングが未対応のエンコーディングです。")
		return finish()
	}
	d.debugFile("CSVファイルの文字エンコーディング [%s]", enc)

	recs, readErr := ReadRecords(text)
	if isPcsSheet(recs) {
		generatePcs(recs, readErr, d, opts, res)
		return finish()
	}
	if opts.Format != "" && opts.Format != FormatCRM {
		d.add(LevelError, 0, d.file, fmt.Sprintf("--format %s: a pm_crmgen sheet gives crm output only (--format %s)", opts.Format, FormatCRM))
		return finish()
	}
	if opts.Target != "" && !slices.Contains(Targets, opts.Target) {
		d.add(LevelError, 0, d.file, fmt.Sprintf("--target %s: expected one of %s", opts.Target, strings.Join(Targets, ", ")))
		return finish()
	}
	b := newBuilder(d, opts)
	complete := parse(recs, d, b)
	var syn *SyntaxError
	if complete && errors.As(readErr, &syn) {
		d.rec = syn.Record
		d.fmtErr("%s", syn.Msg)
	}
	if d.errors == 0 {
		b.checkResources()
	}
	if d.errors == 0 && opts.Check {
		checkPgsql(b.cfg, d, opts.KnownParam)
	}
	// The Pacemaker 3 lint is asked for (--check) or implied by the
	// target; by default the output and exit status stay pm_crmgen's.
	if d.errors == 0 && (opts.Check || opts.Target == TargetCrmsh5) {
		lintConstraints(b.cfg, d, opts.Target)
	}
	if d.errors > 0 {
		return finish()
	}
	if opts.Target == TargetCrmsh5 {
		forCrmsh5(b.cfg)
	}
	out := render(b.cfg, opts.AlertBrackets)
	if out == "" {
		d.warnGlobal("CSVファイルが不正です。(有効なデータが設定されていません。)")
		return finish()
	}
	res.Output = []byte(out)
	return finish()
}

// generatePcs is Generate for a pm_pcsgen sheet: read it, then write the
// CIB. What a CIB file cannot hold is said as a warning (exit status 2),
// never dropped silently.
func generatePcs(recs []Record, readErr error, d *diags, opts Options, res *Result) {
	format := opts.Format
	if format == "" {
		format = FormatCIB
	}
	if !slices.Contains(Formats, format) {
		d.add(LevelError, 0, d.file, fmt.Sprintf("--format %s: expected one of %s", format, strings.Join(Formats, ", ")))
		return
	}
	version := opts.PcsVersion
	if version == "" {
		version = Pcs011
	}
	if !slices.Contains(PcsVersions, version) {
		d.add(LevelError, 0, d.file, fmt.Sprintf("--pcs-version %s: expected one of %s", version, strings.Join(PcsVersions, ", ")))
		return
	}
	s := readPcsSheet(recs, d)
	var syn *SyntaxError
	if errors.As(readErr, &syn) {
		d.rec = syn.Record
		d.errAt("%s", syn.Msg)
	}
	if d.errors > 0 {
		return
	}
	if len(s.resources) == 0 && len(s.property) == 0 && len(s.rscDefaults) == 0 && len(s.opDefaults) == 0 && len(s.alerts) == 0 {
		d.warnGlobal("%s: no configuration found: expected at least a RESOURCES or PROPERTY table with rows", d.file)
		return
	}
	if format == FormatCRM {
		c := crmFromPcs(s, d)
		if d.errors == 0 {
			res.Output = []byte(render(c, opts.AlertBrackets))
		}
		return
	}
	if format == FormatPcs {
		// The script edits the running cluster's CIB, which knows the
		// nodes, so node attributes and extra pcs commands go in as they
		// are.
		res.Output, res.Script = renderPcs(s, version), true
		return
	}
	for _, n := range s.nodes {
		d.rec = n.rec
		d.warn("NODE %s: node attributes are not in the CIB: only the running cluster knows the node's id; "+
			"set them with `pcs node attribute` or `crm_attribute --node %s` once it runs", n.uname, n.uname)
	}
	for _, x := range s.extra {
		d.rec = x.rec
		d.warn("ADDITIONAL_CONFIG: not in the CIB: run it against the written file (pcs -f FILE ...): %s", x.value)
	}
	res.Output = renderCIB(s)
}

// RunConfig describes one `pgrex crmgen` invocation.
type RunConfig struct {
	Input string
	// Output is the file to write; "" means standard output.
	Output string
	// Verbosity is the number of -V flags.
	Verbosity int
	// CommandLine is echoed at info level, as pm_crmgen does.
	CommandLine []string
	Options
}

// Run reads the input file, generates, prints the diagnostics and writes
// the output. It returns the exit status (StatusOK, StatusError,
// StatusWarning). On error nothing is written and an existing output file
// is left untouched.
func Run(cfg RunConfig, stdout, stderr io.Writer) int {
	var pre []Diag
	if len(cfg.CommandLine) > 0 {
		pre = append(pre, Diag{Level: LevelInfo, Msg: "実行コマンドライン [" + strings.Join(cfg.CommandLine, " ") + "]"})
	}
	data, err := os.ReadFile(cfg.Input)
	if err != nil {
		pre = append(pre,
			Diag{Level: LevelError, Msg: "ファイルのオープンに失敗しました。[" + cfg.Input + "]"},
			Diag{Level: LevelError, Msg: err.Error()})
		_ = WriteDiags(stderr, pre, cfg.Verbosity, StatusError)
		return StatusError
	}
	res := Generate(cfg.Input, data, cfg.Options)
	diagsOut := append(pre, res.Diags...)
	status := res.Status
	if res.Output != nil {
		mode := os.FileMode(0o644)
		if res.Script {
			mode = 0o744 // pm_pcsgen's mode for its .sh
		}
		if err := WriteOutput(cfg.Output, res.Output, mode, stdout); err != nil {
			diagsOut = append(diagsOut, Diag{Level: LevelError, Msg: writeFailure(cfg.Output)}, Diag{Level: LevelError, Msg: err.Error()})
			status = StatusError
		}
	}
	if err := WriteDiags(stderr, diagsOut, cfg.Verbosity, status); err != nil {
		// Nowhere left to report it; the exit status still tells.
		return StatusError
	}
	return status
}

// writeFailure is pm_crmgen's message for an output that could not be
// written.
func writeFailure(path string) string {
	if path == "" {
		return "crmコマンドの出力に失敗しました。[標準出力]"
	}
	return "crmファイルの出力に失敗しました。[" + path + "]"
}

// WriteOutput writes data to path, or to stdout when path is "". A file is
// replaced atomically: the data goes to a temporary file in the same
// directory, which is synced, given mode and renamed over the target, so
// readers never see a partial file and a failure leaves the old file.
func WriteOutput(path string, data []byte, mode os.FileMode, stdout io.Writer) error {
	if path == "" {
		if _, err := stdout.Write(data); err != nil {
			return fmt.Errorf("write standard output: %w", err)
		}
		return nil
	}
	return writeFileAtomic(path, data, mode)
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("create temporary file next to %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	// CreateTemp makes the file 0600; crm files are not secret and are read
	// by other users (crm configure load as another admin), hence the
	// caller's mode explicitly rather than umask-dependent.
	if err = tmp.Chmod(mode); err != nil {
		return fmt.Errorf("set mode of %s: %w", tmp.Name(), err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename %s to %s: %w", tmp.Name(), path, err)
	}
	// Sync the directory so the rename itself survives a crash. This is
	// best effort: the new file is already complete and in place, so a
	// failure here must not turn a successful generation into an error.
	if dirf, derr := os.Open(dir); derr == nil {
		_ = dirf.Sync()
		_ = dirf.Close()
	}
	return nil
}
