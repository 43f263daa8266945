package provider_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/provider"
)

// TestNewNotificationFlux: in flux mode the metadata is Flux's
// (cleanupMetadata, excludeInternalMetadata, combineEventMetadata; see
// event.MergeMetadataFlux) and the severity is shown as written.
func TestNewNotificationFlux(t *testing.T) {
	e := &event.Event{
		InvolvedObject: corev1.ObjectReference{APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization", Name: "apps", Namespace: "flux-system"},
		Severity:       "Warning",
		Message:        "health check failed",
		Metadata: map[string]string{
			"kustomize.toolkit.fluxcd.io/revision": "main@sha1:2f3c",
			"kustomize.toolkit.fluxcd.io/token":    "hidden",
			"kustomize.toolkit.fluxcd.io/digest":   "hidden",
			"event.toolkit.fluxcd.io/token":        "shown",
			"env":                                  "dropped",
		},
	}
	a := &alert.Alert{
		ObjectMeta: metav1.ObjectMeta{Name: "on-call", Namespace: "flux-system"},
		Spec:       alert.Spec{EventMetadata: map[string]string{"checksum": "shown"}},
	}
	p := slackProvider(nil)
	n := provider.NewNotification(e, a, p, nil, provider.Context{Flux: true})
	assert.Equal(t, map[string]string{"revision": "main@sha1:2f3c", "token": "shown", "checksum": "shown"}, n.Data.Metadata)
	assert.Equal(t, "Warning", n.Data.Severity)

	n = provider.NewNotification(e, a, p, nil, provider.Context{})
	assert.Equal(t, map[string]string{"revision": "main@sha1:2f3c", "env": "dropped"}, n.Data.Metadata, "extended mode")
	assert.Equal(t, "warn", n.Data.Severity)
}
