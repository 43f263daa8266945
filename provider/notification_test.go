package provider_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/provider"
)

func TestChannel(t *testing.T) {
	withChannel := func(c string) *alert.Alert { return &alert.Alert{Spec: alert.Spec{Channel: c}} }
	prov := func(c string) *provider.Provider { return &provider.Provider{Spec: provider.Spec{Channel: c}} }
	tests := []struct {
		name string
		a    *alert.Alert
		p    *provider.Provider
		want string
	}{
		{name: "the alert's channel wins", a: withChannel("#devops-alerts"), p: prov("#general"), want: "#devops-alerts"},
		{name: "then the provider's", a: withChannel(""), p: prov("#general"), want: "#general"},
		{name: "then the webhook's default", a: withChannel(""), p: prov(""), want: ""},
		{name: "no alert", p: prov("#general"), want: "#general"},
		{name: "no provider", a: withChannel("#x"), want: "#x"},
		{name: "nothing", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, provider.Channel(tt.a, tt.p))
		})
	}
}

func TestNewNotification(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	e := &event.Event{
		InvolvedObject: corev1.ObjectReference{APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization", Name: "apps", Namespace: "flux-system"},
		Severity:       "Warning",
		Timestamp:      metav1.NewTime(at),
		Message:        "health check failed",
		Reason:         "HealthCheckFailed",
		Action:         "Reconcile",
		Metadata: map[string]string{
			"kustomize.toolkit.fluxcd.io/revision": "main@sha1:2f3c",
			"kustomize.toolkit.fluxcd.io/env":      "from-controller",
			"event.toolkit.fluxcd.io/team":         "from-annotation",
			"event.toolkit.fluxcd.io/cluster":      "from-annotation",
			"kustomize.toolkit.fluxcd.io/token":    "hidden",
		},
		ReportingController: "kustomize-controller",
	}
	a := &alert.Alert{
		ObjectMeta: metav1.ObjectMeta{Name: "on-call", Namespace: "flux-system"},
		Spec: alert.Spec{
			Channel:       "#devops-alerts",
			Summary:       "Production",
			EventMetadata: map[string]string{"cluster": "from-alert", "env": "from-alert"},
		},
	}
	p := slackProvider(func(s *provider.Spec) { s.Channel = "#general" })
	before := e.DeepCopy()

	n := provider.NewNotification(e, a, p, nil, provider.Context{Cluster: "prod-eu", RepositoryURL: "https://github.com/org/repo"})
	require.NotNil(t, n)
	assert.Same(t, a, n.Alert)
	assert.Same(t, p, n.Provider)
	assert.Nil(t, n.Template)
	d := n.Data
	assert.Same(t, e, d.Event)
	assert.Equal(t, "#devops-alerts", d.Channel)
	assert.Equal(t, "warn", d.Severity, "the severity is canonical")
	assert.Equal(t, "health check failed", d.Message)
	assert.Equal(t, "HealthCheckFailed", d.Reason)
	assert.Equal(t, "Reconcile", d.Action)
	assert.Equal(t, "kustomize-controller", d.Controller)
	assert.True(t, at.Equal(d.Timestamp))
	assert.Equal(t, "main@sha1:2f3c", d.Revision)
	assert.Equal(t, "prod-eu", d.Cluster)
	assert.Equal(t, "Kustomization", d.Object.Kind)
	assert.Equal(t, "apps", d.Object.Name)
	assert.Equal(t, "flux-system", d.Object.Namespace)
	assert.Equal(t, "on-call", d.Alert.Name)
	assert.Equal(t, "slack", d.Provider.Type)
	// RFC-0008: annotations < eventMetadata < summary < controller keys.
	assert.Equal(t, map[string]string{
		"revision": "main@sha1:2f3c",
		"env":      "from-controller",
		"team":     "from-annotation",
		"cluster":  "from-alert",
		"summary":  "Production",
	}, d.Metadata)
	assert.Equal(t, before, e, "the event is not modified")

	// Without an alert: the provider's channel, the event's own metadata.
	n = provider.NewNotification(e, nil, p, nil, provider.Context{})
	assert.Equal(t, "#general", n.Data.Channel)
	assert.Equal(t, "from-annotation", n.Data.Metadata["cluster"])
	assert.NotContains(t, n.Data.Metadata, "summary")

	// An unknown severity is passed through as written.
	e2 := e.DeepCopy()
	e2.Severity = "loud"
	assert.Equal(t, "loud", provider.NewNotification(e2, nil, nil, nil, provider.Context{}).Data.Severity)
}
