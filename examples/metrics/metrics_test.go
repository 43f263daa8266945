package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/examples/metrics"
	"github.com/fluxnotify/fluxnotify/provider"
)

const failing = `{"involvedObject":{"kind":"Kustomization","namespace":"apps","name":"NAME"},
"severity":"error","message":"health check failed","reason":"HealthCheckFailed","reportingController":"kustomize-controller"}`

// TestMetrics drives a Dispatcher through its event endpoint and checks
// every metric, and that their names follow Prometheus' conventions.
func TestMetrics(t *testing.T) {
	reg := provider.NewRegistry()
	require.NoError(t, reg.Register("ok", func(*provider.Provider, provider.Credentials) (provider.Notifier, error) {
		return provider.NotifierFunc(func(context.Context, *provider.Notification) error { return nil }), nil
	}))
	require.NoError(t, reg.Register("broken", func(*provider.Provider, provider.Credentials) (provider.Notifier, error) {
		return provider.NotifierFunc(func(context.Context, *provider.Notification) error {
			return &provider.Error{StatusCode: 404, Code: "channel_not_found"}
		}), nil
	}))
	cfg := &fluxnotify.Config{
		Alerts: []alert.Alert{
			newAlert("to-ok", "ok", "error"),
			newAlert("to-broken", "broken", "error"),
			newAlert("to-paused", "paused", "error"),
		},
		Providers: []provider.Provider{newProvider("ok", "ok", false), newProvider("broken", "broken", false), newProvider("paused", "ok", true)},
	}
	m := metrics.New()
	opts := append(m.Options(), fluxnotify.WithRegistry(reg), fluxnotify.WithLogger(slog.New(slog.DiscardHandler)),
		fluxnotify.WithRetryPolicy(provider.RetryPolicy{Retries: -1}))
	d, err := fluxnotify.New(cfg, opts...)
	require.NoError(t, err)
	registry := prometheus.NewPedanticRegistry()
	require.NoError(t, m.Register(registry, d))

	h := d.Handler()
	post := func(body string) int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)))
		return w.Code
	}
	assert.Equal(t, http.StatusAccepted, post(strings.Replace(failing, "NAME", "app-a", 1)))
	assert.Equal(t, http.StatusAccepted, post(strings.Replace(failing, "NAME", "app-b", 1)))
	assert.Equal(t, http.StatusAccepted, post(strings.Replace(strings.Replace(failing, "NAME", "app-c", 1), "Kustomization", "HelmRelease", 1)))
	assert.Equal(t, http.StatusBadRequest, post(`{"severity":"error"}`))
	require.NoError(t, d.Shutdown(t.Context()))
	assert.Equal(t, http.StatusServiceUnavailable, post(strings.Replace(failing, "NAME", "late", 1)))

	want := `
# HELP fluxnotify_deliveries_total Deliveries of one event to one alert's provider, by provider type and outcome: delivered, deferred, failed, suspended, skipped, not_routed, abandoned.
# TYPE fluxnotify_deliveries_total counter
fluxnotify_deliveries_total{outcome="delivered",type="ok"} 2
fluxnotify_deliveries_total{outcome="failed",type="broken"} 2
fluxnotify_deliveries_total{outcome="suspended",type="ok"} 2
# HELP fluxnotify_events_received_total Events given to the dispatcher, by outcome: accepted, no_alert, duplicate, invalid, rejected.
# TYPE fluxnotify_events_received_total counter
fluxnotify_events_received_total{outcome="accepted"} 2
fluxnotify_events_received_total{outcome="duplicate"} 0
fluxnotify_events_received_total{outcome="invalid"} 1
fluxnotify_events_received_total{outcome="no_alert"} 1
fluxnotify_events_received_total{outcome="rejected"} 1
# HELP fluxnotify_queue_events Events accepted and not yet delivered, failed or abandoned.
# TYPE fluxnotify_queue_events gauge
fluxnotify_queue_events 0
`
	require.NoError(t, testutil.GatherAndCompare(registry, strings.NewReader(want),
		"fluxnotify_deliveries_total", "fluxnotify_events_received_total", "fluxnotify_queue_events"))
	n, err := testutil.GatherAndCount(registry, "fluxnotify_delivery_duration_seconds")
	require.NoError(t, err)
	assert.Equal(t, 2, n, "one duration histogram per provider type that was called")

	problems, err := testutil.GatherAndLint(registry)
	require.NoError(t, err)
	assert.Empty(t, problems, "names follow Prometheus' conventions")
}

func newAlert(name, providerName, severity string) alert.Alert {
	return alert.Alert{
		ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: name},
		Spec: alert.Spec{
			ProviderRef:   corev1.LocalObjectReference{Name: providerName},
			EventSeverity: alert.Threshold(severity),
			EventSources:  []alert.CrossNamespaceObjectReference{{Kind: "Kustomization", Name: "*"}},
		},
	}
}

func newProvider(name, typ string, suspend bool) provider.Provider {
	return provider.Provider{
		ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: name},
		Spec:       provider.Spec{Type: typ, Address: "https://example.invalid/", Suspend: suspend},
	}
}

// TestOutcome names each kind of Result as the outcome label says.
func TestOutcome(t *testing.T) {
	for _, tt := range []struct {
		r    fluxnotify.Result
		want string
	}{
		{fluxnotify.Result{}, metrics.Delivered},
		{fluxnotify.Result{Deferred: true}, metrics.Deferred},
		{fluxnotify.Result{Err: fmt.Errorf("x: %w", fluxnotify.ErrSuspended)}, metrics.Suspended},
		{fluxnotify.Result{Err: &provider.SkipError{Rule: provider.SkipNoCommit}}, metrics.Skipped},
		{fluxnotify.Result{Err: fmt.Errorf("x: %w", fluxnotify.ErrAbandoned)}, metrics.Abandoned},
		{fluxnotify.Result{Err: fmt.Errorf("x: %w", fluxnotify.ErrNotRouted)}, metrics.NotRouted},
		{fluxnotify.Result{Err: errors.New("500")}, metrics.Failed},
	} {
		assert.Equal(t, tt.want, metrics.Outcome(tt.r), "%+v", tt.r)
	}
}
