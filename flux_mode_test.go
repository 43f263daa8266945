package fluxnotify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
)

// fluxConfig has an unset, an info and an error alert on Kustomizations,
// and one alert of each kind that Flux's API server refuses.
func fluxConfig() *Config {
	cfg := testConfig()
	cfg.Alerts = []alert.Alert{
		newAlert("unset", "team", alert.EventSeverity{}, source("Kustomization", "*")),
		newAlert("info", "team", alert.Threshold("info"), source("Kustomization", "*")),
		newAlert("errors", "team", alert.Threshold("error"), source("Kustomization", "*")),
		newAlert("warn", "team", alert.Threshold("warn"), source("Kustomization", "*")),
		newAlert("list", "team", alert.Exactly("error", "warn"), source("Kustomization", "*")),
		newAlert("lower", "team", alert.Threshold("error"), source("kustomization", "*")),
	}
	return cfg
}

// TestNew_fluxModeRefusesWhatFluxRefuses: New leaves out, and reports with
// their field, the alerts Flux's API server would refuse (alert.Lint); the
// others keep routing.
func TestNew_fluxModeRefusesWhatFluxRefuses(t *testing.T) {
	reg := (&recorder{}).registry(t)
	d, err := New(fluxConfig(), WithMode(match.Flux), WithRegistry(reg), WithLogger(discardLogger()))
	require.NotNil(t, d)
	t.Cleanup(func() { assert.NoError(t, d.Shutdown(context.Background())) })
	require.Error(t, err)
	for _, want := range []string{
		"alert flux-system/warn: spec.eventSeverity",
		"alert flux-system/list: spec.eventSeverity",
		"alert flux-system/lower: spec.eventSources[0].kind",
		"did you mean Kustomization?",
		"use extended mode",
	} {
		assert.Contains(t, err.Error(), want)
	}
	got, err := d.Route(context.Background(), newEvent("Kustomization", "app", "error", "failed"))
	require.NoError(t, err)
	var routed []string
	for _, r := range got.Routes {
		routed = append(routed, r.Alert)
	}
	assert.Equal(t, []string{"flux-system/unset", "flux-system/info", "flux-system/errors"}, routed)
	invalid := map[string]string{}
	for _, u := range got.Unmatched {
		invalid[u.Alert] = u.Reason
	}
	assert.Contains(t, invalid["flux-system/warn"], "invalid: spec.eventSeverity")
	assert.Contains(t, invalid["flux-system/list"], "invalid: spec.eventSeverity")
	assert.Contains(t, invalid["flux-system/lower"], "did you mean Kustomization?")

	// Extended mode loads them all.
	d2, err := New(fluxConfig(), WithRegistry(reg), WithLogger(discardLogger()))
	require.NoError(t, err)
	require.NoError(t, d2.Shutdown(context.Background()))
}

// TestHandler_fluxModeSeverity: Flux's event server accepts any severity
// (eventMiddleware decodes without validating) and routes it with
// eventMatchesAlertSource's exact comparison; extended mode refuses an
// unknown severity with 400.
func TestHandler_fluxModeSeverity(t *testing.T) {
	body := func(name, severity string) string {
		s := strings.Replace(validEvent, `"error"`, `"`+severity+`"`, 1)
		return strings.Replace(s, "app-a", name, 1)
	}
	tests := []struct {
		severity   string
		fluxStatus int
		fluxAlerts []string // alerts delivered in flux mode
		extStatus  int
	}{
		{"error", http.StatusAccepted, []string{"errors", "info", "unset"}, http.StatusAccepted},
		{"info", http.StatusAccepted, []string{"info", "unset"}, http.StatusAccepted},
		{"ERROR", http.StatusAccepted, []string{"info", "unset"}, http.StatusAccepted},
		{"warning", http.StatusAccepted, []string{"info", "unset"}, http.StatusAccepted},
		{"fatal", http.StatusAccepted, []string{"info", "unset"}, http.StatusBadRequest},
		{"", http.StatusAccepted, []string{"info", "unset"}, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.severity, func(t *testing.T) {
			for _, mode := range []match.Mode{match.Flux, match.Extended} {
				rec := &recorder{}
				cfg := fluxConfig()
				cfg.Alerts = cfg.Alerts[:3]
				d := newTestDispatcher(t, cfg, rec, WithMode(mode))
				w := httptest.NewRecorder()
				d.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body("app", tt.severity))))
				require.NoError(t, d.Shutdown(context.Background()))
				if mode == match.Extended {
					assert.Equal(t, tt.extStatus, w.Code, "extended: %s", w.Body.String())
					continue
				}
				assert.Equal(t, tt.fluxStatus, w.Code, "flux: %s", w.Body.String())
				var got []string
				for _, n := range rec.delivered() {
					got = append(got, n.Alert.Name)
					assert.Equal(t, tt.severity, n.Data.Severity, "flux mode shows the severity as written")
				}
				assert.ElementsMatch(t, tt.fluxAlerts, got)
			}
		})
	}
}

// TestDispatch_fluxModeMetadataAndDedup: in flux mode templates see the
// metadata Flux hands its notifiers (event.MergeMetadataFlux), and events
// are deduplicated with Flux's eventKeyFunc (an empty revision is not a
// missing one; an unprefixed revision is not read).
func TestDispatch_fluxModeMetadataAndDedup(t *testing.T) {
	rec := &recorder{}
	cfg := fluxConfig()
	cfg.Alerts = cfg.Alerts[2:3] // errors
	d := newTestDispatcher(t, cfg, rec, WithMode(match.Flux), WithCallerDedup())
	ctx := context.Background()

	e := newEvent("Kustomization", "app", "error", "failed")
	e.Metadata["kustomize.toolkit.fluxcd.io/token"] = "t"
	e.Metadata["kustomize.toolkit.fluxcd.io/checksum"] = "c"
	e.Metadata["event.toolkit.fluxcd.io/token"] = "shown"
	e.Metadata["env"] = "prod"
	results, err := d.Dispatch(ctx, e)
	require.NoError(t, err)
	require.Len(t, results, 1)
	got := rec.delivered()
	require.Len(t, got, 1)
	assert.Equal(t, map[string]string{"revision": "main@sha1:2f3c4d5e", "token": "shown"}, got[0].Data.Metadata)

	unprefixed := e.DeepCopy()
	unprefixed.Metadata["revision"] = "other"
	_, err = d.Dispatch(ctx, unprefixed)
	assert.ErrorIs(t, err, ErrDuplicate, "Flux does not read an unprefixed revision")

	noRevision := newEvent("Kustomization", "app", "error", "failed")
	delete(noRevision.Metadata, "kustomize.toolkit.fluxcd.io/revision")
	_, err = d.Dispatch(ctx, noRevision)
	require.NoError(t, err)
	emptyRevision := noRevision.DeepCopy()
	emptyRevision.Metadata["kustomize.toolkit.fluxcd.io/revision"] = ""
	_, err = d.Dispatch(ctx, emptyRevision)
	require.NoError(t, err, "an empty revision is not a missing one")
	_, err = d.Dispatch(ctx, emptyRevision)
	assert.ErrorIs(t, err, ErrDuplicate)

	// Dispatch and Route accept any severity in flux mode, as the endpoint does.
	odd := newEvent("Kustomization", "app", "", "odd")
	_, err = d.Route(ctx, odd)
	require.NoError(t, err)
	_, err = d.Dispatch(ctx, odd)
	require.NoError(t, err)
	_, err = d.Dispatch(ctx, &event.Event{})
	assert.ErrorIs(t, err, event.ErrInvalid)
}
