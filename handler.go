package fluxnotify

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/fluxnotify/fluxnotify/event"
)

// HealthPath is the path on which the event endpoint answers health
// checks with 200 OK.
const HealthPath = "/healthz"

// Handler returns the Flux-compatible event endpoint of d: the HTTP server
// that Flux controllers post their events to (their --events-addr flag),
// as the notification-controller does. It is the deduplication stage in
// front of the Dispatcher, then Enqueue:
//
//	POST ─► decode ─► dedup ─► Enqueue (queue ─► workers ─► Router ─► notifiers)
//
// A POST on any path other than HealthPath carries one event as JSON (Flux's
// v1 or v1beta1 format). The endpoint answers:
//
//   - 202 Accepted: the event is valid and new; it is queued, delivered by
//     the Dispatcher's workers (Shutdown waits for it), and its outcome is
//     logged and observed;
//   - 400 Bad Request: the body is not JSON, or lacks a required field
//     (the answer says which), or (extended mode) its severity is unknown;
//     in flux mode any severity is accepted, as Flux accepts it, and routed
//     as Flux routes it (to info and unset alerts);
//   - 405 Method Not Allowed: not a POST;
//   - 413 Request Entity Too Large: the body exceeds 3 MiB;
//   - 429 Too Many Requests, with an empty body: the same event was
//     accepted within the deduplication window (WithDedupWindow), as Flux
//     answers; Flux's event recorder never reads the answer, and an empty
//     one leaves its connection reusable. An accepted event is remembered
//     at once (a copy that arrives while it is being delivered gets 429),
//     and forgotten again when it matched no alert or none of its
//     deliveries succeeded, so that it is new when it comes back;
//   - 503 Service Unavailable, with Retry-After: 1 and an empty body: the
//     Dispatcher is closed, or its queue is full (WithMaxPending,
//     WithMaxPendingBytes); Flux's event recorder retries.
//
// GET HealthPath answers 200 OK. The handler is safe for concurrent use and
// holds no state of its own: Update the Dispatcher to change what it routes.
func (d *Dispatcher) Handler() http.Handler { return handler{d} }

type handler struct{ d *Dispatcher }

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == HealthPath {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed: use GET", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed: POST an event", http.StatusMethodNotAllowed)
		return
	}
	if r.ContentLength > event.MaxSize {
		h.d.observeEvent(r.Context(), EventOutcome{Outcome: OutcomeInvalid, Err: event.ErrTooLarge})
		http.Error(w, event.ErrTooLarge.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	// Checked by the Router's rules, as Route, Dispatch and Enqueue check.
	e, err := h.d.Router().decode(http.MaxBytesReader(w, r.Body, event.MaxSize+1))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, event.ErrTooLarge) || errors.As(err, &tooLarge):
		h.d.observeEvent(r.Context(), EventOutcome{Outcome: OutcomeInvalid, Err: event.ErrTooLarge})
		http.Error(w, event.ErrTooLarge.Error(), http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		h.d.observeEvent(r.Context(), EventOutcome{Outcome: OutcomeInvalid, Err: err})
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch err := h.d.enqueue(r.Context(), e, true); {
	case err == nil:
		w.WriteHeader(http.StatusAccepted)
	case errors.Is(err, ErrDuplicate):
		h.d.log.LogAttrs(r.Context(), slog.LevelDebug, "discarding duplicate event", slog.String("object", eventObject(e)))
		// No body: Flux's event recorder never reads the answer, and
		// only an empty one leaves the connection reusable.
		w.WriteHeader(http.StatusTooManyRequests)
	default: // closed or full
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable) // no body, as for 429
	}
}
