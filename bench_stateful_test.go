package fluxnotify

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/slack"
	"github.com/fluxnotify/fluxnotify/state"
)

// newAPISink is a loopback Slack Web API that answers every call with
// {"ok":true,"ts":…} and records nothing.
func newAPISink() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true,"channel":"C1","ts":"1700000000.000001"}`))
	}))
}

// BenchmarkDispatchStateful measures one event delivered to a loopback
// Slack with state on the delivery path, next to the stateless path:
//
//   - stateless: no deduplication (BenchmarkDispatch/fluxnotify);
//   - dedup/ring: WithCallerDedup, keys in the Dispatcher's own ring (the
//     default without WithStore);
//   - dedup/memory, dedup/file-nosync, dedup/file-sync: the keys in a
//     state.Memory or state.File (WithStore): one SetIfAbsent per event;
//   - repeat/memory: spec.delivery.transitions, an object that keeps
//     failing: the status is updated and nothing is sent;
//   - thread/memory, thread/file-sync: spec.delivery.thread, every event a
//     reply in the object's thread plus chat.update of its root (two calls
//     to the Web API sink), with the status update and the thread lookup.
//
// Every event is new (its message differs), so deduplication admits it.
func BenchmarkDispatchStateful(b *testing.B) {
	webhook := newLoopbackSink()
	defer webhook.Close()
	api := newAPISink()
	defer api.Close()

	stores := map[string]func(b *testing.B) state.Store{
		"memory": func(*testing.B) state.Store { return state.NewMemory() },
		"file-nosync": func(b *testing.B) state.Store {
			s, err := state.OpenFile(filepath.Join(b.TempDir(), "s.db"), state.WithNoSync())
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"file-sync": func(b *testing.B) state.Store {
			s, err := state.OpenFile(filepath.Join(b.TempDir(), "s.db"))
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	cases := []struct {
		name  string
		store string // "" none
		dl    *alert.Delivery
		dedup bool
	}{
		{name: "stateless"},
		{name: "dedup/ring", dedup: true},
		{name: "dedup/memory", store: "memory", dedup: true},
		{name: "dedup/file-nosync", store: "file-nosync", dedup: true},
		{name: "dedup/file-sync", store: "file-sync", dedup: true},
		{name: "repeat/memory", store: "memory", dl: &alert.Delivery{Transitions: true}},
		{name: "thread/memory", store: "memory", dl: &alert.Delivery{Thread: &alert.Thread{Enabled: true}}},
		{name: "thread/file-sync", store: "file-sync", dl: &alert.Delivery{Thread: &alert.Thread{Enabled: true}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			cfg := testConfig()
			cfg.Alerts = cfg.Alerts[:1]
			cfg.Alerts[0].Spec.Delivery = c.dl
			cfg.Providers = cfg.Providers[:1]
			cfg.Providers[0].Spec.Type = slack.Type
			data := map[string]string{"address": webhook.URL + "/services/T0/B0/XXX"}
			if c.dl.Threaded() {
				data = map[string]string{"address": api.URL + "/api/chat.postMessage", "token": "xoxb-bench"}
			}
			cfg.Secrets = []corev1.Secret{{ObjectMeta: metav1.ObjectMeta{Namespace: "flux-system", Name: "team-secret"}, StringData: data}}
			opts := []Option{WithLogger(slog.New(slog.DiscardHandler))}
			if !c.dedup {
				opts = append(opts, WithDedupWindow(0))
			} else {
				opts = append(opts, WithCallerDedup())
			}
			if c.store != "" {
				s := stores[c.store](b)
				defer s.Close()
				opts = append(opts, WithStore(s))
			}
			d, err := New(cfg, opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = d.Shutdown(context.Background()) }()
			ctx := context.Background()
			ev := newEvent("Kustomization", "app-a", "error", "")
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				ev.Message = "Health check failed after 2m0s: attempt " + strconv.Itoa(i)
				results, err := d.Dispatch(ctx, ev)
				if err != nil || len(results) != 1 {
					b.Fatalf("dispatch: %v", err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
