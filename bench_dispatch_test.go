package fluxnotify

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack"
)

// loopbackSink is a minimal Slack webhook on 127.0.0.1 that answers "ok"
// and counts the TCP connections it accepts. Unlike slacktest it records
// nothing, so a benchmark's memory does not grow with b.N.
type loopbackSink struct {
	*httptest.Server
	conns    atomic.Int64
	requests atomic.Int64
}

func newLoopbackSink() *loopbackSink {
	s := &loopbackSink{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.requests.Add(1)
		_, _ = w.Write([]byte("ok"))
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	return s
}

// BenchmarkDispatch measures one event delivered to Slack (the real
// notifier, flux format) on a loopback webhook: matching, metadata merge,
// Secret resolution, rendering, the POST and its answer. net-http posts the
// same bytes to the same sink with a bare http.Client, for comparison.
func BenchmarkDispatch(b *testing.B) {
	sink := newLoopbackSink()
	defer sink.Close()
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	cfg.Providers = cfg.Providers[:1]
	cfg.Providers[0].Spec.Type = slack.Type
	cfg.Secrets = []corev1.Secret{newSecret("team-secret", sink.URL+"/services/T0/B0/XXX")}
	d, err := New(cfg, WithDedupWindow(0), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = d.Shutdown(context.Background()) }()
	ev := newEvent("Kustomization", "app-a", "error", "Health check failed after 2m0s: timeout waiting for: [Deployment/my-app/my-app-deployment status: 'InProgress']")
	routing, err := d.Route(context.Background(), ev)
	if err != nil || len(routing.Routes) != 1 {
		b.Fatalf("route: %v %+v", err, routing)
	}
	body := []byte(routing.Routes[0].Payload)

	b.Run("fluxnotify", func(b *testing.B) {
		ctx := context.Background()
		before := sink.conns.Load()
		b.ReportAllocs()
		for b.Loop() {
			results, err := d.Dispatch(ctx, ev)
			if err != nil || len(results) != 1 {
				b.Fatalf("dispatch: %v", err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
		if c := sink.conns.Load() - before; c > 2 {
			b.Errorf("the sink saw %d new connections for %d deliveries: keep-alive is not working", c, b.N)
		}
	})

	b.Run("net-http", func(b *testing.B) {
		client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		defer client.CloseIdleConnections()
		url := sink.URL + "/services/T0/B0/XXX"
		before := sink.conns.Load()
		b.ReportAllocs()
		for b.Loop() {
			resp, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
		if c := sink.conns.Load() - before; c > 2 {
			b.Errorf("the sink saw %d new connections for %d posts", c, b.N)
		}
	})
}

// BenchmarkServe measures the event endpoint: decoding, validation and
// acceptance of one Flux event (the delivery runs in the background through
// a no-op notifier; deduplication is off so every event is new).
func BenchmarkServe(b *testing.B) {
	reg := provider.NewRegistry()
	if err := reg.Register("test", func(*provider.Provider, provider.Credentials) (provider.Notifier, error) {
		return provider.NotifierFunc(func(context.Context, *provider.Notification) error { return nil }), nil
	}); err != nil {
		b.Fatal(err)
	}
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	d, err := New(cfg, WithRegistry(reg), WithDedupWindow(0), WithMaxPending(1<<30), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	h := d.Handler()
	body := []byte(validEvent)
	r := bytes.NewReader(nil)
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	w := &discardResponse{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(body)
		req.Body = io.NopCloser(r)
		req.ContentLength = int64(len(body))
		w.status = 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusAccepted {
			b.Fatalf("status %d", w.status)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.StopTimer()
	if err := d.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// discardResponse is an http.ResponseWriter that keeps only the status.
type discardResponse struct {
	header http.Header
	status int
}

func (w *discardResponse) Header() http.Header         { return w.header }
func (w *discardResponse) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardResponse) WriteHeader(status int)      { w.status = status }
