package notifycontroller_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/examples/operator/notifycontroller"
)

func TestEventServerAndCloser(t *testing.T) {
	d, err := fluxnotify.New(nil)
	require.NoError(t, err)

	srv := notifycontroller.EventServer("", d)
	assert.False(t, srv.NeedLeaderElection(), "every replica serves events")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv.Listener = ln

	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Start(ctx) }()
	closed := make(chan error, 1)
	go func() { closed <- notifycontroller.Closer(d, 5*time.Second).Start(ctx) }()

	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(base + fluxnotify.HealthPath)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ok\n", string(body))

	// A valid event that no alert matches is accepted.
	resp, err = client.Post(base+"/", "application/json", strings.NewReader(
		`{"involvedObject":{"kind":"Kustomization","name":"apps","namespace":"flux-system"},"severity":"info","message":"m","reason":"r","timestamp":"2026-01-01T00:00:00Z","reportingController":"kustomize-controller"}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusAccepted, resp.StatusCode)

	cancel()
	require.NoError(t, <-served)
	require.NoError(t, <-closed)
	_, err = d.Dispatch(context.Background(), event.New(corev1.ObjectReference{Kind: "Kustomization", Name: "apps"}, event.SeverityInfo, "r", "m"))
	assert.True(t, errors.Is(err, fluxnotify.ErrClosed), "the manager's stop closed the Dispatcher: %v", err)
}
