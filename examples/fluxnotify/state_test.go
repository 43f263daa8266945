package main

import (
	"net/http"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/slack/slacktest"
	"github.com/fluxnotify/fluxnotify/state/redisstate/redistest"
)

// TestServe_state: two replicas of serve on one store deduplicate
// together: the copy of an event that one accepted is a duplicate (429)
// for the other. With Redis, on a real redis-server; with a file, across a
// restart.
func TestServe_state(t *testing.T) {
	sink := slacktest.NewServer()
	defer sink.Close()
	dir := t.TempDir()
	writeManifests(t, dir, sink.WebhookURL(), "#gitops-updates")
	failed := readFile(t, failedEvent)

	stop := func(s *serving) {
		s.signals <- syscall.SIGTERM
		require.Equal(t, exitOK, <-s.done, s.stderr.String())
	}

	t.Run("redis, two replicas", func(t *testing.T) {
		spec := "redis://" + redistest.Addr(t) + "/3"
		a := startServe(t, &cli{}, "-f", dir, "--state", spec)
		b := startServe(t, &cli{}, "-f", dir, "--state", spec)
		defer stop(b)
		defer stop(a)
		assert.Equal(t, http.StatusAccepted, a.post(t, failed))
		assert.Equal(t, http.StatusTooManyRequests, b.post(t, failed), "accepted by the other replica")
		assert.Contains(t, a.stderr.String(), "state=redis://")
	})

	t.Run("file, across a restart", func(t *testing.T) {
		spec := "file:" + filepath.Join(t.TempDir(), "state.db")
		a := startServe(t, &cli{}, "-f", dir, "--state", spec)
		assert.Equal(t, http.StatusAccepted, a.post(t, readFile(t, successEvent)))
		stop(a)
		b := startServe(t, &cli{}, "-f", dir, "--state", spec)
		defer stop(b)
		assert.Equal(t, http.StatusTooManyRequests, b.post(t, readFile(t, successEvent)), "remembered across the restart")
	})
}

func TestServe_stateErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"etcd://x", `unknown store scheme "etcd"`},
		{"file:", "no path after file:"},
		{"redis://:s3cret@127.0.0.1:1/0", "xxxxx"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			code, _, stderr := runCLI(t, "serve", "-f", manifests, "--addr", "127.0.0.1:0", "--state", tt.spec)
			assert.NotEqual(t, exitOK, code)
			assert.Contains(t, stderr, "--state")
			assert.Contains(t, stderr, tt.want)
			assert.NotContains(t, stderr, "s3cret")
		})
	}
}
