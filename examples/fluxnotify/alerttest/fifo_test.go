//go:build unix

package alerttest_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/examples/fluxnotify/alerttest"
)

// TestNotRegularFiles checks that a suite or event that is a FIFO or a
// folder is refused at once: opening a FIFO would block the run.
func TestNotRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "event.json")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	suite := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(suite, []byte("manifests: [m]\ntests:\n  - {name: a, event: event.json, routes: []}\n"), 0o600))

	_, err := alerttest.Load(suite)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "s.yaml:3:22: tests[0].event: cannot read "+fifo+": not a regular file")
	assert.ErrorIs(t, err, alerttest.ErrInvalid)

	for _, path := range []string{fifo, dir} {
		_, err = alerttest.Load(path)
		assert.EqualError(t, err, path+": cannot read the suite: not a regular file")
	}
}
