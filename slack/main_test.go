package slack

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/template"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The example failing Kustomization.
const (
	exampleMessage  = "Health check failed after 5m0s: timeout waiting for: [Deployment/my-app/my-app-deployment status: 'InProgress']"
	exampleRevision = "main@sha1:2f3c5e7a9b1d4f6e8a0c2b4d6f8e0a1c3b5d7f9e"
)

var exampleTime = time.Date(2026, 11, 26, 0, 35, 0, 0, time.UTC)

func exampleEvent() *event.Event {
	return &event.Event{
		InvolvedObject: corev1.ObjectReference{
			APIVersion: "kustomize.toolkit.fluxcd.io/v1",
			Kind:       "Kustomization",
			Namespace:  "flux-system",
			Name:       "my-app-kustomization",
		},
		Severity:            "error",
		Timestamp:           metav1.NewTime(exampleTime),
		Message:             exampleMessage,
		Reason:              "HealthCheckFailed",
		Metadata:            map[string]string{"kustomize.toolkit.fluxcd.io/revision": exampleRevision},
		ReportingController: "kustomize-controller",
		ReportingInstance:   "kustomize-controller-7f5c6d8b9-x2x4z",
	}
}

func exampleAlert() *alert.Alert {
	return &alert.Alert{
		ObjectMeta: metav1.ObjectMeta{Name: "flux-alerts", Namespace: "flux-system"},
		Spec: alert.Spec{
			ProviderRef:   corev1.LocalObjectReference{Name: "slack"},
			EventSeverity: alert.EventSeverity{Values: []string{"error"}},
			EventSources: []alert.CrossNamespaceObjectReference{
				{Kind: "Kustomization", Name: "*"},
				{Kind: "HelmRelease", Name: "*"},
			},
		},
	}
}

func exampleProvider() *provider.Provider {
	return &provider.Provider{
		ObjectMeta: metav1.ObjectMeta{Name: "slack", Namespace: "flux-system"},
		Spec: provider.Spec{
			Type:      Type,
			SecretRef: &corev1.LocalObjectReference{Name: "slack-url"},
		},
	}
}

// exampleLinks are fixed so that goldens do not depend on how links are built.
var exampleLinks = template.Links{
	Repository: "https://github.com/example/fleet",
	Commit:     "https://github.com/example/fleet/commit/2f3c5e7a9b1d4f6e8a0c2b4d6f8e0a1c3b5d7f9e",
	Dashboard:  "https://dashboard.example.com/kustomization/flux-system/my-app-kustomization",
}

// exampleNotification is the example event through the example alert and
// provider, with tmpl (nil for the default message).
func exampleNotification(tmpl *template.Template) *provider.Notification {
	n := provider.NewNotification(exampleEvent(), exampleAlert(), exampleProvider(), tmpl, provider.Context{Cluster: "production"})
	n.Data.Links = exampleLinks
	return n
}

// golden compares got, indented, with testdata/name.golden.json, or writes
// it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	require.True(t, json.Valid(got), "payload is not valid JSON: %s", got)
	var buf bytes.Buffer
	require.NoError(t, json.Indent(&buf, got, "", "  "))
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	require.Equal(t, string(want), buf.String(), "payload differs from %s (go test -update rewrites it)", path)
}
