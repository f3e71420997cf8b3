// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"encoding/xml"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files and docs/parameters.md")

type mdDoc struct {
	Name       string `xml:"name,attr"`
	Parameters []struct {
		Name    string `xml:"name,attr"`
		Content struct {
			Type    string `xml:"type,attr"`
			Default string `xml:"default,attr"`
		} `xml:"content"`
	} `xml:"parameters>parameter"`
	Actions []struct {
		Name    string `xml:"name,attr"`
		Timeout string `xml:"timeout,attr"`
		Role    string `xml:"role,attr"`
	} `xml:"actions>action"`
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run `make docs`")
	assert.Equal(t, string(want), got, "%s drifted: run `make docs` and review the diff", path)
}

func TestMetaDataGolden(t *testing.T) {
	golden(t, "testdata/meta-data.xml", MetaData(ocf.Env{}))
}

func TestParametersDoc(t *testing.T) {
	golden(t, "../docs/parameters.md", ParametersMarkdown())
}

// TestMetaDataValidatesAgainstDTD needs xmllint (libxml2-utils) and the DTD
// from resource-agents; make setup installs both.
func TestMetaDataValidatesAgainstDTD(t *testing.T) {
	dtd := "/usr/share/resource-agents/ra-api-1.dtd"
	if _, err := os.Stat(dtd); err != nil {
		t.Fatalf("%s missing: run `make setup` (package resource-agents)", dtd)
	}
	xmllint, err := exec.LookPath("xmllint")
	require.NoError(t, err, "xmllint missing: run `make setup` (package libxml2-utils)")
	f := filepath.Join(t.TempDir(), "md.xml")
	require.NoError(t, os.WriteFile(f, []byte(MetaData(ocf.Env{})), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, xmllint, "--noout", "--dtdvalid", dtd, f).CombinedOutput()
	require.NoError(t, err, "meta-data does not validate: %s", out)
}

// TestMetaDataSupersetOfUpstream compares the parameter names, types and
// defaults with Debian's heartbeat/pgsql.
func TestMetaDataSupersetOfUpstream(t *testing.T) {
	agent := "/usr/lib/ocf/resource.d/heartbeat/pgsql"
	if _, err := os.Stat(agent); err != nil {
		t.Fatalf("%s missing: run `make setup` (package resource-agents)", agent)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, agent, "meta-data")
	cmd.Env = append(os.Environ(), "OCF_ROOT=/usr/lib/ocf", "LC_ALL=C")
	out, err := cmd.Output()
	require.NoError(t, err)
	var up, ours mdDoc
	require.NoError(t, xml.Unmarshal(out, &up))
	require.NoError(t, xml.Unmarshal([]byte(MetaData(ocf.Env{})), &ours))

	have := map[string]int{}
	for i, p := range ours.Parameters {
		have[p.Name] = i
	}
	var missing []string
	for _, p := range up.Parameters {
		i, ok := have[p.Name]
		if !ok {
			missing = append(missing, p.Name)
			continue
		}
		assert.Equal(t, p.Content.Type, ours.Parameters[i].Content.Type, "type of %s", p.Name)
		assert.Equal(t, p.Content.Default, ours.Parameters[i].Content.Default, "default of %s", p.Name)
	}
	sort.Strings(missing)
	assert.Empty(t, missing, "upstream parameters pgrex lacks")
	for _, name := range []string{"stop_on_demote", "pgctldata", "external_standby_node_list"} {
		assert.Contains(t, have, name)
	}
	type act struct{ name, timeout, role string }
	var upActs, ourActs []act
	for _, a := range up.Actions {
		upActs = append(upActs, act{a.Name, a.Timeout, a.Role})
	}
	for _, a := range ours.Actions {
		ourActs = append(ourActs, act{a.Name, a.Timeout, a.Role})
	}
	assert.Equal(t, upActs, ourActs, "advertised actions and default timeouts")
}
