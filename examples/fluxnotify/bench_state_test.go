package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/internal/outagetest"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
	"github.com/fluxnotify/fluxnotify/state/redisstate"
	"github.com/fluxnotify/fluxnotify/state/redisstate/redistest"
)

// BenchmarkDispatchRedis is the Redis column of the root module's
// BenchmarkDispatchStateful: one event delivered to a loopback Slack Web
// API with its state on a redis-server on loopback: dedup (one
// SetIfAbsent), repeat (transitions: the status updated, nothing sent),
// thread (a reply and a chat.update, the status and the thread's ts).
func BenchmarkDispatchRedis(b *testing.B) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true,"channel":"C1","ts":"1700000000.000001"}`))
	}))
	defer api.Close()
	srv := slacktest.NewServer() // only for the configuration's URLs
	defer srv.Close()
	url := "redis://" + redistest.Addr(b) + "/1"
	for _, c := range []struct {
		name  string
		dl    *alert.Delivery
		dedup bool
	}{
		{"dedup", nil, true},
		{"repeat", &alert.Delivery{Transitions: true}, false},
		{"thread", &alert.Delivery{Thread: &alert.Thread{Enabled: true}}, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			s, err := redisstate.Open(ctx, url, redisstate.WithPrefix("bench-"+c.name+strconv.FormatInt(time.Now().UnixNano(), 10)+":"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			cfg := outagetest.Config(srv)
			cfg.Alerts[0].Spec.Delivery = c.dl
			cfg.Secrets[0].StringData["address"] = api.URL + "/api/chat.postMessage"
			opts := []fluxnotify.Option{fluxnotify.WithStore(s), fluxnotify.WithLogger(slog.New(slog.DiscardHandler))}
			if c.dedup {
				opts = append(opts, fluxnotify.WithCallerDedup())
			}
			d, err := fluxnotify.New(cfg, opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = d.Shutdown(ctx) }()
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				ev := outagetest.Event("app-a", "error", "Health check failed after 2m0s: attempt "+strconv.Itoa(i))
				if _, err := d.Dispatch(ctx, ev); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
