package fluxnotify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/state"
)

// sharedStores are the engines two Dispatchers can share in one process;
// the Redis one is tested in package redisstate's module (see
// examples/fluxnotify), which has the server helper.
func sharedStores(t *testing.T) map[string]func(t *testing.T) state.Store {
	return map[string]func(t *testing.T) state.Store{
		"memory": func(t *testing.T) state.Store {
			s := state.NewMemory()
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		"file": func(t *testing.T) state.Store {
			s, err := state.OpenFile(filepath.Join(t.TempDir(), "state.db"), state.WithNoSync())
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
	}
}

// TestWithStore_dedupAcrossDispatchers: two Dispatchers on one store (two
// replicas of serve) deduplicate together, with the semantics of the
// in-memory deduplicator: an event counts once it matched an alert, and is
// forgotten when every delivery failed.
func TestWithStore_dedupAcrossDispatchers(t *testing.T) {
	for name, open := range sharedStores(t) {
		t.Run(name, func(t *testing.T) {
			tests := []struct {
				name    string
				failA   bool   // every delivery of replica A fails
				kind    string // "Unmatched" matches no alert
				wantErr error  // of replica B
				wantB   int    // deliveries by B
			}{
				{name: "delivered by A, duplicate for B", kind: "Kustomization", wantErr: ErrDuplicate},
				{name: "failed on A, delivered by B", failA: true, kind: "Kustomization", wantB: 1},
				{name: "matched nothing on A, new for B", kind: "Unmatched"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					s := open(t)
					recA, recB := &recorder{}, &recorder{}
					if tt.failA {
						recA.fail = func(*provider.Notification, int) error { return &provider.Error{Err: errors.New("boom")} }
					}
					cfg := testConfig()
					cfg.Alerts = cfg.Alerts[:1]
					a := newTestDispatcher(t, cfg, recA, WithStore(s), WithCallerDedup())
					b := newTestDispatcher(t, cfg, recB, WithStore(s), WithCallerDedup())
					e := newEvent(tt.kind, "app", "error", "health check failed")
					_, _ = a.Dispatch(context.Background(), e)
					_, err := b.Dispatch(context.Background(), e)
					if tt.wantErr != nil {
						assert.ErrorIs(t, err, tt.wantErr)
					} else {
						assert.NoError(t, err)
					}
					assert.Len(t, recB.delivered(), tt.wantB)
				})
			}
		})
	}
}

// TestWithStore_handler: the event endpoints of two Dispatchers on one
// store answer 429 to the copy the other accepted.
func TestWithStore_handler(t *testing.T) {
	s := state.NewMemory()
	defer s.Close()
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	a := newTestDispatcher(t, cfg, &recorder{}, WithStore(s))
	b := newTestDispatcher(t, cfg, &recorder{}, WithStore(s))
	post := func(d *Dispatcher) int {
		w := httptest.NewRecorder()
		d.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(validEvent)))
		return w.Code
	}
	assert.Equal(t, http.StatusAccepted, post(a))
	assert.Equal(t, http.StatusTooManyRequests, post(b))
	assert.Equal(t, http.StatusTooManyRequests, post(a))
}

// TestWithStore_failingStore: a store that fails admits the event rather
// than losing it.
func TestWithStore_failingStore(t *testing.T) {
	s := state.NewMemory()
	require.NoError(t, s.Close()) // every operation now fails
	rec := &recorder{}
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	d := newTestDispatcher(t, cfg, rec, WithStore(s), WithCallerDedup())
	e := newEvent("Kustomization", "app", "error", "health check failed")
	for range 2 {
		_, err := d.Dispatch(context.Background(), e)
		assert.NoError(t, err)
	}
	assert.Len(t, rec.delivered(), 2)
}

// TestWithStore_fluxKey: in flux mode the key in the store is the very key
// Flux's eventKeyFunc computes.
func TestWithStore_fluxKey(t *testing.T) {
	d := newDedup(0, 0)
	d.flux = true
	e := newEvent("Kustomization", "app", "error", "health check failed")
	assert.Equal(t, fluxEventKey(e), d.storeKey(e))
}

// slowStore is a store whose SetIfAbsent of deduplication keys waits until
// unblock is closed, having said so on entered.
type slowStore struct {
	state.Store
	entered chan struct{}
	unblock chan struct{}
}

func (s *slowStore) SetIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if strings.HasPrefix(key, dedupPrefix) {
		s.entered <- struct{}{}
		<-s.unblock
	}
	return s.Store.SetIfAbsent(ctx, key, value, ttl)
}

// TestWithStore_slowStoreDoesNotHoldShutdown: an event whose deduplication
// key is being reserved in a slow shared store (Redis far away) holds no
// lock: Close and Shutdown return at once, and the event, refused with
// ErrClosed, is observed once as rejected and its key released.
func TestWithStore_slowStoreDoesNotHoldShutdown(t *testing.T) {
	tests := []struct {
		name string
		stop func(d *Dispatcher) error
	}{
		{"Close", (*Dispatcher).Close},
		{"Shutdown", func(d *Dispatcher) error { return d.Shutdown(context.Background()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := state.NewMemory()
			defer mem.Close()
			s := &slowStore{Store: mem, entered: make(chan struct{}), unblock: make(chan struct{})}
			var mu sync.Mutex
			var outcomes []Outcome
			observe := func(_ context.Context, o EventOutcome) {
				mu.Lock()
				defer mu.Unlock()
				outcomes = append(outcomes, o.Outcome)
			}
			rec := &recorder{}
			cfg := testConfig()
			cfg.Alerts = cfg.Alerts[:1]
			d := newTestDispatcher(t, cfg, rec, WithStore(s), WithCallerDedup(), WithEventObserver(observe))
			errc := make(chan error, 1)
			go func() {
				errc <- d.Enqueue(context.Background(), newEvent("Kustomization", "app", "error", "health check failed"))
			}()
			<-s.entered
			stopped := make(chan error, 1)
			go func() { stopped <- tt.stop(d) }()
			select {
			case err := <-stopped:
				assert.NoError(t, err)
				close(s.unblock)
			case <-time.After(10 * time.Second): // a deadlock guard, not a speed test
				t.Errorf("%s waited for the deduplication store", tt.name)
				close(s.unblock)
				<-stopped
			}
			assert.ErrorIs(t, <-errc, ErrClosed)
			assert.Empty(t, rec.delivered())
			mu.Lock()
			assert.Equal(t, []Outcome{OutcomeRejected}, outcomes)
			mu.Unlock()
			keys, err := mem.Keys(context.Background(), dedupPrefix, 10)
			require.NoError(t, err)
			assert.Empty(t, keys, "the refused event's key is released")
		})
	}
}
