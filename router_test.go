package fluxnotify

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/match"
	"github.com/fluxnotify/fluxnotify/provider"
)

// TestRouter checks that a Router alone routes, renders and explains, as a
// unit test of alerts or of a bespoke notifier would use it: no
// Dispatcher, no Secret, no goroutine (goleak in TestMain).
func TestRouter(t *testing.T) {
	cfg := testConfig()
	cfg.Secrets = nil
	cfg.Alerts = append(cfg.Alerts, newAlert("typo", "team", alert.Threshold("eror"), source("Kustomization", "*")))
	r, err := NewRouter(cfg, WithRegistry(renderRegistry(t)), WithCluster("prod-eu"))
	require.NotNil(t, r)
	require.Error(t, err, "the joined configuration error")
	for _, want := range []string{
		`alert flux-system/orphan: spec.providerRef.name: provider not found: no Provider "nowhere"`,
		`alert flux-system/typo: spec.eventSeverity`,
	} {
		assert.ErrorContains(t, err, want)
	}

	got, err := r.Route(t.Context(), newEvent("Kustomization", "app-a", "error", "boom"))
	require.NoError(t, err)
	require.Len(t, got.Routes, 4)
	first := got.Routes[0]
	assert.Equal(t, "flux-system/errors", first.Alert)
	assert.NoError(t, first.Err)
	require.NotNil(t, first.Notification, "the notification the notifier would get")
	assert.Equal(t, "prod-eu", first.Notification.Data.Cluster)
	assert.Equal(t, "#devops-alerts", first.Notification.Data.Channel)
	assert.JSONEq(t, `"rendered boom for #devops-alerts"`, string(first.Payload))
	assert.ErrorIs(t, got.Routes[2].Err, ErrSuspended)
	assert.NotNil(t, got.Routes[2].Notification, "a suspended provider still shows what it would get")
	assert.Nil(t, got.Routes[3].Notification, "an alert without provider has no notification")
	last := got.Unmatched[len(got.Unmatched)-1]
	assert.Equal(t, "flux-system/typo", last.Alert)
	assert.Contains(t, last.Reason, "invalid: spec.eventSeverity")
}

func TestNewRouter_options(t *testing.T) {
	r, err := NewRouter(nil, WithMode(match.Mode(9)))
	assert.Nil(t, r)
	assert.ErrorContains(t, err, "WithMode(Mode(9)): want match.Extended or match.Flux")

	r, err = NewRouter(nil)
	require.NoError(t, err)
	d, err := NewDispatcher(r, WithMode(match.Flux))
	assert.Nil(t, d)
	assert.ErrorContains(t, err, "configures the Router: give it to NewRouter")

	d, err = NewDispatcher(nil)
	assert.Nil(t, d)
	assert.ErrorContains(t, err, "nil Router")

	d, err = NewDispatcher(r, WithConcurrency(2))
	require.NoError(t, err)
	assert.Same(t, r, d.Router())
	assert.NoError(t, d.Close())
}

// channelRenderer renders "rendered <message> for <channel>".
type channelRenderer struct{ provider.NotifierFunc }

func (channelRenderer) Render(n *provider.Notification) ([]byte, error) {
	return []byte("rendered " + n.Data.Message + " for " + n.Data.Channel), nil
}

func renderRegistry(t *testing.T) *provider.Registry {
	t.Helper()
	reg := provider.NewRegistry()
	require.NoError(t, reg.Register("test", func(*provider.Provider, provider.Credentials) (provider.Notifier, error) {
		return channelRenderer{}, nil
	}))
	return reg
}
