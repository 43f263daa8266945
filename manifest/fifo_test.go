//go:build unix

package manifest_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/manifest"
)

// TestNamedPipes checks that a named pipe found in a folder is listed as
// skipped and never opened (opening it would wait for a writer forever),
// while a named pipe given by name is read, as a shell's <(kustomize
// build) is.
func TestNamedPipes(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(provider), 0o600))
	fifo := filepath.Join(dir, "stream.yaml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	require.NoError(t, os.Symlink("stream.yaml", filepath.Join(dir, "link.yaml")))

	cfg, err := manifest.LoadFiles(dir)
	require.NoError(t, err)
	assert.Len(t, cfg.Providers, 1)
	assert.Equal(t, []manifest.Skipped{
		{File: filepath.Join(dir, "link.yaml"), Reason: "not a regular file (a named pipe)"},
		{File: fifo, Reason: "not a regular file (a named pipe)"},
	}, cfg.Skipped)

	done := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			_, err = f.WriteString(alertDoc)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		done <- err
	}()
	cfg, err = manifest.LoadFiles(filepath.Join(dir, "a.yaml"), fifo)
	require.NoError(t, <-done)
	require.NoError(t, err)
	assert.Len(t, cfg.Alerts, 1)
	assert.Empty(t, cfg.Skipped)
}
