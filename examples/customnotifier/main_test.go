package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/examples/customnotifier/webhook"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Route an event through a Provider of the bespoke type "file" that writes
// to standard output.
func Example() {
	code := run(context.Background(),
		[]string{"-event", "testdata/event.json", "testdata/manifests"},
		nil, os.Stdout, os.Stderr)
	fmt.Println("exit status", code)
	// Output:
	// 2026-01-02T03:04:05Z error Kustomization/my-app-kustomization: Health check failed after 5m0s: timeout waiting for Deployment/my-app/my-app-deployment revision=main@2f3c1e0
	// delivered: alert flux-system/audit-everything, provider flux-system/audit-log (file), 1 attempt(s)
	// exit status 0
}

const hmacManifests = `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: audit-webhook
  namespace: flux-system
spec:
  type: generic-hmac
  secretRef:
    name: audit-webhook
---
apiVersion: v1
kind: Secret
metadata:
  name: audit-webhook
  namespace: flux-system
stringData:
  address: %s/hooks/flux
  token: s3cr3t-hmac-key
  headers: |
    X-Team: sre
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: errors-to-webhook
  namespace: flux-system
spec:
  providerRef:
    name: audit-webhook
  eventSeverity: error
  eventSources:
    - kind: Kustomization
      name: "*"
`

// receiver is a webhook receiver that checks signatures, as a user's would.
type receiver struct {
	mu     sync.Mutex
	status int
	got    []*event.Event
	header []http.Header
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !webhook.Verify(body, []byte("s3cr3t-hmac-key"), r.Header.Get(webhook.SignatureHeader)) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	e, err := event.Unmarshal(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.got = append(rc.got, e)
	rc.header = append(rc.header, r.Header.Clone())
	if rc.status != 0 {
		w.WriteHeader(rc.status)
	}
}

func writeManifests(t *testing.T, url string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "webhook.yaml"), []byte(fmt.Sprintf(hmacManifests, url)), 0o600))
	return dir
}

func TestGenericHMAC(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()

	body, err := os.ReadFile("testdata/event.json")
	require.NoError(t, err)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{writeManifests(t, srv.URL)}, bytes.NewReader(body), &stdout, &stderr)
	require.Equal(t, 0, code, "stderr: %s", stderr.String())
	assert.Equal(t, "delivered: alert flux-system/errors-to-webhook, provider flux-system/audit-webhook (generic-hmac), 1 attempt(s)\n", stdout.String())

	require.Len(t, rc.got, 1)
	assert.Equal(t, "my-app-kustomization", rc.got[0].InvolvedObject.Name)
	assert.Equal(t, map[string]string{"revision": "main@sha1:2f3c1e0d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"}, rc.got[0].Metadata)
	assert.Equal(t, "kustomize-controller", rc.header[0].Get("Gotk-Component"))
	assert.Equal(t, "sre", rc.header[0].Get("X-Team"))
}

func TestFailedDelivery(t *testing.T) {
	rc := &receiver{status: http.StatusBadRequest}
	srv := httptest.NewServer(rc)
	defer srv.Close()

	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-event", "testdata/event.json", writeManifests(t, srv.URL)}, nil, &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout.String(), "failed: alert flux-system/errors-to-webhook, provider flux-system/audit-webhook (generic-hmac)")
	assert.Contains(t, stdout.String(), "status 400")
	assert.NotContains(t, stdout.String()+stderr.String(), "/hooks/flux", "the webhook URL is a secret")
	assert.NotContains(t, stdout.String()+stderr.String(), "s3cr3t-hmac-key")
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no manifests", nil, 2, "usage: customnotifier"},
		{"bad mode", []string{"-mode", "strict", "testdata/manifests"}, 2, `unknown mode "strict"`},
		{"bad flag", []string{"-nope"}, 2, "flag provided but not defined"},
		{"missing event file", []string{"-event", "testdata/none.json", "testdata/manifests"}, 1, "none.json"},
		{"missing manifests", []string{"testdata/none"}, 1, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, tt.code, run(context.Background(), tt.args, strings.NewReader(""), &stdout, &stderr))
			assert.Contains(t, stderr.String(), tt.want)
		})
	}

	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"testdata/manifests"}, strings.NewReader(`{"involvedObject":{"kind":"Kustomization"}}`), &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "involvedObject.name: required")
}

func TestNoMatch(t *testing.T) {
	ev := `{"involvedObject":{"kind":"HelmRelease","name":"x","namespace":"flux-system"},"severity":"info","message":"m","reason":"r","timestamp":"2026-01-01T00:00:00Z","reportingController":"helm-controller"}`
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"testdata/manifests"}, strings.NewReader(ev), &stdout, &stderr))
	assert.Equal(t, "no alert matches the event\n", stdout.String())
}
