package fluxnotify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
	"github.com/fluxnotify/fluxnotify/provider"
)

const validEvent = `{
  "involvedObject": {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "namespace": "flux-system", "name": "app-a"},
  "severity": "error",
  "timestamp": "2026-11-26T00:00:00Z",
  "message": "health check failed",
  "reason": "HealthCheckFailed",
  "reportingController": "kustomize-controller",
  "metadata": {"kustomize.toolkit.fluxcd.io/revision": "main@sha1:2f3c4d5e"}
}`

// v1beta1Event is the older wire format: no action, no relatedObject.
const v1beta1Event = `{"involvedObject":{"kind":"Kustomization","namespace":"flux-system","name":"app-b"},
"severity":"error","timestamp":"2026-11-26T00:00:00Z","message":"apply failed","reason":"ReconciliationFailed",
"reportingController":"kustomize-controller","reportingInstance":"kustomize-controller-7f9c"}`

func TestHandler(t *testing.T) {
	rec := &recorder{}
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	d := newTestDispatcher(t, cfg, rec)
	h := d.Handler()

	huge := `{"message":"` + strings.Repeat("x", 3<<20) + `"}`
	tests := []struct {
		name       string
		method     string
		path       string
		body       io.Reader
		chunked    bool // hide the length, as a chunked upload does
		wantStatus int
		wantBody   string
	}{
		{"health", http.MethodGet, "/healthz", nil, false, http.StatusOK, "ok"},
		{"health HEAD", http.MethodHead, "/healthz", nil, false, http.StatusOK, ""},
		{"POST on health", http.MethodPost, "/healthz", strings.NewReader(validEvent), false, http.StatusMethodNotAllowed, "use GET"},
		{"GET", http.MethodGet, "/", nil, false, http.StatusMethodNotAllowed, "POST an event"},
		{"PUT", http.MethodPut, "/", strings.NewReader(validEvent), false, http.StatusMethodNotAllowed, "POST an event"},
		{"bad JSON", http.MethodPost, "/", strings.NewReader(`{"involvedObject": `), false, http.StatusBadRequest, "invalid event"},
		{"not an object", http.MethodPost, "/", strings.NewReader(`[1, 2]`), false, http.StatusBadRequest, "invalid event"},
		{"empty body", http.MethodPost, "/", strings.NewReader(``), false, http.StatusBadRequest, "empty body"},
		{"missing fields", http.MethodPost, "/", strings.NewReader(`{"severity":"error"}`), false, http.StatusBadRequest,
			"involvedObject.kind: required; involvedObject.name: required; message: required"},
		{"unknown severity", http.MethodPost, "/", strings.NewReader(strings.Replace(validEvent, `"error"`, `"fatal"`, 1)), false,
			http.StatusBadRequest, `severity: unknown value "fatal"`},
		{"huge body", http.MethodPost, "/", strings.NewReader(huge), false, http.StatusRequestEntityTooLarge, "exceeds 3 MiB"},
		{"huge chunked body", http.MethodPost, "/", strings.NewReader(huge), true, http.StatusRequestEntityTooLarge, "exceeds 3 MiB"},
		{"valid", http.MethodPost, "/", strings.NewReader(validEvent), false, http.StatusAccepted, ""},
		{"duplicate", http.MethodPost, "/", strings.NewReader(validEvent), false, http.StatusTooManyRequests, ""},
		{"v1beta1 on another path", http.MethodPost, "/events", strings.NewReader(v1beta1Event), true, http.StatusAccepted, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, tt.body)
			if tt.chunked {
				req.ContentLength = -1
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			assert.Equal(t, tt.wantStatus, w.Code, w.Body.String())
			assert.Contains(t, w.Body.String(), tt.wantBody)
			if tt.wantStatus == http.StatusMethodNotAllowed {
				assert.NotEmpty(t, w.Header().Get("Allow"))
			}
			if tt.wantStatus == http.StatusTooManyRequests {
				assert.Empty(t, w.Body.String(), "no body: Flux's recorder keeps the connection")
			}
		})
	}

	require.NoError(t, d.Shutdown(context.Background()), "Close waits for the accepted events")
	got := rec.delivered()
	require.Len(t, got, 2, "the two accepted events were delivered")
	messages := []string{got[0].Data.Message, got[1].Data.Message}
	assert.ElementsMatch(t, []string{"health check failed", "apply failed"}, messages)

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Replace(validEvent, "app-a", "app-c", 1))))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, "closed")
	assert.Empty(t, w.Body.String(), "no body: Flux's recorder keeps the connection")
	assert.Equal(t, "1", w.Header().Get("Retry-After"))
}

func TestHandler_tooManyPending(t *testing.T) {
	rec := &recorder{block: make(chan struct{})}
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	d := newTestDispatcher(t, cfg, rec, WithMaxPending(2))
	h := d.Handler()
	post := func(name string) int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Replace(validEvent, "app-a", name, 1))))
		return w.Code
	}
	assert.Equal(t, http.StatusAccepted, post("a"))
	assert.Equal(t, http.StatusAccepted, post("b"))
	assert.Equal(t, http.StatusServiceUnavailable, post("c"), "two events are pending")
	close(rec.block)
	require.NoError(t, d.Shutdown(context.Background()))
	assert.Len(t, rec.delivered(), 2)
	assert.Zero(t, d.pending.Load())
}

func TestHandler_rejectedEventIsNotRemembered(t *testing.T) {
	// An event refused with 503 must be accepted when the recorder retries:
	// it was never delivered, so it is not a duplicate.
	rec := &recorder{block: make(chan struct{})}
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	d := newTestDispatcher(t, cfg, rec, WithMaxPending(1))
	h := d.Handler()
	post := func(body string) int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)))
		return w.Code
	}
	other := strings.Replace(validEvent, "app-a", "app-z", 1)
	require.Equal(t, http.StatusAccepted, post(validEvent))
	require.Equal(t, http.StatusServiceUnavailable, post(other))
	close(rec.block)
	require.Eventually(t, func() bool { return d.pending.Load() == 0 }, testWait, pollEvery)
	assert.Equal(t, http.StatusAccepted, post(other))
}

func TestHandler_overHTTP(t *testing.T) {
	rec := &recorder{}
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	d := newTestDispatcher(t, cfg, rec)
	srv := httptest.NewServer(d.Handler())
	defer srv.Close()

	var body bytes.Buffer
	require.NoError(t, json.Compact(&body, []byte(validEvent)))
	resp, err := http.Post(srv.URL+"/", "application/json", &body)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusAccepted, resp.StatusCode)

	resp, err = http.Get(srv.URL + "/healthz")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	require.NoError(t, d.Shutdown(context.Background()))
	assert.Len(t, rec.delivered(), 1)
}

// FuzzHandler posts arbitrary bodies to the endpoint: it never panics, and
// answers 202 for what decodes into a valid event and 400 or 413 for the
// rest.
func FuzzHandler(f *testing.F) {
	for _, seed := range []string{validEvent, v1beta1Event, ``, `{`, `null`, `[]`, `{"severity":"error"}`,
		`{"involvedObject":{"kind":"K","name":"n"},"severity":"WARNING","message":"m"}`,
		`{"involvedObject":{"kind":"K","name":"n"},"severity":"info","message":"m","metadata":{"a":1}}`} {
		f.Add([]byte(seed))
	}
	reg := provider.NewRegistry()
	if err := reg.Register("test", func(*provider.Provider, provider.Credentials) (provider.Notifier, error) {
		return provider.NotifierFunc(func(context.Context, *provider.Notification) error { return nil }), nil
	}); err != nil {
		f.Fatal(err)
	}
	cfg := testConfig()
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := New(cfg, WithRegistry(reg), WithLogger(discardLogger()))
		require.NotNil(t, d, "%v", err)
		w := httptest.NewRecorder()
		d.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)))
		require.NoError(t, d.Shutdown(context.Background()))
		_, decodeErr := event.Unmarshal(body)
		switch {
		case decodeErr == nil:
			assert.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
		case len(body) > event.MaxSize:
			assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
		default:
			assert.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
		}
	})
}

// FuzzHandlerFlux posts arbitrary bodies to the flux-mode endpoint: it never
// panics, answers 202 for what event.UnmarshalFlux accepts (any severity,
// as Flux's event server) and 400 or 413 for the rest.
func FuzzHandlerFlux(f *testing.F) {
	for _, seed := range []string{validEvent, v1beta1Event, ``, `{`, `null`, `{"severity":"error"}`,
		`{"involvedObject":{"kind":"Kustomization","name":"n"},"message":"m"}`,
		`{"involvedObject":{"kind":"Kustomization","name":"n"},"severity":"ERROR","message":"m"}`,
		`{"involvedObject":{"kind":"K","name":"n"},"severity":"fatal","message":"m","metadata":{"/token":"t"}}`} {
		f.Add([]byte(seed))
	}
	reg := provider.NewRegistry()
	if err := reg.Register("test", func(*provider.Provider, provider.Credentials) (provider.Notifier, error) {
		return provider.NotifierFunc(func(context.Context, *provider.Notification) error { return nil }), nil
	}); err != nil {
		f.Fatal(err)
	}
	cfg := testConfig()
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := New(cfg, WithMode(match.Flux), WithRegistry(reg), WithLogger(discardLogger()))
		require.NotNil(t, d, "%v", err)
		w := httptest.NewRecorder()
		d.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)))
		require.NoError(t, d.Shutdown(context.Background()))
		_, decodeErr := event.UnmarshalFlux(body)
		switch {
		case decodeErr == nil:
			assert.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
		case len(body) > event.MaxSize:
			assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
		default:
			assert.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
		}
	})
}

// TestHandler_validatesAsTheRouter checks that the endpoint checks events by
// the Router's rules, in both modes: it answers 400 with the very error
// that Route (and so Dispatch and Enqueue) gives, and accepts what Route
// accepts. Flux's event server accepts any severity (flux mode), and
// extended mode lists every field at fault at once.
func TestHandler_validatesAsTheRouter(t *testing.T) {
	withSeverity := func(sev string) string {
		return strings.Replace(validEvent, `"severity": "error"`, `"severity": `+sev, 1)
	}
	bodies := []struct{ name, body string }{
		{"valid", validEvent},
		{"v1beta1", v1beta1Event},
		{"unknown severity", withSeverity(`"fatal"`)},
		{"upper-case severity", withSeverity(`"ERROR"`)},
		{"empty severity", withSeverity(`""`)},
		{"no severity", strings.Replace(validEvent, `"severity": "error",`, ``, 1)},
		{"missing fields", `{"severity":"error"}`},
		{"missing fields and unknown severity", `{"severity":"fatal"}`},
		{"no message and unknown severity", `{"involvedObject":{"kind":"Kustomization","name":"a"},"severity":"fatal"}`},
	}
	for _, mode := range []match.Mode{match.Extended, match.Flux} {
		for _, b := range bodies {
			t.Run(mode.String()+"/"+b.name, func(t *testing.T) {
				d := newTestDispatcher(t, testConfig(), &recorder{}, WithMode(mode))
				var e event.Event
				require.NoError(t, json.Unmarshal([]byte(b.body), &e))
				_, routeErr := d.Route(context.Background(), &e)

				w := httptest.NewRecorder()
				d.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(b.body)))
				if routeErr != nil {
					assert.ErrorIs(t, routeErr, event.ErrInvalid)
					assert.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
					assert.Equal(t, routeErr.Error()+"\n", w.Body.String(), "the answer is the Router's error")
					return
				}
				assert.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
			})
		}
	}
}
