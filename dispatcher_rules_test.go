package fluxnotify

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
	"github.com/fluxnotify/fluxnotify/provider"
)

const testSHA = "5394cb7f48332b2de7c17dd8b8384bbc84b7e738"

// rulesRegistry is rec's registry with rec's notifier registered for
// "github" and "generic" too.
func rulesRegistry(t *testing.T, rec *recorder) *provider.Registry {
	t.Helper()
	reg := rec.registry(t)
	f, ok := reg.Lookup("test")
	require.True(t, ok)
	require.NoError(t, reg.Register("github", f))
	require.NoError(t, reg.Register("generic", f))
	return reg
}

// rulesConfig has one alert on every Kustomization (any severity) per
// provider given.
func rulesConfig(providers ...provider.Provider) *Config {
	cfg := &Config{Providers: providers}
	for _, p := range providers {
		cfg.Alerts = append(cfg.Alerts, newAlert("to-"+p.Name, p.Name, alert.Threshold("info"), source("Kustomization", "*")))
		if p.Spec.SecretRef != nil {
			cfg.Secrets = append(cfg.Secrets, newSecret(p.Spec.SecretRef.Name, "https://hooks.example/"+p.Name))
		}
	}
	return cfg
}

// commitStatusEvent is what kustomize-controller emits after a successful
// reconciliation, for commit-status providers.
func commitStatusEvent() *event.Event {
	e := newEvent("Kustomization", "apps", "info", "Reconciliation finished")
	e.Reason = "ReconciliationSucceeded"
	e.Metadata = map[string]string{
		"kustomize.toolkit.fluxcd.io/revision":      "main@sha1:" + testSHA,
		"kustomize.toolkit.fluxcd.io/commit_status": "update",
	}
	return e
}

func routesByAlert(t *testing.T, routing *Routing) map[string]Route {
	t.Helper()
	out := map[string]Route{}
	for _, r := range routing.Routes {
		out[r.Alert] = r
	}
	return out
}

// TestDispatch_commitStatusUpdate mirrors the first check of Flux's
// getNotificationParams: a commit-status update reaches a github Provider
// and skips a Slack one, with the reason, in both modes.
func TestDispatch_commitStatusUpdate(t *testing.T) {
	rec := &recorder{}
	var logs bytes.Buffer
	cfg := rulesConfig(newProvider("github", "github"), newProvider("slack", "slack"), newProvider("generic", "generic"))
	reg := rulesRegistry(t, rec)
	require.NoError(t, reg.Register("slack", func(p *provider.Provider, c provider.Credentials) (provider.Notifier, error) {
		return nil, errors.New("the slack notifier must not be built")
	}))
	d := newTestDispatcher(t, cfg, rec, WithRegistry(reg), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), WithDedupWindow(0))

	routing, err := d.Route(t.Context(), commitStatusEvent())
	require.NoError(t, err)
	routes := routesByAlert(t, routing)
	require.Len(t, routes, 3)
	assert.NoError(t, routes["flux-system/to-github"].Err)
	assert.NoError(t, routes["flux-system/to-generic"].Err)
	skipped := routes["flux-system/to-slack"]
	require.ErrorIs(t, skipped.Err, provider.ErrSkipped)
	var se *provider.SkipError
	require.ErrorAs(t, skipped.Err, &se)
	assert.Equal(t, provider.SkipCommitStatusUpdate, se.Rule)
	assert.Contains(t, skipped.Err.Error(), "alert flux-system/to-slack: provider flux-system/slack: skipped by Flux's delivery rule commit-status-update")
	assert.True(t, skipped.Notifier)
	assert.Empty(t, skipped.Payload)

	results, err := d.Dispatch(t.Context(), commitStatusEvent())
	require.NoError(t, err, "a skip is not a failure")
	require.Len(t, results, 3)
	for _, r := range results {
		if r.Alert == "flux-system/to-slack" {
			assert.ErrorIs(t, r.Err, provider.ErrSkipped)
			assert.False(t, r.Delivered())
			assert.Zero(t, r.Attempts)
			continue
		}
		assert.True(t, r.Delivered(), r.Alert)
	}
	assert.Len(t, rec.delivered(), 2)
	assert.Contains(t, logs.String(), "skipped by Flux's delivery rules")
	assert.NotContains(t, logs.String(), "level=ERROR")

	// Flux mode applies the same rules.
	dFlux := newTestDispatcher(t, cfg, &recorder{}, WithRegistry(reg), WithMode(match.Flux), WithDedupWindow(0))
	routing, err = dFlux.Route(t.Context(), commitStatusEvent())
	require.NoError(t, err)
	assert.ErrorIs(t, routesByAlert(t, routing)["flux-system/to-slack"].Err, provider.ErrSkipped)
}

// TestDispatch_skipRules runs each rule of provider.Skip through Route and
// Dispatch: the pair is listed, with the rule, and nothing is delivered.
func TestDispatch_skipRules(t *testing.T) {
	rec := &recorder{}
	comments := newProvider("comments", "githubpullrequestcomment")
	cfg := rulesConfig(newProvider("github", "github"), comments)
	d := newTestDispatcher(t, cfg, rec, WithRegistry(rulesRegistry(t, rec)), WithDedupWindow(0))

	withRevision := func(severity, reason, revision string) *event.Event {
		e := newEvent("Kustomization", "apps", severity, "m")
		e.Reason = reason
		e.Metadata = map[string]string{"kustomize.toolkit.fluxcd.io/revision": revision}
		return e
	}
	tests := []struct {
		name     string
		e        *event.Event
		alert    string
		want     provider.SkipRule
		delivers bool
	}{
		{"info without commit key to github", withRevision("info", "ReconciliationSucceeded", "main@sha1:"+testSHA), "flux-system/to-github", provider.SkipNoCommit, false},
		{"error to github", withRevision("error", "HealthCheckFailed", "main@sha1:"+testSHA), "flux-system/to-github", provider.NoSkip, true},
		{"error without a commit to github", withRevision("error", "HealthCheckFailed", "0.28.0"), "flux-system/to-github", provider.SkipRevisionNotCommit, false},
		{"Progressing to github", withRevision("error", "Progressing", "main@sha1:"+testSHA), "flux-system/to-github", provider.SkipProgressing, false},
		{"no change request to comments", withRevision("error", "HealthCheckFailed", "main@sha1:"+testSHA), "flux-system/to-comments", provider.SkipNoChangeRequest, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			routing, err := d.Route(t.Context(), tt.e)
			require.NoError(t, err)
			r, ok := routesByAlert(t, routing)[tt.alert]
			require.True(t, ok, "the pair is listed")
			var se *provider.SkipError
			if tt.want == provider.NoSkip {
				assert.False(t, errors.As(r.Err, &se), "%v", r.Err)
			} else {
				require.ErrorAs(t, r.Err, &se)
				assert.Equal(t, tt.want, se.Rule)
			}
			before := len(rec.delivered())
			results, _ := d.Dispatch(t.Context(), tt.e)
			for _, res := range results {
				if res.Alert == tt.alert {
					assert.Equal(t, tt.delivers, res.Delivered(), "%v", res.Err)
				}
			}
			if tt.delivers {
				assert.Len(t, rec.delivered(), before+1)
			}
		})
	}
}

// TestDispatch_serviceAccountName mirrors Flux's check of the object-level
// workload identity feature gate in getNotificationParams: off by default,
// a failure; it comes after the event server's rules and before the
// notifiers' own.
func TestDispatch_serviceAccountName(t *testing.T) {
	withSA := newProvider("github", "github")
	withSA.Spec.ServiceAccountName = "flux-notifier"
	withSA.Spec.SecretRef = nil
	withSA.Spec.Address = "https://github.com/org/repo"
	cfg := rulesConfig(withSA)
	e := newEvent("Kustomization", "apps", "error", "boom")
	e.Metadata = map[string]string{"kustomize.toolkit.fluxcd.io/revision": "main@sha1:" + testSHA}

	rec := &recorder{}
	d := newTestDispatcher(t, cfg, rec, WithRegistry(rulesRegistry(t, rec)), WithDedupWindow(0))
	routing, err := d.Route(t.Context(), e)
	require.NoError(t, err)
	require.Len(t, routing.Routes, 1)
	assert.ErrorIs(t, routing.Routes[0].Err, ErrWorkloadIdentity)
	results, err := d.Dispatch(t.Context(), e)
	assert.ErrorIs(t, err, ErrWorkloadIdentity, "a failure")
	require.Len(t, results, 1)
	assert.Empty(t, rec.delivered())

	// The event server's rules come first: a skip, not a failure.
	info := newEvent("Kustomization", "apps", "info", "ok")
	routing, err = d.Route(t.Context(), info)
	require.NoError(t, err)
	assert.ErrorIs(t, routing.Routes[0].Err, provider.ErrSkipped)
	// The notifiers' rules come after: a failure.
	progressing := newEvent("Kustomization", "apps", "error", "boom")
	progressing.Reason = "Progressing"
	routing, err = d.Route(t.Context(), progressing)
	require.NoError(t, err)
	assert.ErrorIs(t, routing.Routes[0].Err, ErrWorkloadIdentity)

	rec = &recorder{}
	d = newTestDispatcher(t, cfg, rec, WithRegistry(rulesRegistry(t, rec)), WithDedupWindow(0), WithObjectLevelWorkloadIdentity())
	results, err = d.Dispatch(t.Context(), e)
	require.NoError(t, err)
	require.Len(t, results, 1)
	assert.True(t, results[0].Delivered())
}

// TestRoute_noNotifier: one of Flux's types that no registered notifier
// delivers routes like any other, marked Notifier false; Dispatch reports
// it as failed while the other routes deliver.
func TestRoute_noNotifier(t *testing.T) {
	rec := &recorder{}
	cfg := rulesConfig(newProvider("team", "test"), newProvider("teams", "msteams"), newProvider("bot", "matrix"))
	cfg.Providers[2].Spec.Address = "https://synapse.${SECRET_DOMAIN}"
	d := newTestDispatcher(t, cfg, rec)
	e := newEvent("Kustomization", "apps", "error", "boom")

	routing, err := d.Route(t.Context(), e)
	require.NoError(t, err)
	routes := routesByAlert(t, routing)
	require.Len(t, routes, 3)
	assert.True(t, routes["flux-system/to-team"].Notifier)
	assert.NoError(t, routes["flux-system/to-team"].Err)
	for _, name := range []string{"flux-system/to-teams", "flux-system/to-bot"} {
		r := routes[name]
		assert.False(t, r.Notifier, name)
		assert.ErrorIs(t, r.Err, provider.ErrNoNotifier, name)
		assert.NotErrorIs(t, r.Err, provider.ErrUnknownType, name)
	}
	assert.Equal(t, "msteams", routes["flux-system/to-teams"].Type)

	results, err := d.Dispatch(t.Context(), e)
	require.Error(t, err)
	assert.ErrorIs(t, err, provider.ErrNoNotifier)
	delivered := 0
	for _, r := range results {
		if r.Delivered() {
			delivered++
		} else {
			assert.ErrorIs(t, r.Err, provider.ErrNoNotifier)
		}
	}
	assert.Equal(t, 1, delivered)
	assert.Len(t, rec.delivered(), 1)
}

// TestRoute_everyFluxType: a configuration with one Provider of each of
// Flux's 34 types loads without a problem and routes to all of them with
// the default registry (slack, discord and rocket deliver).
func TestRoute_everyFluxType(t *testing.T) {
	var providers []provider.Provider
	for _, typ := range provider.FluxTypes() {
		p := newProvider(typeName(typ), typ)
		p.Spec.SecretRef = nil
		p.Spec.Address = "https://example.com/hook"
		providers = append(providers, p)
	}
	cfg := rulesConfig(providers...)
	d, err := New(cfg, WithLogger(discardLogger()))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, d.Shutdown(context.Background())) })

	e := newEvent("Kustomization", "apps", "error", "boom")
	e.Metadata = map[string]string{
		"kustomize.toolkit.fluxcd.io/revision":   "main@sha1:" + testSHA,
		"event.toolkit.fluxcd.io/change_request": "42",
	}
	routing, err := d.Route(t.Context(), e)
	require.NoError(t, err)
	require.Len(t, routing.Routes, 34)
	for _, r := range routing.Routes {
		switch r.Type {
		case "slack", "discord", "rocket":
			assert.True(t, r.Notifier, r.Type)
			assert.NoError(t, r.Err, r.Type)
			assert.NotEmpty(t, r.Payload, r.Type)
		default:
			assert.False(t, r.Notifier, r.Type)
			assert.ErrorIs(t, r.Err, provider.ErrNoNotifier, r.Type)
		}
	}
}

// typeName makes a Kubernetes name of a provider type ("incident.io").
func typeName(typ string) string {
	b := []byte(typ)
	for i, c := range b {
		if c == '.' {
			b[i] = '-'
		}
	}
	return string(b)
}

// TestUpdate_unknownType: an unknown type is a configuration problem from
// Update as from New, with a suggestion; its alert fails with the same
// sentinel.
func TestUpdate_unknownType(t *testing.T) {
	rec := &recorder{}
	d := newTestDispatcher(t, rulesConfig(newProvider("team", "test")), rec, WithDedupWindow(0))
	err := d.Update(rulesConfig(newProvider("team", "tset")))
	require.ErrorIs(t, err, provider.ErrUnknownType)
	assert.ErrorContains(t, err, `provider flux-system/team: spec.type: unknown provider type "tset" (did you mean "test"?)`)
	results, err := d.Dispatch(t.Context(), newEvent("Kustomization", "apps", "error", "boom"))
	require.Len(t, results, 1)
	assert.ErrorIs(t, err, provider.ErrUnknownType)
	assert.ErrorIs(t, results[0].Err, provider.ErrUnknownType)
	routing, err := d.Route(t.Context(), newEvent("Kustomization", "apps", "error", "boom"))
	require.NoError(t, err)
	assert.False(t, routing.Routes[0].Notifier)
}
