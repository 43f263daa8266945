package fluxnotify

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/event"
)

// TestHandler_PendingBytesBounded reproduces issue 11's "100 distinct 3 MiB
// events pending behind a slow Slack", which held 307 MiB (and the default
// of 10,000 pending events allowed about 30 GiB): through the event
// endpoint, while the destination never answers, the events accepted and
// not yet delivered stay within WithMaxPendingBytes, every other one is
// answered 503 with Retry-After, and the heap grows by less than one and a
// half times the bound. Once the destination answers, every accepted event is
// delivered. Under the race detector, sizes and bound are 16 times
// smaller.
func TestHandler_PendingBytesBounded(t *testing.T) {
	tests := []struct {
		name    string
		message int // bytes of each event's message
		events  int
		limit   int64
	}{
		{"3 MiB events, the largest Flux sends", event.MaxSize - 4096, 8, 8 << 20},
		{"100 distinct 1 MiB events", 1 << 20, 100, 16 << 20},
	}
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.message /= pendingScale
			tt.limit /= pendingScale
			rec := &recorder{block: make(chan struct{})}
			var mu sync.Mutex
			outcomes := map[Outcome]int{} // counted only: an observer that kept the events would hold them all
			d := newTestDispatcher(t, cfg, rec, WithMaxPendingBytes(tt.limit), WithDedupWindow(0),
				WithEventObserver(func(_ context.Context, o EventOutcome) {
					mu.Lock()
					defer mu.Unlock()
					outcomes[o.Outcome]++
				}))
			body := func(i int) string {
				msg := fmt.Sprintf("%d ", i) + strings.Repeat("x", tt.message)
				return fmt.Sprintf(`{"involvedObject": {"kind": "Kustomization", "name": "app-%d", "namespace": "flux-system"},
				"severity": "error", "message": %q, "reason": "Failed", "reportingController": "kustomize-controller",
				"timestamp": "2026-11-26T00:00:00Z"}`, i, msg)
			}

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			codes := map[int]int{}
			for i := range tt.events {
				w := httptest.NewRecorder()
				d.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body(i))))
				codes[w.Code]++
				if w.Code == http.StatusServiceUnavailable {
					assert.Equal(t, "1", w.Header().Get("Retry-After"))
					// No body (issue 13): the reason, ErrQueueFull, goes to
					// the event observer (OutcomeRejected, checked below).
					assert.Empty(t, w.Body.String())
				}
			}
			runtime.GC()
			runtime.ReadMemStats(&after)

			n, b := d.Pending()
			size := eventSize(newEvent("Kustomization", "app-00", "error", strings.Repeat("x", tt.message+3)))
			t.Logf("accepted %d, refused %d, pending %d bytes, heap %+.1f MiB", codes[http.StatusAccepted],
				codes[http.StatusServiceUnavailable], b, float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20))
			assert.Equal(t, int(tt.limit/size), codes[http.StatusAccepted], "as many as fit in the bound")
			assert.Equal(t, tt.events-codes[http.StatusAccepted], codes[http.StatusServiceUnavailable], "the rest: 503")
			assert.Equal(t, codes[http.StatusAccepted], n)
			assert.LessOrEqual(t, b, tt.limit)
			growth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			assert.Less(t, growth, tt.limit+tt.limit/2, "memory stays within the bound (an unbounded queue would hold %d KiB)", int64(tt.events*tt.message)>>10)

			close(rec.block)
			require.NoError(t, d.Shutdown(t.Context()))
			assert.Len(t, rec.delivered(), codes[http.StatusAccepted])
			assert.Equal(t, map[Outcome]int{OutcomeAccepted: codes[http.StatusAccepted], OutcomeRejected: codes[http.StatusServiceUnavailable]},
				outcomes)
		})
	}
}

// TestDefaultMaxPendingBytes checks that the default bound is sensible:
// well under 1 GiB, as issue 11 asks, and large enough that every worker
// can hold an event of the largest size Flux sends (so that the bound in
// bytes never idles a worker before the bound in events does).
func TestDefaultMaxPendingBytes(t *testing.T) {
	assert.LessOrEqual(t, DefaultMaxPendingBytes, 256<<20)
	largest := eventSize(newEvent("Kustomization", "app", "error", strings.Repeat("x", event.MaxSize)))
	assert.GreaterOrEqual(t, DefaultMaxPendingBytes/largest, int64(DefaultConcurrency))
	assert.Equal(t, int64(85), DefaultMaxPendingBytes/largest, "as the doc of DefaultMaxPendingBytes says")
}
