package fluxnotify

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/state"
)

// groupConfig is the "info" alert of testConfig (info and more of the
// Kustomizations app-*), grouping with g, with transitions or not.
func groupConfig(g *alert.Grouping, transitions bool) *Config {
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[1:2]
	cfg.Alerts[0].Spec.Delivery = &alert.Delivery{Group: g, Transitions: transitions}
	return cfg
}

// hour is a group wait no test reaches: groups are sent by Flush.
var hour = metav1.Duration{Duration: time.Hour}

func TestGroup(t *testing.T) {
	tests := []struct {
		name     string
		objects  int
		max      int
		wantMsgs int
		wantLast string
	}{
		{"one object is sent as itself", 1, 0, 1, "failed app-000"},
		{"five in one message", 5, 0, 1, "5 of 5 objects: 5 failing, 0 recovered or fine"},
		{"split by maxObjects", 5, 2, 3, "1 of 5 objects: 5 failing, 0 recovered or fine (message 3 of 3)"},
		{"at most MaxGroupMessages", 12, 1, MaxGroupMessages, "… and 2 more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			d := newTestDispatcher(t, groupConfig(&alert.Grouping{Wait: hour, MaxObjects: tt.max}, false), rec)
			for i := range tt.objects {
				res, err := d.Dispatch(context.Background(), newEvent("Kustomization", fmt.Sprintf("app-%03d", i), "error", fmt.Sprintf("failed app-%03d", i)))
				require.NoError(t, err)
				require.True(t, res[0].Deferred)
			}
			assert.Empty(t, rec.delivered(), "nothing before the group is sent")
			require.NoError(t, d.Flush(context.Background()))
			got := rec.delivered()
			require.Len(t, got, tt.wantMsgs)
			assert.Contains(t, got[len(got)-1].Data.Message, tt.wantLast)
			if tt.objects > 1 {
				assert.Equal(t, "Alert", got[0].Data.Object.Kind)
				assert.Equal(t, ReasonGrouped, got[0].Data.Reason)
				assert.Equal(t, "error", got[0].Data.Severity)
				assert.Contains(t, got[0].Data.Message, "• Kustomization/flux-system/app-000: failing since 20")
			}
			require.NoError(t, d.Flush(context.Background()))
			assert.Len(t, rec.delivered(), tt.wantMsgs, "a group is sent once")
		})
	}
}

// TestGroup_transitions: failures and recoveries of many objects become
// one message each, with the number of failures of each.
func TestGroup_transitions(t *testing.T) {
	rec := &recorder{}
	d := newTestDispatcher(t, groupConfig(&alert.Grouping{Wait: hour}, true), rec)
	ctx := context.Background()
	for _, sev := range []string{"error", "error", "error", "info"} {
		for i := range 3 {
			_, err := d.Dispatch(ctx, newEvent("Kustomization", fmt.Sprintf("app-%d", i), sev, sev+fmt.Sprint(time.Now().UnixNano())))
			require.NoError(t, err)
		}
		require.NoError(t, d.Flush(ctx))
	}
	got := rec.delivered()
	require.Len(t, got, 2, "the failures, then the recoveries")
	assert.Contains(t, got[0].Data.Message, "3 of 3 objects: 3 failing")
	assert.Contains(t, got[1].Data.Message, "3 of 3 objects: 0 failing, 3 recovered or fine")
	assert.Contains(t, got[1].Data.Message, "• Kustomization/flux-system/app-2: recovered at ")
	assert.Contains(t, got[1].Data.Message, "after 3 failures")
	assert.Equal(t, "info", got[1].Data.Severity)
}

// TestGroup_timer: a group is sent group.wait after it opened.
func TestGroup_timer(t *testing.T) {
	rec := &recorder{}
	d := newTestDispatcher(t, groupConfig(&alert.Grouping{Wait: metav1.Duration{Duration: time.Millisecond}}, false), rec)
	for i := range 2 {
		_, err := d.Dispatch(context.Background(), newEvent("Kustomization", fmt.Sprint("app-", i), "error", "failed"))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return len(rec.delivered()) > 0 }, 10*time.Second, time.Millisecond)
}

// TestGroup_shutdown: Shutdown sends the open groups; Close leaves them in
// the store, where the next Dispatcher on it finds them.
func TestGroup_shutdownAndRestart(t *testing.T) {
	path := t.TempDir() + "/state.db"
	cfg := groupConfig(&alert.Grouping{Wait: hour}, false)
	run := func(stop func(d *Dispatcher), names ...string) *recorder {
		t.Helper()
		s, err := state.OpenFile(path)
		require.NoError(t, err)
		defer s.Close()
		rec := &recorder{}
		d, err := New(cfg, WithRegistry(rec.registry(t)), WithLogger(discardLogger()), WithStore(s))
		require.NoError(t, err)
		for _, n := range names {
			_, err := d.Dispatch(context.Background(), newEvent("Kustomization", n, "error", "failed"))
			require.NoError(t, err)
		}
		stop(d)
		return rec
	}
	shutdown := func(d *Dispatcher) { require.NoError(t, d.Shutdown(context.Background())) }
	closeNow := func(d *Dispatcher) { require.NoError(t, d.Close()) }

	rec := run(closeNow, "app-a", "app-b")
	assert.Empty(t, rec.delivered(), "Close sends nothing")
	rec = run(shutdown, "app-c")
	got := rec.delivered()
	require.Len(t, got, 1, "the group left by the first process, with the new object")
	for _, n := range []string{"app-a", "app-b", "app-c"} {
		assert.True(t, strings.Contains(got[0].Data.Message, "Kustomization/flux-system/"+n), n)
	}
}

// TestGroup_interval: a group opened after another waits group.wait, or
// until group.interval after the previous one was sent, whichever is later
// (Alertmanager's group_wait and group_interval).
func TestGroup_interval(t *testing.T) {
	rec := &recorder{}
	g := &alert.Grouping{Wait: metav1.Duration{Duration: 30 * time.Second}, Interval: metav1.Duration{Duration: 5 * time.Minute}}
	d := newTestDispatcher(t, groupConfig(g, false), rec)
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	d.now = func() time.Time { return now }
	gkey := groupPrefix + "flux-system/info"
	// due is when the timer that schedule started sends the group: the
	// same flushAt, with the fake clock's now.
	due := func() time.Time {
		d.groups.mu.Lock()
		defer d.groups.mu.Unlock()
		require.NotNil(t, d.groups.timers[gkey], "a timer is running")
		return d.groups.flushAt(gkey, g, d.now())
	}
	send := func(name string) {
		_, err := d.Dispatch(context.Background(), newEvent("Kustomization", name, "error", name))
		require.NoError(t, err)
	}
	send("app-a")
	assert.Equal(t, now.Add(30*time.Second), due(), "the first group waits group.wait")
	require.NoError(t, d.Flush(context.Background())) // sent at 10:00:00
	now = now.Add(time.Minute)
	send("app-b")
	assert.Equal(t, now.Add(4*time.Minute), due(), "the next one waits until group.interval after the previous")
	require.NoError(t, d.Flush(context.Background()))
	now = now.Add(time.Hour)
	send("app-c")
	assert.Equal(t, now.Add(30*time.Second), due(), "long after, group.wait again")
}

// TestGroup_intervalAcrossReplicas: the replica that opens an alert's next
// group waits group.interval after the previous group, even when another
// replica on the same store sent that one.
func TestGroup_intervalAcrossReplicas(t *testing.T) {
	s := state.NewMemory()
	t.Cleanup(func() { _ = s.Close() }) // after the Dispatchers' Shutdown
	g := &alert.Grouping{Wait: metav1.Duration{Duration: 30 * time.Second}, Interval: metav1.Duration{Duration: 5 * time.Minute}}
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := newTestDispatcher(t, groupConfig(g, false), &recorder{}, WithStore(s))
	b := newTestDispatcher(t, groupConfig(g, false), &recorder{}, WithStore(s))
	a.now, b.now = clock, clock
	gkey := groupPrefix + "flux-system/info"
	send := func(d *Dispatcher, name string) {
		_, err := d.Dispatch(context.Background(), newEvent("Kustomization", name, "error", name))
		require.NoError(t, err)
	}
	due := func(d *Dispatcher) time.Time {
		d.groups.mu.Lock()
		defer d.groups.mu.Unlock()
		require.NotNil(t, d.groups.timers[gkey], "a timer is running")
		return d.groups.flushAt(gkey, g, d.now())
	}

	send(a, "app-a")
	require.NoError(t, a.Flush(context.Background())) // a sends at 10:00:00
	now = now.Add(time.Minute)
	send(b, "app-b") // b opens the next group
	assert.WithinDuration(t, now.Add(4*time.Minute), due(b), 0, "group.interval after a's group")
	require.NoError(t, b.Flush(context.Background())) // b sends at 10:01:00
	now = now.Add(6 * time.Minute)
	send(a, "app-c")
	assert.WithinDuration(t, now.Add(30*time.Second), due(a), 0, "after the interval, group.wait again")
}
