package fluxnotify

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/state"
)

// TestTransitions: with spec.delivery.transitions, an object's first
// failure and its recovery are sent; repeats are counted (Deferred), and
// the recovery says how many failures there were.
func TestTransitions(t *testing.T) {
	rec := &recorder{}
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[1:2] // info and more, app-*
	cfg.Alerts[0].Spec.Delivery = &alert.Delivery{Transitions: true}
	d := newTestDispatcher(t, cfg, rec)
	steps := []struct {
		name, severity string
		deferred       bool
	}{
		{"app-a", "info", true}, // no change: never failed
		{"app-a", "error", false},
		{"app-a", "error", true},
		{"app-b", "error", false}, // another object
		{"app-a", "error", true},
		{"app-a", "info", false}, // recovery
		{"app-a", "info", true},
		{"app-a", "error", false}, // fails again
	}
	for i, s := range steps {
		res, err := d.Dispatch(context.Background(), newEvent("Kustomization", s.name, s.severity, fmt.Sprint("message ", i)))
		require.NoError(t, err)
		require.Len(t, res, 1)
		assert.Equal(t, s.deferred, res[0].Deferred, "step %d", i)
	}
	got := rec.delivered()
	require.Len(t, got, 4)
	var msgs []string
	for _, n := range got {
		msgs = append(msgs, n.Data.Object.Name+" "+n.Data.Severity)
	}
	assert.Equal(t, []string{"app-a error", "app-b error", "app-a info", "app-a error"}, msgs)
	assert.Contains(t, got[2].Data.Metadata["failures"], "3 failures since ")
	assert.NotContains(t, got[3].Data.Metadata, "failures")
}

// TestTransitions_failedDeliveryIsNotLost: a transition whose delivery
// failed is not counted as sent: the Result fails, and dedup releases it.
func TestTransitions_failedDelivery(t *testing.T) {
	rec := &recorder{fail: func(*provider.Notification, int) error { return &provider.Error{Err: fmt.Errorf("down")} }}
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	cfg.Alerts[0].Spec.Delivery = &alert.Delivery{Transitions: true}
	d := newTestDispatcher(t, cfg, rec, WithCallerDedup())
	e := newEvent("Kustomization", "app", "error", "failed")
	res, err := d.Dispatch(context.Background(), e)
	require.Error(t, err)
	assert.False(t, res[0].Deferred)
	_, err = d.Dispatch(context.Background(), e)
	assert.NotErrorIs(t, err, ErrDuplicate, "released: nothing was delivered")

	// Once the provider is back, the next event sends the first failure,
	// and the one after is a repeat again.
	rec.mu.Lock()
	rec.fail = nil
	rec.mu.Unlock()
	for i, deferred := range []bool{false, true} {
		res, err = d.Dispatch(context.Background(), newEvent("Kustomization", "app", "error", fmt.Sprint("again ", i)))
		require.NoError(t, err)
		assert.Equal(t, deferred, res[0].Deferred, "event %d", i)
	}
	assert.Len(t, rec.delivered(), 1)
}

// TestTransitions_failingStore: when the store fails, every event is sent
// (a repeat rather than a loss), without a made-up summary.
func TestTransitions_failingStore(t *testing.T) {
	s := state.NewMemory()
	require.NoError(t, s.Close())
	rec := &recorder{}
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[1:2]
	cfg.Alerts[0].Spec.Delivery = &alert.Delivery{Transitions: true}
	d := newTestDispatcher(t, cfg, rec, WithStore(s))
	for i, sev := range []string{"error", "error", "info"} {
		res, err := d.Dispatch(context.Background(), newEvent("Kustomization", "app-a", sev, fmt.Sprint(i)))
		require.NoError(t, err)
		assert.False(t, res[0].Deferred)
	}
	got := rec.delivered()
	require.Len(t, got, 3)
	assert.NotContains(t, got[2].Data.Metadata, "failures")
}
