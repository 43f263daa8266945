package notifycontroller_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/fluxcd/pkg/runtime/events"
	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack"
)

// recorderSetup is the operator's event endpoint, with an alert that takes
// every Kustomization event and a provider whose deliveries do nothing,
// behind a loopback server that counts the TCP connections it accepts, and
// Flux's own event recorder (the one kustomize-controller uses) posting to
// it.
type recorderSetup struct {
	d        *fluxnotify.Dispatcher
	endpoint *httptest.Server
	conns    atomic.Int64
	rec      events.Recorder
	s        *runtime.Scheme
}

func newRecorderSetup(t testing.TB, s *runtime.Scheme) *recorderSetup {
	t.Helper()
	reg := provider.NewRegistry()
	require.NoError(t, reg.Register(slack.Type, func(*provider.Provider, provider.Credentials) (provider.Notifier, error) {
		return provider.NotifierFunc(func(context.Context, *provider.Notification) error { return nil }), nil
	}))
	a := platformAlert("all", "slack")
	a.Spec.EventSources[0].MatchLabels = nil
	cfg := &fluxnotify.Config{
		Alerts:    []alert.Alert{*a},
		Providers: []provider.Provider{*slackProvider("slack", "slack-url")},
		Secrets:   []corev1.Secret{*webhookSecret("slack-url", "https://hooks.slack.com/services/T0/B0/X")},
	}
	d, err := fluxnotify.New(cfg, fluxnotify.WithRegistry(reg), fluxnotify.WithMaxPending(1<<20),
		fluxnotify.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	rs := &recorderSetup{d: d, s: s}
	rs.endpoint = httptest.NewUnstartedServer(d.Handler())
	rs.endpoint.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			rs.conns.Add(1)
		}
	}
	rs.endpoint.Start()
	rs.rec, err = events.NewRecorder(logr.FromSlogHandler(slog.DiscardHandler), rs.endpoint.URL, "kustomize-controller", events.WithScheme(s))
	require.NoError(t, err)
	return rs
}

func (rs *recorderSetup) close(t testing.TB) {
	t.Helper()
	rs.endpoint.Close()
	require.NoError(t, rs.d.Shutdown(context.Background()))
}

// TestRecorderDuplicatesKeepTheirConnection: the endpoint answers a
// duplicate 429 with an empty body, which Flux's recorder (that never reads
// the answer) leaves on a connection it can reuse; with a text body, each
// duplicate took a new TCP connection (issue 13).
func TestRecorderDuplicatesKeepTheirConnection(t *testing.T) {
	rs := newRecorderSetup(t, scheme(t))
	defer rs.close(t)
	obj := kustomization("apps", nil, nil)
	for range 1000 {
		rs.rec.Eventf(obj, nil, corev1.EventTypeWarning, "HealthCheckFailed", "Reconcile", "Health check failed after 5m0s")
	}
	require.LessOrEqual(t, rs.conns.Load(), int64(4), "TCP connections for 1,000 duplicates")
}

// BenchmarkRecorder measures Flux's own event recorder posting to the
// operator's endpoint: unique events (each accepted, 202) and duplicates
// (answered 429). conns/1000 is how many TCP connections 1,000 events took.
func BenchmarkRecorder(b *testing.B) {
	s := scheme(b)
	for _, kind := range []string{"unique", "duplicate"} {
		b.Run(kind, func(b *testing.B) {
			rs := newRecorderSetup(b, s)
			defer rs.close(b)
			obj := kustomization("apps", nil, nil)
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				msg := "Health check failed after 5m0s"
				if kind == "unique" {
					msg = fmt.Sprintf("Health check failed after %dm0s", i)
					i++
				}
				rs.rec.Eventf(obj, nil, corev1.EventTypeWarning, "HealthCheckFailed", "Reconcile", msg)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(rs.conns.Load())*1000/float64(b.N), "conns/1000")
		})
	}
}
