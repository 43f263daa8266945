package fluxnotify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/event"
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
// acceptance of one Flux event, and its delivery in the background through
// a no-op notifier (deduplication is off so every event is new). bare is a
// handler that decodes the same JSON into an event and answers 202, for
// comparison.
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
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e event.Event
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	for _, bm := range []struct {
		name string
		h    http.Handler
	}{{"fluxnotify", d.Handler()}, {"bare", bare}} {
		b.Run(bm.name, func(b *testing.B) {
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
				bm.h.ServeHTTP(w, req)
				if w.status != http.StatusAccepted {
					b.Fatalf("status %d", w.status)
				}
			}
			// The deliveries the endpoint queued are part of its cost.
			for n, _ := d.Pending(); n > 0; n, _ = d.Pending() {
				runtime.Gosched()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
	if err := d.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPending measures the memory an event holds while it waits in the
// queue of Enqueue (and of the event endpoint), beyond the event itself:
// the only worker is busy, the events are made first, then each iteration
// queues one, and B/pending is the heap the queue added per event. event-B
// is the size of the event (eventSize), which the queue bounds
// (WithMaxPendingBytes). The events must exist before the heap is
// measured, so the loop runs b.N times rather than b.Loop.
func BenchmarkPending(b *testing.B) {
	for _, size := range []struct {
		name    string
		message string
	}{{"small", "health check failed"}, {"large", strings.Repeat("x", 64<<10)}} {
		b.Run(size.name, func(b *testing.B) {
			release := make(chan struct{})
			reg := provider.NewRegistry()
			if err := reg.Register("test", func(*provider.Provider, provider.Credentials) (provider.Notifier, error) {
				return provider.NotifierFunc(func(ctx context.Context, _ *provider.Notification) error {
					<-release
					return nil
				}), nil
			}); err != nil {
				b.Fatal(err)
			}
			cfg := testConfig()
			cfg.Alerts = cfg.Alerts[:1]
			d, err := New(cfg, WithRegistry(reg), WithConcurrency(1), WithMaxPending(1<<30), WithMaxPendingBytes(1<<50),
				WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			newEv := func(i int) *event.Event {
				e := newEvent("Kustomization", "app-a", "error", size.message)
				e.Metadata = map[string]string{"kustomize.toolkit.fluxcd.io/revision": fmt.Sprintf("main@sha1:%040d", i)}
				return e
			}
			// The first event keeps the only worker busy.
			if err := d.Enqueue(ctx, newEv(-1)); err != nil {
				b.Fatal(err)
			}
			events := make([]*event.Event, b.N)
			eventBytes := int64(0)
			for i := range events {
				events[i] = newEv(i)
				eventBytes += eventSize(events[i])
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := d.Enqueue(ctx, events[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "B/pending")
			b.ReportMetric(float64(eventBytes)/float64(b.N), "event-B")
			close(release)
			if err := d.Shutdown(ctx); err != nil {
				b.Fatal(err)
			}
			runtime.KeepAlive(events)
		})
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
