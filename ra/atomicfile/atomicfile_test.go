// SPDX-License-Identifier: Apache-2.0

package atomicfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "rep_mode.conf")
	changed, err := WriteFileAtomic(p, []byte("a\n"), 0o600, nil)
	require.NoError(t, err)
	assert.True(t, changed)
	got, _ := os.ReadFile(p)
	assert.Equal(t, "a\n", string(got))
	st, _ := os.Stat(p)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	changed, err = WriteFileAtomic(p, []byte("a\n"), 0o600, nil)
	require.NoError(t, err)
	assert.False(t, changed, "same content: nothing written")

	changed, err = WriteFileAtomic(p, []byte("a\n"), 0o644, nil)
	require.NoError(t, err)
	assert.True(t, changed, "a mode change is a change")

	changed, err = WriteFileAtomic(p, []byte("b"), 0o644, nil)
	require.NoError(t, err)
	assert.True(t, changed)
	got, _ = os.ReadFile(p)
	assert.Equal(t, "b", string(got))
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "no temporary file left behind")
}

func TestWriteFileAtomicRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "victim")
	require.NoError(t, os.WriteFile(target, []byte("precious"), 0o600))
	link := filepath.Join(dir, "rep_mode.conf")
	require.NoError(t, os.Symlink(target, link))
	_, err := WriteFileAtomic(link, []byte("x"), 0o600, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "symbolic link")
	got, _ := os.ReadFile(target)
	assert.Equal(t, "precious", string(got))
}

func TestRemove(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	removed, err := Remove(p)
	require.NoError(t, err)
	assert.False(t, removed)
	require.NoError(t, os.WriteFile(p, nil, 0o600))
	removed, err = Remove(p)
	require.NoError(t, err)
	assert.True(t, removed)
	_, err = Remove(dir)
	assert.Error(t, err)
}

func TestEnsurePrivateDir(t *testing.T) {
	base := t.TempDir()
	d := filepath.Join(base, "tmp")
	require.NoError(t, EnsurePrivateDir(d, nil))
	st, err := os.Lstat(d)
	require.NoError(t, err)
	assert.True(t, st.IsDir())
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	require.NoError(t, os.Chmod(d, 0o777))
	require.NoError(t, EnsurePrivateDir(d, nil))
	st, _ = os.Lstat(d)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm(), "a PG-REX 0777 tmpdir is tightened")
	link := filepath.Join(base, "link")
	require.NoError(t, os.Symlink(d, link))
	assert.Error(t, EnsurePrivateDir(link, nil))
}
