package fluxnotify

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/event"
)

func TestDedup_key(t *testing.T) {
	base := func() *event.Event { return newEvent("Kustomization", "app", "error", "health check failed") }
	tests := []struct {
		name   string
		change func(e *event.Event)
		same   bool
	}{
		{"identical", func(*event.Event) {}, true},
		{"other kind", func(e *event.Event) { e.InvolvedObject.Kind = "HelmRelease" }, false},
		{"other namespace", func(e *event.Event) { e.InvolvedObject.Namespace = "apps" }, false},
		{"other name", func(e *event.Event) { e.InvolvedObject.Name = "app2" }, false},
		{"other message", func(e *event.Event) { e.Message = "health check passed" }, false},
		{"other revision", func(e *event.Event) { e.Metadata["kustomize.toolkit.fluxcd.io/revision"] = "main@sha1:ffff" }, false},
		{"origin revision added", func(e *event.Event) {
			e.Metadata["kustomize.toolkit.fluxcd.io/originRevision"] = "v1.2.3@sha256:abcd"
		}, false},
		{"token added", func(e *event.Event) { e.Metadata["kustomize.toolkit.fluxcd.io/token"] = "7d3f" }, false},
		{"unprefixed token added", func(e *event.Event) { e.Metadata["token"] = "7d3f" }, false},
		{"other severity", func(e *event.Event) { e.Severity = "info" }, true},
		{"other reason", func(e *event.Event) { e.Reason = "HealthCheckFailed" }, true},
		{"other time", func(e *event.Event) { e.Timestamp = metav1.NewTime(e.Timestamp.Add(time.Minute)) }, true},
		{"other controller", func(e *event.Event) { e.ReportingController = "helm-controller" }, true},
		{"unrelated metadata", func(e *event.Event) { e.Metadata["kustomize.toolkit.fluxcd.io/checksum"] = "x" }, true},
		// Length prefixes keep field boundaries: "ab"+"c" is not "a"+"bc".
		{"shifted boundary", func(e *event.Event) {
			e.InvolvedObject.Namespace, e.InvolvedObject.Name = "flux-system"+"a", "pp"
		}, false},
	}
	d := newDedup(time.Minute, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := base()
			tt.change(e)
			assert.Equal(t, tt.same, d.key(base()) == d.key(e))
		})
	}
}

func TestDedup_fixedWindow(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	d := newDedup(5*time.Minute, 0)
	d.now = func() time.Time { return now }
	e := newEvent("Kustomization", "app", "error", "boom")
	other := newEvent("Kustomization", "app", "error", "bang")

	steps := []struct {
		at    time.Duration
		event *event.Event
		want  bool
	}{
		{0, e, true},
		{time.Second, e, false},
		{time.Second, other, true},
		{4 * time.Minute, e, false}, // a duplicate does not extend the window
		{5 * time.Minute, e, true},  // the window has ended
		{5*time.Minute + time.Second, e, false},
		{5*time.Minute + time.Second, other, true},
	}
	start := now
	for i, s := range steps {
		now = start.Add(s.at)
		assert.Equal(t, s.want, d.admit(s.event), "step %d at %s", i, s.at)
	}
	assert.Equal(t, 2, d.len())
	now = start.Add(time.Hour)
	assert.True(t, d.admit(newEvent("Kustomization", "x", "error", "y")))
	assert.Equal(t, 1, d.len(), "expired entries are forgotten")
}

func TestDedup_evictsOldestWhenFull(t *testing.T) {
	d := newDedup(time.Hour, 3)
	ev := func(msg string) *event.Event { return newEvent("Kustomization", "app", "error", msg) }
	for _, m := range []string{"a", "b", "c", "d"} {
		require.True(t, d.admit(ev(m)))
	}
	assert.Equal(t, 3, d.len())
	assert.False(t, d.admit(ev("d")), "recent entries are kept")
	assert.False(t, d.admit(ev("b")))
	assert.True(t, d.admit(ev("a")), "the oldest entry was evicted")
}

func TestDedup_boundedMemory(t *testing.T) {
	const capacity = 1000
	d := newDedup(time.Hour, capacity)
	// A million distinct events (a hundred thousand under the race
	// detector, which makes each one ten times slower), as distinct keys:
	// TestDedup_key shows that distinct events have distinct keys.
	for i := range uint64(distinctEvents) {
		if _, ok := d.reserve(i * 0x9e3779b97f4a7c15); !ok {
			t.Fatalf("event %d is distinct but was refused", i)
		}
	}
	assert.Equal(t, capacity, d.len())
	assert.Equal(t, capacity, len(d.ring), "the ring never grows past the capacity")
	assert.Equal(t, capacity, d.n)
}

func TestDedup_concurrentDuplicates(t *testing.T) {
	d := newDedup(time.Hour, 0)
	e := newEvent("Kustomization", "app", "error", "boom")
	var admitted atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if d.admit(e) {
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, admitted.Load())
}

func TestDedup_nilAdmitsEverything(t *testing.T) {
	var d *dedup
	e := newEvent("Kustomization", "app", "error", "boom")
	assert.True(t, d.admit(e))
	assert.True(t, d.admit(e))
}
