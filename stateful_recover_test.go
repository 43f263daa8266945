package fluxnotify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/state"
)

// TestGroup_recoveredIsCheckedAsLive: a group left in the store (by a
// Dispatcher that was closed, crashed, or a replica that went away) is
// checked, object by object, against the configuration of the Dispatcher
// that finds it, as a live event would be (Router.Route, hold): an alert
// now suspended, removed or that no longer matches, a suspended provider,
// one of Flux's delivery rules (provider.Skip) send nothing, and each
// object is reported to the observer with the reason; an alert that no
// longer groups sends each object on its own. The group leaves the store
// in every case, as a live event would not be kept either.
func TestGroup_recoveredIsCheckedAsLive(t *testing.T) {
	commitStatus := func(name string) *event.Event {
		e := commitStatusEvent()
		e.InvolvedObject.Name = name
		return e
	}
	team := func(cfg *Config) *provider.Provider { return &cfg.Providers[0] }
	tests := []struct {
		name     string
		event    func(name string) *event.Event // default: an error
		before   func(cfg *Config)              // the configuration that grouped the events
		after    func(cfg *Config)              // the one that finds the group
		wantSent []string                       // the objects of the notifications, "Alert" for a group message
		wantErr  error                          // of the Result of each object not sent
	}{
		{name: "unchanged: sent as a group", after: func(*Config) {}, wantSent: []string{"Alert"}},
		{name: "alert suspended (Flux: suspended alerts take no event)", after: func(cfg *Config) { cfg.Alerts[0].Spec.Suspend = true }, wantErr: ErrNotRouted},
		{name: "alert removed", after: func(cfg *Config) { cfg.Alerts = nil }, wantErr: ErrNotRouted},
		{name: "alert no longer matches the objects", after: func(cfg *Config) {
			cfg.Alerts[0].Spec.EventSources = []alert.CrossNamespaceObjectReference{source("HelmRelease", "*")}
		}, wantErr: ErrNotRouted},
		{name: "reason now excluded by spec.reasons", after: func(cfg *Config) {
			cfg.Alerts[0].Spec.Reasons = &alert.Reasons{Exclude: []string{"ReconciliationFailed"}}
		}, wantErr: ErrNotRouted},
		{name: "provider suspended", after: func(cfg *Config) { team(cfg).Spec.Suspend = true }, wantErr: ErrSuspended},
		{
			name:    "skipped by Flux's delivery rules (provider.Skip: commit-status update to a chat type)",
			event:   commitStatus,
			before:  func(cfg *Config) { team(cfg).Spec.Type = "generic" },
			after:   func(cfg *Config) { team(cfg).Spec.Type = "test" },
			wantErr: provider.ErrSkipped,
		},
		{name: "alert no longer groups: each object sent as itself", after: func(cfg *Config) { cfg.Alerts[0].Spec.Delivery = nil }, wantSent: []string{"app-a", "app-b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := state.NewMemory()
			defer s.Close()
			newEv := tt.event
			if newEv == nil {
				newEv = func(name string) *event.Event { return newEvent("Kustomization", name, "error", "failed "+name) }
			}
			open := func(cfg *Config, rec *recorder, opts ...Option) *Dispatcher {
				opts = append(opts, WithRegistry(rulesRegistry(t, rec)), WithLogger(discardLogger()), WithRetryPolicy(fastRetries()), WithStore(s))
				d, _ := New(cfg, opts...)
				require.NotNil(t, d)
				return d
			}

			cfg := groupConfig(&alert.Grouping{Wait: hour}, false)
			if tt.before != nil {
				tt.before(cfg)
			}
			first := open(cfg, &recorder{})
			for _, name := range []string{"app-a", "app-b"} {
				res, err := first.Dispatch(ctx, newEv(name))
				require.NoError(t, err)
				require.Len(t, res, 1)
				require.True(t, res[0].Deferred, "grouped")
			}
			require.NoError(t, first.Close(), "the group stays in the store")

			cfg = groupConfig(&alert.Grouping{Wait: hour}, false)
			if tt.before != nil {
				tt.before(cfg)
			}
			tt.after(cfg)
			rec, o := &recorder{}, &observed{}
			d := open(cfg, rec, o.options()...)
			require.NoError(t, d.Flush(ctx), "nothing failed: what is not sent is not sent on purpose")
			require.NoError(t, d.Shutdown(ctx))

			var sent []string
			for _, n := range rec.delivered() {
				if n.Data.Object.Kind == alert.Kind {
					sent = append(sent, "Alert")
					assert.Contains(t, n.Data.Message, "Kustomization/flux-system/app-a")
					assert.Contains(t, n.Data.Message, "Kustomization/flux-system/app-b")
				} else {
					sent = append(sent, n.Data.Object.Name)
				}
			}
			assert.ElementsMatch(t, tt.wantSent, sent)
			results, _ := o.get()
			if tt.wantErr == nil {
				require.Len(t, results, len(tt.wantSent))
				for _, r := range results {
					assert.NoError(t, r.Err)
				}
			} else {
				require.Len(t, results, 2, "one Result per object")
				for i, r := range results {
					require.ErrorIs(t, r.Err, tt.wantErr)
					assert.Equal(t, []string{"app-a", "app-b"}[i], r.Event.InvolvedObject.Name, "the object's own event")
					assert.Equal(t, "flux-system/info", r.Alert)
					assert.NotEmpty(t, r.Provider, "the provider, even when the alert is gone")
					assert.NotEmpty(t, r.Type, "the provider's type, even when the alert is gone")
				}
			}
			keys, err := s.Keys(ctx, groupPrefix, 10)
			require.NoError(t, err)
			assert.Empty(t, keys, "handled: not left in the store")
		})
	}
}

// gatedNotifier records what it delivers; its block-th call (1-based)
// waits for its context to end, after closing entered.
type gatedNotifier struct {
	mu      sync.Mutex
	got     []*provider.Notification
	calls   int
	block   int
	entered chan struct{}
}

func (g *gatedNotifier) registry(t *testing.T) *provider.Registry {
	t.Helper()
	reg := provider.NewRegistry()
	require.NoError(t, reg.Register("test", func(*provider.Provider, provider.Credentials) (provider.Notifier, error) {
		return provider.NotifierFunc(g.notify), nil
	}))
	return reg
}

func (g *gatedNotifier) notify(ctx context.Context, n *provider.Notification) error {
	g.mu.Lock()
	g.calls++
	if g.calls == g.block {
		g.mu.Unlock()
		close(g.entered)
		<-ctx.Done()
		return ctx.Err()
	}
	defer g.mu.Unlock()
	g.got = append(g.got, n)
	return nil
}

// named counts how many times each object is named by the notifications:
// listed in a group's message, or sent as itself.
func named(ns []*provider.Notification) map[string]int {
	out := map[string]int{}
	for _, n := range ns {
		if n.Data.Object.Kind != alert.Kind {
			out[n.Data.Object.Name]++
			continue
		}
		for line := range strings.SplitSeq(n.Data.Message, "\n") {
			if rest, ok := strings.CutPrefix(line, "• Kustomization/flux-system/"); ok {
				name, _, _ := strings.Cut(rest, ":")
				out[name]++
			}
		}
	}
	return out
}

// TestGroup_shutdownEndsMidFlush: when Shutdown's context ends while a
// group is being sent, what was not sent stays in the store (the messages
// already sent are not sent again) and is not reported as failed; the next
// Dispatcher on the store sends it, every object named once in all. The
// same when the context ended before the flush began. With the memory and
// the file store.
func TestGroup_shutdownEndsMidFlush(t *testing.T) {
	tests := []struct {
		name     string
		objects  int
		max      int // spec.delivery.group.maxObjects
		block    int // the notifier call that Shutdown's context ends in; 0: ended before
		wantSent int // notifications by the first Dispatcher
	}{
		{"one message, interrupted", 3, 0, 1, 0},
		{"the second of two messages, interrupted", 4, 2, 2, 1},
		{"one object sent as itself, interrupted", 1, 0, 1, 0},
		{"context ended before the flush", 3, 0, 0, 0},
	}
	for storeName, openStore := range sharedStores(t) {
		for _, tt := range tests {
			t.Run(storeName+"/"+tt.name, func(t *testing.T) {
				ctx := context.Background()
				s := openStore(t)
				cfg := groupConfig(&alert.Grouping{Wait: hour, MaxObjects: tt.max}, false)
				open := func(g *gatedNotifier, o *observed) *Dispatcher {
					opts := append(o.options(), WithRegistry(g.registry(t)), WithLogger(discardLogger()), WithRetryPolicy(fastRetries()), WithStore(s))
					d, err := New(cfg, opts...)
					require.NoError(t, err)
					return d
				}

				g1, o1 := &gatedNotifier{block: tt.block, entered: make(chan struct{})}, &observed{}
				d1 := open(g1, o1)
				for i := range tt.objects {
					res, err := d1.Dispatch(ctx, newEvent("Kustomization", fmt.Sprintf("app-%d", i), "error", "failed"))
					require.NoError(t, err)
					require.True(t, res[0].Deferred)
				}
				sctx, cancel := context.WithCancel(ctx)
				if tt.block == 0 {
					cancel()
				} else {
					go func() {
						<-g1.entered
						cancel()
					}()
				}
				err := d1.Shutdown(sctx)
				cancel()
				require.ErrorIs(t, err, context.Canceled)
				if tt.block != 0 { // else Shutdown may report the end of its wait first
					assert.Contains(t, err.Error(), "left in the store")
				}
				results, _ := o1.get()
				for _, r := range results {
					assert.NoError(t, r.Err, "nothing reported as failed")
				}
				assert.Len(t, g1.got, tt.wantSent)
				keys, err := s.Keys(ctx, groupPrefix, 10)
				require.NoError(t, err)
				require.Equal(t, []string{groupPrefix + "flux-system/info"}, keys, "the group stays in the store")

				g2, o2 := &gatedNotifier{}, &observed{}
				d2 := open(g2, o2)
				require.NoError(t, d2.Flush(ctx), "the next Dispatcher on the store sends it")
				require.NoError(t, d2.Shutdown(ctx))
				all := named(append(g1.got, g2.got...))
				want := map[string]int{}
				for i := range tt.objects {
					want[fmt.Sprintf("app-%d", i)] = 1
				}
				assert.Equal(t, want, all, "every object named once")
				results, _ = o2.get()
				require.NotEmpty(t, results)
				for _, r := range results {
					assert.NoError(t, r.Err)
				}
			})
		}
	}
}

// TestGroup_shutdownEndsMidFlushWithoutStore: without WithStore the
// groups live in the Dispatcher's memory, which ends with it: a group that
// Shutdown's context leaves no time for is reported as failed, never
// dropped silently.
func TestGroup_shutdownEndsMidFlushWithoutStore(t *testing.T) {
	g, o := &gatedNotifier{block: 1, entered: make(chan struct{})}, &observed{}
	opts := append(o.options(), WithRegistry(g.registry(t)), WithLogger(discardLogger()), WithRetryPolicy(fastRetries()))
	d, err := New(groupConfig(&alert.Grouping{Wait: hour}, false), opts...)
	require.NoError(t, err)
	for i := range 2 {
		_, err := d.Dispatch(context.Background(), newEvent("Kustomization", fmt.Sprintf("app-%d", i), "error", "failed"))
		require.NoError(t, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-g.entered
		cancel()
	}()
	require.ErrorIs(t, d.Shutdown(ctx), context.Canceled)
	results, _ := o.get()
	failed := failedResults(results)
	require.Len(t, failed, 1, "the group's message")
	assert.Equal(t, ReasonGrouped, failed[0].Event.Reason)
	assert.True(t, errors.Is(failed[0].Err, context.Canceled), failed[0].Err)
}

// TestGroup_contextEndsWhileObjectsAreChecked: when the context of Flush
// ends while the objects of a group are checked against the configuration
// (a Labeler for matchLabels reads it), the objects it made miss are not
// reported as no longer routed: the group stays in the store, whole, and
// the next flush sends it.
func TestGroup_contextEndsWhileObjectsAreChecked(t *testing.T) {
	ctx := context.Background()
	s := state.NewMemory()
	defer s.Close()
	cfg := groupConfig(&alert.Grouping{Wait: hour}, false)
	cfg.Alerts[0].Spec.EventSources[0].MatchLabels = map[string]string{"team": "a"}
	var mu sync.Mutex
	var onLookup func() // set: the flush's context ends during the look-up
	labeler := func(ctx context.Context, _ *corev1.ObjectReference) (map[string]string, error) {
		mu.Lock()
		f := onLookup
		mu.Unlock()
		if f != nil {
			f()
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return map[string]string{"team": "a"}, nil
	}
	rec, o := &recorder{}, &observed{}
	opts := append(o.options(), WithRegistry(rec.registry(t)), WithLogger(discardLogger()), WithRetryPolicy(fastRetries()),
		WithStore(s), WithLabeler(match.LabelerFunc(labeler)))
	d, err := New(cfg, opts...)
	require.NoError(t, err)
	defer func() { assert.NoError(t, d.Shutdown(ctx)) }()
	for _, name := range []string{"app-a", "app-b"} {
		res, err := d.Dispatch(ctx, newEvent("Kustomization", name, "error", "failed "+name))
		require.NoError(t, err)
		require.Len(t, res, 1)
		require.True(t, res[0].Deferred, "grouped")
	}

	before, _ := o.get() // the events' own Results: Deferred
	fctx, cancel := context.WithCancel(ctx)
	mu.Lock()
	onLookup = cancel
	mu.Unlock()
	err = d.Flush(fctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "left in the store")
	results, _ := o.get()
	assert.Len(t, results, len(before), "nothing reported: the objects were not checked")
	assert.Empty(t, rec.delivered())
	keys, err := s.Keys(ctx, groupPrefix, 10)
	require.NoError(t, err)
	require.Equal(t, []string{groupPrefix + "flux-system/info"}, keys, "the group stays in the store")

	mu.Lock()
	onLookup = nil
	mu.Unlock()
	require.NoError(t, d.Flush(ctx))
	assert.Equal(t, map[string]int{"app-a": 1, "app-b": 1}, named(rec.delivered()), "sent by the next flush")
}

// TestGroup_closeWithoutStore: without WithStore the groups live in the
// Dispatcher's memory, which Close ends: a group not sent yet is reported
// as abandoned (ErrAbandoned), like the events Close abandons, never
// dropped silently.
func TestGroup_closeWithoutStore(t *testing.T) {
	rec, o := &recorder{}, &observed{}
	opts := append(o.options(), WithRegistry(rec.registry(t)), WithLogger(discardLogger()), WithRetryPolicy(fastRetries()))
	d, err := New(groupConfig(&alert.Grouping{Wait: hour}, false), opts...)
	require.NoError(t, err)
	for i := range 2 {
		res, err := d.Dispatch(context.Background(), newEvent("Kustomization", fmt.Sprintf("app-%d", i), "error", "failed"))
		require.NoError(t, err)
		require.True(t, res[0].Deferred)
	}
	require.NoError(t, d.Close())
	assert.Empty(t, rec.delivered())
	results, _ := o.get()
	failed := failedResults(results)
	require.Len(t, failed, 1, "the group's message")
	assert.Equal(t, ReasonGrouped, failed[0].Event.Reason)
	assert.ErrorIs(t, failed[0].Err, ErrAbandoned)
}

// failedResults returns the results that carry an error.
func failedResults(results []Result) []Result {
	var failed []Result
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, r)
		}
	}
	return failed
}
