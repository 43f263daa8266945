package fluxnotify

import (
	"crypto/sha256"
	"fmt"
	"strings"
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
		{"empty origin revision added", func(e *event.Event) { e.Metadata["kustomize.toolkit.fluxcd.io/originRevision"] = "" }, false},
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

// fluxEventKey restates Flux's eventKeyFunc (internal/server/event_server.go).
func fluxEventKey(e *event.Event) string {
	comps := []string{
		"event",
		"name=" + e.InvolvedObject.Name,
		"namespace=" + e.InvolvedObject.Namespace,
		"kind=" + e.InvolvedObject.Kind,
		"message=" + e.Message,
	}
	objectGroup := e.InvolvedObject.GroupVersionKind().Group
	if v, ok := e.Metadata[fmt.Sprintf("%s/%s", objectGroup, "originRevision")]; ok {
		comps = append(comps, "originRevision="+v)
	}
	if v, ok := e.Metadata[fmt.Sprintf("%s/%s", objectGroup, "revision")]; ok {
		comps = append(comps, "revision="+v)
	}
	if v, ok := e.Metadata[fmt.Sprintf("%s/%s", objectGroup, "token")]; ok {
		comps = append(comps, "token="+v)
	}
	return fmt.Sprintf("%x", sha256.Sum256([]byte(strings.Join(comps, "/"))))
}

// TestDedup_fluxKey checks that flux mode's key tells events apart exactly
// as Flux's eventKeyFunc does: for every pair of the events below, the keys
// are equal exactly when Flux's are.
func TestDedup_fluxKey(t *testing.T) {
	const g = "kustomize.toolkit.fluxcd.io/"
	variants := map[string]func(e *event.Event){
		"base":                       func(*event.Event) {},
		"other kind":                 func(e *event.Event) { e.InvolvedObject.Kind = "HelmRelease" },
		"other namespace":            func(e *event.Event) { e.InvolvedObject.Namespace = "apps" },
		"other name":                 func(e *event.Event) { e.InvolvedObject.Name = "app2" },
		"other message":              func(e *event.Event) { e.Message = "health check passed" },
		"other severity":             func(e *event.Event) { e.Severity = "info" },
		"other time":                 func(e *event.Event) { e.Timestamp = metav1.NewTime(e.Timestamp.Add(time.Minute)) },
		"no revision":                func(e *event.Event) { delete(e.Metadata, g+"revision") },
		"empty revision":             func(e *event.Event) { e.Metadata[g+"revision"] = "" },
		"other revision":             func(e *event.Event) { e.Metadata[g+"revision"] = "main@sha1:ffff" },
		"unprefixed revision only":   func(e *event.Event) { delete(e.Metadata, g+"revision"); e.Metadata["revision"] = "main@sha1:ffff" },
		"other group's revision":     func(e *event.Event) { e.Metadata["helm.toolkit.fluxcd.io/revision"] = "x" },
		"origin revision":            func(e *event.Event) { e.Metadata[g+"originRevision"] = "v1@sha256:ab" },
		"empty origin revision":      func(e *event.Event) { e.Metadata[g+"originRevision"] = "" },
		"token":                      func(e *event.Event) { e.Metadata[g+"token"] = "7d3f" },
		"empty token":                func(e *event.Event) { e.Metadata[g+"token"] = "" },
		"unprefixed token":           func(e *event.Event) { e.Metadata["token"] = "7d3f" },
		"commit":                     func(e *event.Event) { e.Metadata[g+"commit"] = "abc" },
		"checksum":                   func(e *event.Event) { e.Metadata[g+"checksum"] = "x" },
		"core group":                 func(e *event.Event) { e.InvolvedObject.APIVersion = "v1" },
		"core group, /revision":      func(e *event.Event) { e.InvolvedObject.APIVersion = "v1"; e.Metadata["/revision"] = "r" },
		"malformed apiVersion":       func(e *event.Event) { e.InvolvedObject.APIVersion = "a/b/c"; e.Metadata["/token"] = "t" },
		"other version, same group":  func(e *event.Event) { e.InvolvedObject.APIVersion = "kustomize.toolkit.fluxcd.io/v1beta2" },
		"message carries a revision": func(e *event.Event) { delete(e.Metadata, g+"revision"); e.Message += "/revision=main@sha1:2f3c4d5e" },
	}
	d := newDedup(time.Minute, 0)
	d.flux = true
	for a, changeA := range variants {
		for b, changeB := range variants {
			ea, eb := newEvent("Kustomization", "app", "error", "health check failed"), newEvent("Kustomization", "app", "error", "health check failed")
			changeA(ea)
			changeB(eb)
			assert.Equal(t, fluxEventKey(ea) == fluxEventKey(eb), d.key(ea) == d.key(eb), "%s vs %s", a, b)
		}
	}
	// An empty revision differs from a missing one, in both modes.
	with, without := newEvent("Kustomization", "app", "error", "m"), newEvent("Kustomization", "app", "error", "m")
	with.Metadata["kustomize.toolkit.fluxcd.io/revision"] = ""
	delete(without.Metadata, "kustomize.toolkit.fluxcd.io/revision")
	assert.NotEqual(t, d.key(with), d.key(without))
	d.flux = false
	assert.NotEqual(t, d.key(with), d.key(without))
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

// TestDedup_keyDoesNotAllocate: both keys are built on the stack.
func TestDedup_keyDoesNotAllocate(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage allocates")
	}
	e := newEvent("Kustomization", "app", "error", "health check failed")
	e.Metadata["kustomize.toolkit.fluxcd.io/token"] = "7d3f"
	for _, flux := range []bool{false, true} {
		d := newDedup(time.Minute, 0)
		d.flux = flux
		allocs := testing.AllocsPerRun(100, func() { _ = d.key(e) })
		assert.Zero(t, allocs, "flux=%v", flux)
	}
}

// The helpers below are the tests' view of a dedup: the Dispatcher reserves
// and releases keys itself (Dispatcher.admit).

// admit reports whether e is new in the window, and remembers it if so. A
// nil dedup (deduplication turned off) admits everything.
func (d *dedup) admit(e *event.Event) bool {
	if d == nil {
		return true
	}
	_, ok := d.reserve(d.key(e))
	return ok
}

// len returns how many events are remembered.
func (d *dedup) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.seen)
}
