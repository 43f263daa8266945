package fluxnotify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
	"github.com/fluxnotify/fluxnotify/template"
)

// recorder is a provider type "test" that records what it is asked to
// deliver, and fails when told to.
type recorder struct {
	mu     sync.Mutex
	got    []*provider.Notification
	creds  []provider.Credentials // of each notifier built
	builds atomic.Int32
	// fail, when set, decides the answer of each attempt.
	fail func(n *provider.Notification, attempt int) error
	// block, when set, holds every Notify until it is closed or ctx ends.
	block    chan struct{}
	entered  atomic.Int32 // Notify calls started
	attempts map[string]int
}

func (r *recorder) registry(t testing.TB) *provider.Registry {
	t.Helper()
	reg := provider.NewRegistry()
	require.NoError(t, reg.Register("test", func(p *provider.Provider, c provider.Credentials) (provider.Notifier, error) {
		r.builds.Add(1)
		r.mu.Lock()
		r.creds = append(r.creds, c)
		r.mu.Unlock()
		return provider.NotifierFunc(func(ctx context.Context, n *provider.Notification) error {
			r.entered.Add(1)
			if r.block != nil {
				select {
				case <-r.block:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.attempts == nil {
				r.attempts = make(map[string]int)
			}
			key := n.Alert.Name + "|" + n.Data.Message
			r.attempts[key]++
			if r.fail != nil {
				if err := r.fail(n, r.attempts[key]); err != nil {
					return err
				}
			}
			r.got = append(r.got, n)
			return nil
		}), nil
	}))
	return reg
}

func (r *recorder) delivered() []*provider.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*provider.Notification(nil), r.got...)
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newAlert(name, providerName string, severity alert.EventSeverity, sources ...alert.CrossNamespaceObjectReference) alert.Alert {
	return alert.Alert{
		TypeMeta:   metav1.TypeMeta{APIVersion: alert.Group + "/v1beta3", Kind: alert.Kind},
		ObjectMeta: metav1.ObjectMeta{Namespace: "flux-system", Name: name},
		Spec: alert.Spec{
			ProviderRef:   corev1.LocalObjectReference{Name: providerName},
			EventSeverity: severity,
			EventSources:  sources,
		},
	}
}

func source(kind, name string) alert.CrossNamespaceObjectReference {
	return alert.CrossNamespaceObjectReference{Kind: kind, Name: name}
}

func newProvider(name, typ string) provider.Provider {
	return provider.Provider{
		TypeMeta:   metav1.TypeMeta{APIVersion: alert.Group + "/v1beta3", Kind: provider.Kind},
		ObjectMeta: metav1.ObjectMeta{Namespace: "flux-system", Name: name},
		Spec: provider.Spec{
			Type:      typ,
			SecretRef: &corev1.LocalObjectReference{Name: name + "-secret"},
		},
	}
}

func newSecret(name, address string) corev1.Secret {
	return corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "flux-system", Name: name},
		StringData: map[string]string{"address": address},
	}
}

func newEvent(kind, name, severity, message string) *event.Event {
	return &event.Event{
		InvolvedObject: corev1.ObjectReference{
			APIVersion: "kustomize.toolkit.fluxcd.io/v1",
			Kind:       kind, Namespace: "flux-system", Name: name,
		},
		Severity:            severity,
		Timestamp:           metav1.NewTime(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)),
		Message:             message,
		Reason:              "ReconciliationFailed",
		ReportingController: "kustomize-controller",
		Metadata:            map[string]string{"kustomize.toolkit.fluxcd.io/revision": "main@sha1:2f3c4d5e"},
	}
}

// testConfig has two alerts on provider "team" (errors from every
// Kustomization; info from app-*, to a channel of its own), one on a
// suspended provider, and one whose provider does not exist.
func testConfig() *Config {
	errorsAlert := newAlert("errors", "team", alert.Threshold("error"), source("Kustomization", "*"))
	infoAlert := newAlert("info", "team", alert.Threshold("info"), source("Kustomization", "app-*"))
	infoAlert.Spec.Channel = "#gitops-updates"
	suspended := newAlert("to-suspended", "paused", alert.Threshold("error"), source("Kustomization", "*"))
	orphan := newAlert("orphan", "nowhere", alert.Threshold("error"), source("Kustomization", "*"))
	team := newProvider("team", "test")
	team.Spec.Channel = "#devops-alerts"
	paused := newProvider("paused", "test")
	paused.Spec.Suspend = true
	return &Config{
		Alerts:    []alert.Alert{errorsAlert, infoAlert, suspended, orphan},
		Providers: []provider.Provider{team, paused},
		Secrets: []corev1.Secret{
			newSecret("team-secret", "https://hooks.example/team"),
			newSecret("paused-secret", "https://hooks.example/paused"),
		},
	}
}

func fastRetries() provider.RetryPolicy {
	return provider.RetryPolicy{Retries: 3, MinWait: time.Microsecond, MaxWait: time.Millisecond}
}

func newTestDispatcher(t *testing.T, cfg *Config, rec *recorder, opts ...Option) *Dispatcher {
	t.Helper()
	opts = append([]Option{WithRegistry(rec.registry(t)), WithLogger(discardLogger()), WithRetryPolicy(fastRetries())}, opts...)
	d, err := New(cfg, opts...)
	require.NotNil(t, d, "New: %v", err)
	t.Cleanup(func() { assert.NoError(t, d.Shutdown(context.Background())) })
	return d
}

func TestNew_options(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
		want string
	}{
		{"zero concurrency", WithConcurrency(0), "WithConcurrency(0): must be at least 1"},
		{"negative window", WithDedupWindow(-time.Second), "WithDedupWindow(-1s): must not be negative"},
		{"negative capacity", WithDedupCapacity(-1), "WithDedupCapacity(-1): must not be negative"},
		{"zero pending", WithMaxPending(0), "WithMaxPending(0): must be at least 1"},
		{"unknown mode", WithMode(match.Mode(9)), "WithMode(Mode(9)): want match.Extended or match.Flux"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(nil, tt.opt)
			assert.Nil(t, d)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestNew_reportsProblemsAndKeepsTheRest(t *testing.T) {
	cfg := testConfig()
	invalid := newAlert("bad-severity", "team", alert.Threshold("critical"), source("Kustomization", "*"))
	unknownType := newProvider("pager", "pagerdutty")
	onUnknown := newAlert("on-pager", "pager", alert.Threshold("error"), source("Kustomization", "*"))
	// One of Flux's types without a notifier is not a problem.
	noNotifier := newProvider("teams", "msteams")
	onNoNotifier := newAlert("on-teams", "teams", alert.Threshold("error"), source("Kustomization", "*"))
	cfg.Alerts = append(cfg.Alerts, invalid, onUnknown, onNoNotifier)
	cfg.Providers = append(cfg.Providers, unknownType, noNotifier)

	rec := &recorder{}
	d, err := New(cfg, WithRegistry(rec.registry(t)), WithLogger(discardLogger()), WithRetryPolicy(fastRetries()))
	require.NotNil(t, d)
	t.Cleanup(func() { assert.NoError(t, d.Shutdown(context.Background())) })
	require.Error(t, err)
	for _, want := range []string{
		`alert flux-system/orphan: spec.providerRef.name: provider not found: no Provider "nowhere" in namespace flux-system`,
		`alert flux-system/bad-severity: spec.eventSeverity`,
		`provider flux-system/pager: spec.type: unknown provider type "pagerdutty" (did you mean "pagerduty"?)`,
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.ErrorIs(t, err, provider.ErrUnknownType)
	assert.ErrorIs(t, err, ErrProviderNotFound)
	assert.NotErrorIs(t, err, provider.ErrNoNotifier)
	assert.NotContains(t, err.Error(), "msteams")

	// The valid alerts still deliver; the broken ones are reported.
	results, err := d.Dispatch(t.Context(), newEvent("Kustomization", "app-a", "error", "boom"))
	require.Error(t, err)
	byAlert := map[string]Result{}
	for _, r := range results {
		byAlert[r.Alert] = r
	}
	assert.True(t, byAlert["flux-system/errors"].Delivered())
	assert.True(t, byAlert["flux-system/info"].Delivered())
	assert.ErrorIs(t, byAlert["flux-system/to-suspended"].Err, ErrSuspended)
	assert.ErrorIs(t, byAlert["flux-system/orphan"].Err, ErrProviderNotFound)
	assert.ErrorContains(t, byAlert["flux-system/orphan"].Err, `no Provider "nowhere"`)
	assert.ErrorIs(t, byAlert["flux-system/on-pager"].Err, provider.ErrUnknownType)
	assert.ErrorIs(t, byAlert["flux-system/on-teams"].Err, provider.ErrNoNotifier)
	assert.Equal(t, "msteams", byAlert["flux-system/on-teams"].Type)
	assert.ErrorIs(t, err, provider.ErrNoNotifier, "a failure Dispatch reports")
	assert.NotContains(t, byAlert, "flux-system/bad-severity")
	assert.Len(t, rec.delivered(), 2)
}

func TestRoute(t *testing.T) {
	rec := &recorder{}
	d := newTestDispatcher(t, testConfig(), rec)

	tests := []struct {
		name      string
		event     *event.Event
		routes    []Route
		unmatched map[string]string // alert -> reason
	}{
		{
			name:  "error from app-a",
			event: newEvent("Kustomization", "app-a", "error", "health check failed"),
			routes: []Route{
				{Alert: "flux-system/errors", Provider: "flux-system/team", Type: "test", Channel: "#devops-alerts", Notifier: true},
				{Alert: "flux-system/info", Provider: "flux-system/team", Type: "test", Channel: "#gitops-updates", Notifier: true},
				{Alert: "flux-system/to-suspended", Provider: "flux-system/paused", Type: "test", Notifier: true},
				{Alert: "flux-system/orphan", Provider: "flux-system/nowhere"},
			},
		},
		{
			name:  "info from infra",
			event: newEvent("Kustomization", "infra", "info", "reconciled"),
			unmatched: map[string]string{
				"flux-system/errors":       "severity info is below error",
				"flux-system/info":         "name infra does not match app-*",
				"flux-system/to-suspended": "severity info is below error",
				"flux-system/orphan":       "severity info is below error",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.Route(t.Context(), tt.event)
			require.NoError(t, err)
			require.Len(t, got.Routes, len(tt.routes))
			for i, want := range tt.routes {
				r := got.Routes[i]
				assert.Equal(t, want.Alert, r.Alert)
				assert.Equal(t, want.Provider, r.Provider)
				assert.Equal(t, want.Type, r.Type)
				assert.Equal(t, want.Channel, r.Channel)
				assert.Equal(t, want.Notifier, r.Notifier, want.Alert)
			}
			reasons := map[string]string{}
			for _, u := range got.Unmatched {
				reasons[u.Alert] = u.Reason
			}
			for alertName, want := range tt.unmatched {
				assert.Contains(t, reasons[alertName], want, alertName)
			}
		})
	}

	t.Run("skips are explained", func(t *testing.T) {
		got, err := d.Route(t.Context(), newEvent("Kustomization", "app-a", "error", "boom"))
		require.NoError(t, err)
		require.Len(t, got.Routes, 4)
		assert.NoError(t, got.Routes[0].Err)
		assert.ErrorIs(t, got.Routes[2].Err, ErrSuspended)
		assert.ErrorContains(t, got.Routes[3].Err, "not found")
	})

	t.Run("needs no secret and sends nothing", func(t *testing.T) {
		cfg := testConfig()
		cfg.Secrets = nil
		rec := &recorder{}
		d := newTestDispatcher(t, cfg, rec)
		got, err := d.Route(t.Context(), newEvent("Kustomization", "app-a", "error", "boom"))
		require.NoError(t, err)
		assert.NoError(t, got.Routes[0].Err)
		assert.Empty(t, rec.delivered())
	})

	t.Run("invalid event", func(t *testing.T) {
		_, err := d.Route(t.Context(), &event.Event{Severity: "error"})
		assert.ErrorIs(t, err, event.ErrInvalid)
	})
}

func TestRoute_invalidAlertIsExplained(t *testing.T) {
	cfg := testConfig()
	cfg.Alerts = append(cfg.Alerts, newAlert("typo", "team", alert.Threshold("eror"), source("Kustomization", "*")))
	d, err := New(cfg, WithRegistry((&recorder{}).registry(t)), WithLogger(discardLogger()))
	require.Error(t, err)
	t.Cleanup(func() { assert.NoError(t, d.Shutdown(context.Background())) })
	got, err := d.Route(t.Context(), newEvent("Kustomization", "app-a", "error", "boom"))
	require.NoError(t, err)
	require.NotEmpty(t, got.Unmatched)
	last := got.Unmatched[len(got.Unmatched)-1]
	assert.Equal(t, "flux-system/typo", last.Alert)
	assert.Contains(t, last.Reason, "invalid: spec.eventSeverity")
	assert.Contains(t, last.Reason, `"eror"`)
}

func TestDispatch(t *testing.T) {
	rec := &recorder{}
	d := newTestDispatcher(t, testConfig(), rec, WithCluster("prod-eu"))

	results, err := d.Dispatch(t.Context(), newEvent("Kustomization", "app-a", "error", "health check failed"))
	require.Error(t, err, "the orphan alert fails")
	require.Len(t, results, 4)
	assert.Equal(t, Result{Alert: "flux-system/errors", Provider: "flux-system/team", Type: "test", Channel: "#devops-alerts", Attempts: 1},
		withoutDuration(results[0]))
	assert.Equal(t, Result{Alert: "flux-system/info", Provider: "flux-system/team", Type: "test", Channel: "#gitops-updates", Attempts: 1},
		withoutDuration(results[1]))
	assert.ErrorIs(t, results[2].Err, ErrSuspended)
	assert.Zero(t, results[2].Attempts)
	assert.ErrorContains(t, results[3].Err, "not found")
	assert.NotErrorIs(t, err, ErrSuspended, "a suspended provider is not a failure")
	assert.ErrorContains(t, err, "alert flux-system/orphan")

	got := rec.delivered()
	require.Len(t, got, 2)
	for _, n := range got {
		assert.Equal(t, "prod-eu", n.Data.Cluster)
		assert.Equal(t, "main@sha1:2f3c4d5e", n.Data.Revision)
		assert.Equal(t, "main@sha1:2f3c4d5e", n.Data.Metadata["revision"], "metadata is merged, prefix stripped")
	}
	assert.Equal(t, []provider.Credentials{{Address: "https://hooks.example/team"}}, rec.creds,
		"credentials are resolved from the Secret, and one notifier is built for both alerts")
}

func withoutDuration(r Result) Result {
	r.Duration, r.Event = 0, nil
	return r
}

func TestDispatch_retriesAndReportsFailures(t *testing.T) {
	tests := []struct {
		name         string
		fail         func(n *provider.Notification, attempt int) error
		wantAttempts int
		wantErr      string
	}{
		{
			name: "retryable then success",
			fail: func(_ *provider.Notification, attempt int) error {
				if attempt < 3 {
					return &provider.Error{StatusCode: 500, Retryable: true}
				}
				return nil
			},
			wantAttempts: 3,
		},
		{
			name: "permanent",
			fail: func(*provider.Notification, int) error {
				return &provider.Error{StatusCode: 404, Code: "channel_not_found"}
			},
			wantAttempts: 1,
			wantErr:      "alert flux-system/errors: provider flux-system/team: after 1 attempt(s): status 404: channel_not_found",
		},
		{
			name: "retries exhausted",
			fail: func(*provider.Notification, int) error {
				return &provider.Error{StatusCode: 429, Retryable: true}
			},
			wantAttempts: 4,
			wantErr:      "after 4 attempt(s): status 429",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Alerts = cfg.Alerts[:1]
			rec := &recorder{fail: tt.fail}
			d := newTestDispatcher(t, cfg, rec)
			results, err := d.Dispatch(t.Context(), newEvent("Kustomization", "app-a", "error", "boom"))
			require.Len(t, results, 1)
			assert.Equal(t, tt.wantAttempts, results[0].Attempts)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				assert.True(t, results[0].Delivered())
				return
			}
			require.Error(t, err)
			assert.ErrorContains(t, results[0].Err, tt.wantErr)
			var pe *provider.Error
			assert.ErrorAs(t, results[0].Err, &pe, "the classified error survives wrapping")
		})
	}
}

func TestDispatch_secretProblemsAreReported(t *testing.T) {
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	cfg.Secrets = nil
	d := newTestDispatcher(t, cfg, &recorder{})
	results, err := d.Dispatch(t.Context(), newEvent("Kustomization", "app-a", "error", "boom"))
	require.Error(t, err)
	require.Len(t, results, 1)
	assert.ErrorIs(t, results[0].Err, provider.ErrSecretNotFound)
	assert.ErrorContains(t, results[0].Err, "alert flux-system/errors: provider flux-system/team: spec.secretRef")
}

func TestDispatch_notifierCache(t *testing.T) {
	secret := newSecret("team-secret", "https://hooks.example/one")
	var mu sync.Mutex
	secrets := provider.SecretGetterFunc(func(_ context.Context, ns, name string) (*corev1.Secret, error) {
		mu.Lock()
		defer mu.Unlock()
		s := secret.DeepCopy()
		return s, nil
	})
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	rec := &recorder{}
	d := newTestDispatcher(t, cfg, rec, WithSecrets(secrets), WithDedupWindow(0))
	ev := newEvent("Kustomization", "app-a", "error", "boom")

	for range 10 {
		_, err := d.Dispatch(t.Context(), ev)
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, rec.builds.Load(), "the notifier is reused while credentials stay the same")

	mu.Lock()
	secret.StringData["address"] = "https://hooks.example/two"
	mu.Unlock()
	_, err := d.Dispatch(t.Context(), ev)
	require.NoError(t, err)
	assert.EqualValues(t, 2, rec.builds.Load(), "a rotated Secret builds a new notifier")

	cfg2 := testConfig()
	cfg2.Alerts = cfg2.Alerts[:1]
	cfg2.Providers[0].Spec.Channel = "#elsewhere"
	require.NoError(t, d.Update(cfg2))
	_, err = d.Dispatch(t.Context(), ev)
	require.NoError(t, err)
	assert.EqualValues(t, 3, rec.builds.Load(), "a changed provider spec builds a new notifier")
}

// TestDispatch_duplicates checks where deduplication applies: at the event
// endpoint by default (see TestHandler), and to Go callers only with
// WithCallerDedup; an event counts once it matched an alert and one
// delivery succeeded (Flux's event server keys its rate limiter the same
// way, see eventKeyFunc in internal/server/event_server.go).
func TestDispatch_duplicates(t *testing.T) {
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	ev := func() *event.Event { return newEvent("Kustomization", "app-a", "error", "boom") }
	tests := []struct {
		name string
		opts []Option
		fail bool           // every delivery fails (permanently)
		send []*event.Event // dispatched in order
		want []error        // one per event: nil, or the error it wraps
		n    int            // deliveries recorded
	}{
		{name: "callers are not deduplicated by default", send: []*event.Event{ev(), ev()}, want: []error{nil, nil}, n: 2},
		{name: "caller dedup within the window", opts: []Option{WithCallerDedup()},
			send: []*event.Event{ev(), ev()}, want: []error{nil, ErrDuplicate}, n: 1},
		{name: "another revision is another event", opts: []Option{WithCallerDedup()},
			send: []*event.Event{ev(), func() *event.Event {
				e := ev()
				e.Metadata["kustomize.toolkit.fluxcd.io/revision"] = "main@sha1:ffff"
				return e
			}()}, want: []error{nil, nil}, n: 2},
		{name: "an event that matches nothing does not count", opts: []Option{WithCallerDedup()},
			send: []*event.Event{newEvent("Kustomization", "app-a", "info", "fine"), newEvent("Kustomization", "app-a", "info", "fine")},
			want: []error{nil, nil}, n: 0},
		{name: "an event whose deliveries all failed is released", opts: []Option{WithCallerDedup()}, fail: true,
			send: []*event.Event{ev(), ev()}, want: []error{errFailed, errFailed}, n: 0},
		{name: "window off", opts: []Option{WithCallerDedup(), WithDedupWindow(0)},
			send: []*event.Event{ev(), ev(), ev()}, want: []error{nil, nil, nil}, n: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			if tt.fail {
				rec.fail = func(*provider.Notification, int) error { return &provider.Error{StatusCode: 404} }
			}
			d := newTestDispatcher(t, cfg, rec, tt.opts...)
			for i, e := range tt.send {
				results, err := d.Dispatch(t.Context(), e)
				switch {
				case tt.want[i] == nil:
					assert.NoError(t, err, "event %d", i)
				case tt.want[i] == errFailed:
					assert.Error(t, err, "event %d", i)
					assert.NotErrorIs(t, err, ErrDuplicate, "event %d", i)
				default:
					assert.ErrorIs(t, err, tt.want[i], "event %d", i)
					assert.Empty(t, results)
				}
			}
			assert.Len(t, rec.delivered(), tt.n)
		})
	}
}

// errFailed stands for "a delivery failure, not a refusal" in tables.
var errFailed = errors.New("delivery failed")

func TestDispatch_concurrencyIsBounded(t *testing.T) {
	const alerts = 8
	cfg := testConfig()
	cfg.Alerts = nil
	for i := range alerts {
		cfg.Alerts = append(cfg.Alerts, newAlert(fmt.Sprintf("a%d", i), "team", alert.Threshold("error"), source("Kustomization", "*")))
	}
	var inFlight, peak atomic.Int32
	reg := provider.NewRegistry()
	release := make(chan struct{})
	require.NoError(t, reg.Register("test", func(*provider.Provider, provider.Credentials) (provider.Notifier, error) {
		return provider.NotifierFunc(func(ctx context.Context, n *provider.Notification) error {
			now := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				p := peak.Load()
				if now <= p || peak.CompareAndSwap(p, now) {
					break
				}
			}
			<-release
			return nil
		}), nil
	}))
	d, err := New(cfg, WithRegistry(reg), WithLogger(discardLogger()), WithConcurrency(3))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, d.Shutdown(context.Background())) })

	done := make(chan []Result)
	go func() {
		results, _ := d.Dispatch(context.Background(), newEvent("Kustomization", "x", "error", "boom"))
		done <- results
	}()
	for inFlight.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	results := <-done
	require.Len(t, results, alerts)
	for _, r := range results {
		assert.True(t, r.Delivered())
	}
	assert.EqualValues(t, 3, peak.Load())
}

func TestUpdate_whileEventsFlow(t *testing.T) {
	rec := &recorder{}
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	d := newTestDispatcher(t, cfg, rec, WithDedupWindow(0))

	other := testConfig()
	other.Alerts = other.Alerts[1:2] // info alert only: app-* to #gitops-updates

	var wg sync.WaitGroup
	var delivered atomic.Int64
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				results, _ := d.Dispatch(context.Background(), newEvent("Kustomization", "app-a", "error", fmt.Sprintf("w%d-%d", w, i)))
				require.Len(t, results, 1, "every event sees one whole configuration")
				if results[0].Delivered() {
					delivered.Add(1)
				}
			}
		})
	}
	for i := range 50 {
		if i%2 == 0 {
			assert.NoError(t, d.Update(other))
		} else {
			assert.NoError(t, d.Update(cfg))
		}
	}
	wg.Wait()
	assert.EqualValues(t, 800, delivered.Load())
	assert.Len(t, rec.delivered(), 800)

	require.NoError(t, d.Update(other))
	got, err := d.Route(t.Context(), newEvent("Kustomization", "app-a", "error", "boom"))
	require.NoError(t, err)
	require.Len(t, got.Routes, 1)
	assert.Equal(t, "flux-system/info", got.Routes[0].Alert)
}

func TestClose(t *testing.T) {
	t.Run("waits for deliveries in flight", func(t *testing.T) {
		cfg := testConfig()
		cfg.Alerts = cfg.Alerts[:1]
		rec := &recorder{block: make(chan struct{})}
		d, err := New(cfg, WithRegistry(rec.registry(t)), WithLogger(discardLogger()))
		require.NoError(t, err)

		var results []Result
		dispatched := make(chan struct{})
		go func() {
			defer close(dispatched)
			results, _ = d.Dispatch(context.Background(), newEvent("Kustomization", "app-a", "error", "boom"))
		}()
		require.Eventually(t, func() bool { return rec.entered.Load() > 0 }, testWait, pollEvery)

		closed := make(chan error)
		go func() { closed <- d.Shutdown(context.Background()) }()
		select {
		case <-closed:
			t.Fatal("Close returned while a delivery was in flight")
		case <-time.After(20 * time.Millisecond):
		}
		close(rec.block)
		require.NoError(t, <-closed)
		<-dispatched
		require.Len(t, results, 1)
		assert.True(t, results[0].Delivered())

		_, err = d.Dispatch(context.Background(), newEvent("Kustomization", "app-a", "error", "later"))
		assert.ErrorIs(t, err, ErrClosed)
	})

	t.Run("cancels when its context ends", func(t *testing.T) {
		cfg := testConfig()
		cfg.Alerts = cfg.Alerts[:1]
		rec := &recorder{block: make(chan struct{})}
		d, err := New(cfg, WithRegistry(rec.registry(t)), WithLogger(discardLogger()), WithRetryPolicy(provider.RetryPolicy{Retries: -1}))
		require.NoError(t, err)
		var results []Result
		dispatched := make(chan struct{})
		go func() {
			defer close(dispatched)
			results, _ = d.Dispatch(context.Background(), newEvent("Kustomization", "app-a", "error", "boom"))
		}()
		require.Eventually(t, func() bool { return rec.entered.Load() > 0 }, testWait, pollEvery)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err = d.Shutdown(ctx)
		assert.ErrorIs(t, err, context.Canceled)
		<-dispatched
		require.Len(t, results, 1)
		assert.ErrorIs(t, results[0].Err, context.Canceled, "the cancelled delivery is reported, not lost")
		assert.NoError(t, d.Shutdown(context.Background()), "a second Close waits and succeeds")
	})
}

// idleCloser is a notifier that counts the calls of CloseIdleConnections.
// With block, Notify waits until its context ends.
type idleCloser struct {
	block           bool
	entered, closed atomic.Int32
}

func (n *idleCloser) Notify(ctx context.Context, _ *provider.Notification) error {
	n.entered.Add(1)
	if !n.block {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

func (n *idleCloser) CloseIdleConnections() { n.closed.Add(1) }

// TestClose_releasesConnections checks that the notifiers' connections are
// released however Close ends: at once when nothing is in flight, and once
// the cancelled deliveries end when Close's context ends first.
func TestClose_releasesConnections(t *testing.T) {
	tests := []struct {
		name     string
		inFlight bool
	}{
		{"nothing in flight", false},
		{"context ends while a delivery is in flight", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &idleCloser{block: tt.inFlight}
			reg := provider.NewRegistry()
			require.NoError(t, reg.Register("test", func(*provider.Provider, provider.Credentials) (provider.Notifier, error) {
				return n, nil
			}))
			cfg := testConfig()
			cfg.Alerts = cfg.Alerts[:1]
			d, err := New(cfg, WithRegistry(reg), WithLogger(discardLogger()), WithRetryPolicy(provider.RetryPolicy{Retries: -1}))
			require.NoError(t, err)

			dispatched := make(chan struct{})
			go func() {
				defer close(dispatched)
				_, _ = d.Dispatch(context.Background(), newEvent("Kustomization", "app-a", "error", "boom"))
			}()
			if tt.inFlight {
				require.Eventually(t, func() bool { return n.entered.Load() > 0 }, testWait, pollEvery)
				closeCtx, closeCancel := context.WithCancel(context.Background())
				closeCancel()
				assert.ErrorIs(t, d.Shutdown(closeCtx), context.Canceled)
			} else {
				<-dispatched
				assert.NoError(t, d.Shutdown(context.Background()))
			}
			<-dispatched
			require.Eventually(t, func() bool { return n.closed.Load() > 0 }, testWait, pollEvery,
				"the idle connections of the notifier are closed without a second Close")
		})
	}
}

func TestMode_flux(t *testing.T) {
	cfg := testConfig()
	unset := newAlert("unset", "team", alert.EventSeverity{}, source("Kustomization", "*"))
	cfg.Alerts = []alert.Alert{unset}
	ev := newEvent("Kustomization", "app-a", "info", "reconciled")
	for _, tt := range []struct {
		mode    match.Mode
		matches int
	}{{match.Extended, 0}, {match.Flux, 1}} {
		t.Run(tt.mode.String(), func(t *testing.T) {
			d := newTestDispatcher(t, cfg, &recorder{}, WithMode(tt.mode))
			got, err := d.Route(t.Context(), ev)
			require.NoError(t, err)
			assert.Len(t, got.Routes, tt.matches)
		})
	}
}

func TestDispatch_invalidEvent(t *testing.T) {
	rec := &recorder{}
	d := newTestDispatcher(t, testConfig(), rec)
	for _, tt := range []struct {
		name  string
		event *event.Event
	}{
		{"missing fields", &event.Event{InvolvedObject: corev1.ObjectReference{Kind: "Kustomization"}}},
		{"nil", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			results, err := d.Dispatch(t.Context(), tt.event)
			require.ErrorIs(t, err, event.ErrInvalid)
			assert.False(t, errors.Is(err, ErrDuplicate))
			assert.Empty(t, results)
			routing, err := d.Route(t.Context(), tt.event)
			require.ErrorIs(t, err, event.ErrInvalid)
			assert.Nil(t, routing)
		})
	}
	assert.Empty(t, rec.delivered())
}

// testWait and pollEvery bound require.Eventually: generous, since the
// machine running the tests may be busy.
const (
	testWait  = 10 * time.Second
	pollEvery = time.Millisecond
)

func TestNew_templates(t *testing.T) {
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:2] // errors and info, both on provider team
	cfg.Providers[0].Spec.Template = &template.Spec{Text: "{{ .Object.Name }}: {{ .Message"}
	cfg.Alerts[1].Spec.Template = &template.Spec{Text: "[{{ .Severity }}] {{ .Message }}"}
	rec := &recorder{}
	d, err := New(cfg, WithRegistry(rec.registry(t)), WithLogger(discardLogger()), WithRetryPolicy(fastRetries()))
	require.NotNil(t, d)
	t.Cleanup(func() { assert.NoError(t, d.Shutdown(context.Background())) })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "provider flux-system/team: spec.template.text: ")

	results, err := d.Dispatch(t.Context(), newEvent("Kustomization", "app-a", "error", "boom"))
	require.Error(t, err)
	require.Len(t, results, 2)
	assert.ErrorContains(t, results[0].Err, "alert flux-system/errors: provider flux-system/team: spec.template.text: ",
		"the alert without a template of its own cannot use the provider's broken one")
	assert.True(t, results[1].Delivered(), "the alert's own template replaces the provider's")
	got := rec.delivered()
	require.Len(t, got, 1)
	require.NotNil(t, got[0].Template)
	msg, err := got[0].Template.Render(got[0].Data, nil)
	require.NoError(t, err)
	assert.Equal(t, "[error] boom", msg.Text)

	cfg.Alerts[1].Spec.Template = &template.Spec{Fields: []template.Field{{Title: "ok", Value: "{{ .Nope }"}}}
	err = d.Update(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "alert flux-system/info: spec.template.fields[0].value: ")
}

// TestDispatch_faults sends 1,000 events to a Slack sink that answers 30%
// of requests with 500 and 10% with 429: every event ends delivered exactly
// once or reported failed, never lost and never duplicated.
func TestDispatch_faults(t *testing.T) {
	const events = 1000
	sink := slacktest.NewServer()
	defer sink.Close()
	var mu sync.Mutex
	rnd := rand.New(rand.NewPCG(1, 2))
	okPerEvent := map[string]int{}
	sink.RespondFunc(func(r slacktest.Request) slacktest.Answer {
		id := eventID.FindString(string(r.Body))
		mu.Lock()
		defer mu.Unlock()
		switch x := rnd.IntN(100); {
		case x < 30:
			return slacktest.ServerError()
		case x < 40:
			return slacktest.TooManyRequests("0")
		}
		okPerEvent[id]++
		return slacktest.OK()
	})

	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	cfg.Providers = cfg.Providers[:1]
	cfg.Providers[0].Spec.Type = slack.Type
	cfg.Secrets = []corev1.Secret{newSecret("team-secret", sink.WebhookURL())}
	d, err := New(cfg, WithLogger(discardLogger()), WithConcurrency(4),
		WithRetryPolicy(provider.RetryPolicy{Retries: 4, MinWait: time.Millisecond, MaxWait: 4 * time.Millisecond}))
	require.NoError(t, err)
	defer func() { assert.NoError(t, d.Shutdown(context.Background())) }()

	var delivered, failed atomic.Int64
	var wg sync.WaitGroup
	var failedIDs sync.Map
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < events; i += 16 {
				id := fmt.Sprintf("event-%04d", i)
				results, err := d.Dispatch(context.Background(), newEvent("Kustomization", "app-a", "error", id+" failed"))
				if !assert.Len(t, results, 1) {
					continue
				}
				if results[0].Delivered() {
					assert.NoError(t, err)
					delivered.Add(1)
					continue
				}
				assert.Error(t, err)
				var pe *provider.Error
				assert.ErrorAs(t, results[0].Err, &pe, "the failure is classified")
				assert.Equal(t, 5, results[0].Attempts, "a retryable failure is retried until the policy gives up")
				failed.Add(1)
				failedIDs.Store(id, true)
			}
		})
	}
	wg.Wait()

	assert.EqualValues(t, events, delivered.Load()+failed.Load())
	assert.Positive(t, failed.Load(), "with 40%% failures and 5 attempts, about 1%% of events fail")
	assert.LessOrEqual(t, sink.Connections(), 8, "connections are reused, through 500 and 429 answers too")
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, okPerEvent, int(delivered.Load()), "one accepted post per delivered event")
	for id, n := range okPerEvent {
		assert.Equal(t, 1, n, "%s delivered %d times", id, n)
		_, lost := failedIDs.Load(id)
		assert.False(t, lost, "%s reported failed but delivered", id)
	}
}

var eventID = regexp.MustCompile(`event-\d{4}`)

func TestNew_matcherOptions(t *testing.T) {
	labelled := newAlert("payments", "team", alert.Threshold("error"), alert.CrossNamespaceObjectReference{
		Kind: "HelmRelease", Name: "*", Namespace: "payments", MatchLabels: map[string]string{"team": "payments"},
	})
	cfg := testConfig()
	cfg.Alerts = []alert.Alert{labelled}
	ev := newEvent("HelmRelease", "checkout", "error", "upgrade failed")
	ev.InvolvedObject.Namespace = "payments"
	labels := match.LabelerFunc(func(context.Context, *corev1.ObjectReference) (map[string]string, error) {
		return map[string]string{"team": "payments"}, nil
	})
	tests := []struct {
		name    string
		opts    []Option
		matches bool
		reason  string
	}{
		{"no labeler", nil, false, "labels"},
		{"labeler", []Option{WithLabeler(labels)}, true, ""},
		{"no cross-namespace refs", []Option{WithLabeler(labels), WithNoCrossNamespaceRefs()}, false, "cross-namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDispatcher(t, cfg, &recorder{}, tt.opts...)
			got, err := d.Route(t.Context(), ev)
			require.NoError(t, err)
			if tt.matches {
				assert.Len(t, got.Routes, 1)
				return
			}
			assert.Empty(t, got.Routes)
			require.Len(t, got.Unmatched, 1)
			assert.Contains(t, got.Unmatched[0].Reason, tt.reason)
		})
	}
}

func TestDispatch_cancelledContext(t *testing.T) {
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	rec := &recorder{}
	d := newTestDispatcher(t, cfg, rec)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	results, err := d.Dispatch(ctx, newEvent("Kustomization", "app-a", "error", "boom"))
	require.Len(t, results, 1)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorContains(t, results[0].Err, "alert flux-system/errors: provider flux-system/team: not delivered")
	assert.Empty(t, rec.delivered())
}

// renderNotifier renders a fixed body offline.
type renderNotifier struct{ body string }

func (renderNotifier) Notify(context.Context, *provider.Notification) error { return nil }
func (r renderNotifier) Render(n *provider.Notification) ([]byte, error) {
	return []byte(strings.ReplaceAll(r.body, "MSG", n.Data.Message)), nil
}

func TestRoute_payload(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"JSON as it is", `{"text":"MSG"}`, `{"text":"boom"}`},
		{"text as a JSON string", `alert: MSG`, `"alert: boom"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := provider.NewRegistry()
			require.NoError(t, reg.Register("test", func(*provider.Provider, provider.Credentials) (provider.Notifier, error) {
				return renderNotifier{tt.body}, nil
			}))
			cfg := testConfig()
			cfg.Alerts = cfg.Alerts[:1]
			d, err := New(cfg, WithRegistry(reg), WithLogger(discardLogger()))
			require.NoError(t, err)
			t.Cleanup(func() { assert.NoError(t, d.Shutdown(context.Background())) })
			got, err := d.Route(t.Context(), newEvent("Kustomization", "app-a", "error", "boom"))
			require.NoError(t, err)
			require.Len(t, got.Routes, 1)
			assert.JSONEq(t, tt.want, string(got.Routes[0].Payload))
		})
	}
}

type brokenRenderer struct{ provider.NotifierFunc }

func (brokenRenderer) Render(*provider.Notification) ([]byte, error) {
	return nil, errors.New("render failed")
}

func TestRoute_suspendedProviderKeepsRenderError(t *testing.T) {
	reg := provider.NewRegistry()
	require.NoError(t, reg.Register("test", func(*provider.Provider, provider.Credentials) (provider.Notifier, error) {
		return brokenRenderer{}, nil
	}))
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[2:3] // to-suspended
	d, err := New(cfg, WithRegistry(reg), WithLogger(discardLogger()))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, d.Shutdown(context.Background())) })

	got, err := d.Route(t.Context(), newEvent("Kustomization", "app-a", "error", "boom"))
	require.NoError(t, err)
	require.Len(t, got.Routes, 1)
	assert.ErrorIs(t, got.Routes[0].Err, ErrSuspended)
	assert.ErrorContains(t, got.Routes[0].Err, "render failed", "the broken payload is not hidden by the suspension")
}
