package fluxnotify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/provider"
)

// observed collects what the observers see.
type observed struct {
	mu       sync.Mutex
	results  []Result
	outcomes []EventOutcome
}

func (o *observed) options() []Option {
	return []Option{
		WithObserver(func(_ context.Context, r Result) {
			o.mu.Lock()
			defer o.mu.Unlock()
			o.results = append(o.results, r)
		}),
		WithEventObserver(func(_ context.Context, eo EventOutcome) {
			o.mu.Lock()
			defer o.mu.Unlock()
			o.outcomes = append(o.outcomes, eo)
		}),
	}
}

func (o *observed) get() ([]Result, []EventOutcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Result(nil), o.results...), append([]EventOutcome(nil), o.outcomes...)
}

func (o *observed) outcomeCounts() map[Outcome]int {
	_, outcomes := o.get()
	n := map[Outcome]int{}
	for _, eo := range outcomes {
		n[eo.Outcome]++
	}
	return n
}

func TestEnqueue_observesEveryOutcome(t *testing.T) {
	rec := &recorder{}
	var obs observed
	d := newTestDispatcher(t, testConfig(), rec, obs.options()...)
	ctx := context.WithValue(t.Context(), ctxKey{}, "trace-1")
	require.NoError(t, d.Enqueue(ctx, newEvent("Kustomization", "app-a", "error", "boom")))
	require.NoError(t, d.Enqueue(ctx, newEvent("HelmRelease", "infra", "error", "boom")), "matches nothing")
	assert.ErrorIs(t, d.Enqueue(ctx, &event.Event{Severity: "error"}), event.ErrInvalid)
	require.NoError(t, d.Shutdown(t.Context()))

	results, _ := obs.get()
	require.Len(t, results, 4, "one Result per matched alert, as Dispatch returns")
	byAlert := map[string]Result{}
	for _, r := range results {
		byAlert[r.Alert] = r
	}
	assert.True(t, byAlert["flux-system/errors"].Delivered())
	assert.ErrorIs(t, byAlert["flux-system/to-suspended"].Err, ErrSuspended)
	assert.ErrorContains(t, byAlert["flux-system/orphan"].Err, "not found")
	assert.Equal(t, "app-a", byAlert["flux-system/errors"].Event.InvolvedObject.Name)
	assert.Equal(t, map[Outcome]int{OutcomeAccepted: 1, OutcomeNoAlert: 1, OutcomeInvalid: 1}, obs.outcomeCounts())
	assert.Len(t, rec.delivered(), 2)
}

type ctxKey struct{}

func TestEnqueue_contextValuesReachTheObserver(t *testing.T) {
	got := make(chan any, 1)
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	d := newTestDispatcher(t, cfg, &recorder{}, WithObserver(func(ctx context.Context, _ Result) { got <- ctx.Value(ctxKey{}) }))
	ctx, cancel := context.WithCancel(context.WithValue(t.Context(), ctxKey{}, "trace-1"))
	cancel() // as an HTTP request's context ends when the handler returns
	require.NoError(t, d.Enqueue(ctx, newEvent("Kustomization", "app-a", "error", "boom")))
	assert.Equal(t, "trace-1", <-got)
}

func TestEnqueue_bounded(t *testing.T) {
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	big := strings.Repeat("x", 1000)
	tests := []struct {
		name    string
		opts    []Option
		message string
		fits    int // events accepted before ErrQueueFull
	}{
		{"by count", []Option{WithMaxPending(2)}, "boom", 2},
		{"by bytes", []Option{WithMaxPendingBytes(3500)}, big, 2},
		{"one event always fits", []Option{WithMaxPendingBytes(1)}, big, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{block: make(chan struct{})}
			var obs observed
			d := newTestDispatcher(t, cfg, rec, append(tt.opts, obs.options()...)...)
			for i := range tt.fits {
				require.NoError(t, d.Enqueue(t.Context(), newEvent("Kustomization", fmt.Sprint("app-", i), "error", tt.message)), "event %d", i)
			}
			err := d.Enqueue(t.Context(), newEvent("Kustomization", "app-z", "error", tt.message))
			assert.ErrorIs(t, err, ErrQueueFull)
			n, b := d.Pending()
			assert.Equal(t, tt.fits, n)
			assert.Positive(t, b)
			close(rec.block)
			require.NoError(t, d.Shutdown(t.Context()))
			n, b = d.Pending()
			assert.Zero(t, n)
			assert.Zero(t, b)
			assert.Len(t, rec.delivered(), tt.fits)
			assert.Equal(t, map[Outcome]int{OutcomeAccepted: tt.fits, OutcomeRejected: 1}, obs.outcomeCounts())
		})
	}
}

// TestEnqueue_fixedWorkers checks that a fixed pool of workers drains the
// queue: accepting many events starts no goroutine per event.
func TestEnqueue_fixedWorkers(t *testing.T) {
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	rec := &recorder{block: make(chan struct{})}
	d := newTestDispatcher(t, cfg, rec, WithConcurrency(2))
	before := runtime.NumGoroutine()
	for i := range 200 {
		require.NoError(t, d.Enqueue(t.Context(), newEvent("Kustomization", fmt.Sprint("app-", i), "error", "boom")))
	}
	assert.LessOrEqual(t, runtime.NumGoroutine()-before, 4, "two workers, and nothing per event")
	require.Eventually(t, func() bool { return rec.entered.Load() == 2 }, testWait, pollEvery)
	assert.EqualValues(t, 2, rec.entered.Load(), "two deliveries at a time")
	close(rec.block)
	require.NoError(t, d.Shutdown(t.Context()))
	assert.Len(t, rec.delivered(), 200)
}

// TestShutdown_everyAcceptedEventEndsVisibly checks that an accepted event
// is never dropped silently at shutdown: when the context of Shutdown ends
// (or Close stops at once), the delivery in flight is cancelled and the
// queued events are abandoned, each logged and observed before it returns.
func TestShutdown_everyAcceptedEventEndsVisibly(t *testing.T) {
	tests := []struct {
		name string
		stop func(d *Dispatcher) error
	}{
		{"Shutdown's context ends", func(d *Dispatcher) error {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			err := d.Shutdown(ctx)
			if !errors.Is(err, context.Canceled) {
				return fmt.Errorf("Shutdown: want context.Canceled, got %v", err)
			}
			return nil
		}},
		{"Close", func(d *Dispatcher) error { return d.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Alerts = cfg.Alerts[:1]
			rec := &recorder{block: make(chan struct{})}
			var obs observed
			var logs bytes.Buffer
			var logMu sync.Mutex
			log := slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, nil))
			opts := append(obs.options(), WithRegistry(rec.registry(t)), WithLogger(log),
				WithRetryPolicy(provider.RetryPolicy{Retries: -1}), WithConcurrency(1))
			d, err := New(cfg, opts...)
			require.NoError(t, err)
			const events = 5
			for i := range events {
				require.NoError(t, d.Enqueue(t.Context(), newEvent("Kustomization", fmt.Sprint("app-", i), "error", "boom")))
			}
			require.Eventually(t, func() bool { return rec.entered.Load() == 1 }, testWait, pollEvery)
			require.NoError(t, tt.stop(d))

			results, _ := obs.get()
			require.Len(t, results, events, "every accepted event is reported before the Dispatcher stops")
			abandoned := 0
			for _, r := range results {
				require.Error(t, r.Err)
				assert.ErrorIs(t, r.Err, context.Canceled)
				if errors.Is(r.Err, ErrAbandoned) {
					abandoned++
				}
			}
			assert.Equal(t, events-1, abandoned, "the queued events are abandoned; the one in flight failed")
			logMu.Lock()
			out := logs.String()
			logMu.Unlock()
			assert.Equal(t, events-1, strings.Count(out, `msg="event abandoned at shutdown"`), out)
			assert.Equal(t, 1, strings.Count(out, `msg="event delivery failed"`), out)
			for i := range events {
				assert.Contains(t, out, fmt.Sprintf("object=Kustomization/flux-system/app-%d", i))
			}
			assert.ErrorIs(t, d.Enqueue(t.Context(), newEvent("Kustomization", "late", "error", "boom")), ErrClosed)
			assert.NoError(t, d.Shutdown(t.Context()), "a second Shutdown succeeds at once")
		})
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// TestHandler_dedup checks the deduplication stage of the endpoint, where
// Flux puts it (EventServer's rate limiter, keyed by eventKeyFunc): a
// delivered event is a duplicate within the window; one that matched no
// alert, or whose every delivery failed, is not remembered.
func TestHandler_dedup(t *testing.T) {
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1] // errors only
	tests := []struct {
		name   string
		event  string
		fail   bool
		second int
	}{
		{"delivered", validEvent, false, http.StatusTooManyRequests},
		{"matched no alert", strings.Replace(validEvent, `"severity": "error"`, `"severity": "info"`, 1), false, http.StatusAccepted},
		{"every delivery failed", validEvent, true, http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			if tt.fail {
				rec.fail = func(*provider.Notification, int) error { return &provider.Error{StatusCode: 404} }
			}
			var obs observed
			d := newTestDispatcher(t, cfg, rec, obs.options()...)
			post := func() int {
				w := httptest.NewRecorder()
				d.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.event)))
				return w.Code
			}
			require.Equal(t, http.StatusAccepted, post())
			require.Eventually(t, func() bool { n, _ := d.Pending(); return n == 0 }, testWait, pollEvery)
			assert.Equal(t, tt.second, post())
		})
	}
}

// The Dispatcher stops at once with Close, like http.Server: it is an
// io.Closer, so it fits wherever one is expected.
var _ io.Closer = (*Dispatcher)(nil)

// TestJobContextFollowsTheDispatcherWithoutGoroutines: a delivery's timeout
// derived from a queued event's context (or from Dispatch's, when the
// caller's context is never done) follows the Dispatcher's context through
// jobContext.AfterFunc, with the caller's values, and without a goroutine
// per delivery.
func TestJobContextFollowsTheDispatcherWithoutGoroutines(t *testing.T) {
	type key struct{}
	base, cancel := context.WithCancel(context.Background())
	jc := jobContext{Context: base, values: context.WithValue(context.Background(), key{}, "v")}
	before := runtime.NumGoroutine()
	var children []context.Context
	for range 100 {
		c, stop := context.WithTimeout(jc, time.Hour)
		defer stop()
		children = append(children, c)
	}
	assert.Less(t, runtime.NumGoroutine()-before, 10, "goroutines for 100 derived contexts")
	assert.Equal(t, "v", children[0].Value(key{}))
	cancel()
	for _, c := range children {
		<-c.Done()
		assert.ErrorIs(t, c.Err(), context.Canceled)
	}
}
