package fluxnotify

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/match"
	"github.com/fluxnotify/fluxnotify/template"
)

// reloadConfig has two valid alerts on provider "team" (errors from every
// Kustomization; info from app-*) and nothing else.
func reloadConfig() *Config {
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:2]
	cfg.Providers = cfg.Providers[:1]
	cfg.Secrets = cfg.Secrets[:1]
	return cfg
}

// TestUpdate_KeepLastGood is issue 11's "reload keeps what worked": with
// WithKeepLastGood, an Alert or Provider whose new version is not valid keeps
// the version in use, as when an API server refuses the change, and the
// error names each object kept and why. Without it, the broken version
// replaces the working one.
func TestUpdate_KeepLastGood(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(cfg *Config)
		kept   []string // the objects that keep their last good version
		reason string   // in the error of each
		// routes are the alerts that still deliver an error event of
		// app-a, with WithKeepLastGood.
		routes []string
	}{
		{
			name:   "an alert that no longer validates",
			break_: func(cfg *Config) { cfg.Alerts[0].Spec.EventSeverity = alert.Threshold("critical") },
			kept:   []string{"Alert flux-system/errors"}, reason: "spec.eventSeverity",
			routes: []string{"flux-system/errors", "flux-system/info"},
		},
		{
			name:   "an alert whose template no longer parses",
			break_: func(cfg *Config) { cfg.Alerts[0].Spec.Template = &template.Spec{Text: "{{ .Message"} },
			kept:   []string{"Alert flux-system/errors"}, reason: "spec.template.text",
			routes: []string{"flux-system/errors", "flux-system/info"},
		},
		{
			name:   "a provider of an unknown type",
			break_: func(cfg *Config) { cfg.Providers[0].Spec.Type = "no-such-type" },
			kept:   []string{"Provider flux-system/team"}, reason: `"no-such-type"`,
			routes: []string{"flux-system/errors", "flux-system/info"},
		},
		{
			name:   "a provider whose template no longer parses",
			break_: func(cfg *Config) { cfg.Providers[0].Spec.Template = &template.Spec{Title: "{{ end }}"} },
			kept:   []string{"Provider flux-system/team"}, reason: "spec.template.title",
			routes: []string{"flux-system/errors", "flux-system/info"},
		},
		{
			name: "a provider that no longer validates",
			break_: func(cfg *Config) {
				cfg.Providers[0].Spec.Timeout = &metav1.Duration{Duration: -time.Second}
			},
			kept: []string{"Provider flux-system/team"}, reason: "spec.timeout",
			routes: []string{"flux-system/errors", "flux-system/info"},
		},
		{
			name: "both at once",
			break_: func(cfg *Config) {
				cfg.Providers[0].Spec.Type = "no-such-type"
				cfg.Alerts[1].Spec.EventSources = nil
			},
			kept:   []string{"Provider flux-system/team", "Alert flux-system/info"},
			reason: "",
			routes: []string{"flux-system/errors", "flux-system/info"},
		},
		{
			name: "a new alert that is not valid has nothing to keep",
			break_: func(cfg *Config) {
				bad := newAlert("new", "team", alert.Threshold("critical"), source("Kustomization", "*"))
				cfg.Alerts = append(cfg.Alerts, bad)
			},
			routes: []string{"flux-system/errors", "flux-system/info"},
		},
		{
			name:   "a removed alert is removed",
			break_: func(cfg *Config) { cfg.Alerts = cfg.Alerts[1:] },
			routes: []string{"flux-system/info"},
		},
	}
	ev := newEvent("Kustomization", "app-a", "error", "boom")
	routes := func(t *testing.T, d *Dispatcher) []string {
		t.Helper()
		got, err := d.Route(t.Context(), ev)
		require.NoError(t, err)
		var out []string
		for _, r := range got.Routes {
			if r.Err == nil {
				out = append(out, r.Alert)
			}
		}
		return out
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			d := newTestDispatcher(t, reloadConfig(), rec, WithKeepLastGood())
			broken := reloadConfig()
			tt.break_(broken)

			for round := range 2 { // the last good version stays through repeated reloads
				err := d.Update(broken)
				kept := KeptObjects(err)
				var names []string
				for _, k := range kept {
					names = append(names, k.Object)
					assert.Contains(t, k.Error(), k.Object+": kept its last good version; the new version is refused: ")
					assert.Contains(t, k.Err.Error(), tt.reason)
				}
				assert.Equal(t, tt.kept, names, "round %d: %v", round, err)
				assert.Equal(t, len(tt.kept) > 0, errors.Is(err, ErrKeptLastGood), "%v", err)
				assert.Equal(t, tt.routes, routes(t, d), "round %d", round)
			}
			if strings.HasPrefix(tt.name, "a new alert") {
				_, err := d.Dispatch(t.Context(), ev)
				assert.NoError(t, err)
				assert.Len(t, rec.delivered(), 2)
			}

			// Fixed, the new configuration applies as a whole.
			fixed := reloadConfig()
			fixed.Alerts[1].Spec.Channel = "#fixed"
			require.NoError(t, d.Update(fixed))
			got, err := d.Route(t.Context(), ev)
			require.NoError(t, err)
			require.Len(t, got.Routes, 2)
			assert.Equal(t, "#fixed", got.Routes[1].Channel)

			// Without the option, a broken version replaces the working one
			// (a provider that fails validation is used as it is).
			if len(tt.kept) > 0 {
				plain := newTestDispatcher(t, reloadConfig(), rec)
				err := plain.Update(broken)
				assert.Empty(t, KeptObjects(err))
				if !strings.Contains(tt.name, "provider that no longer validates") {
					require.Error(t, err)
					assert.NotEqual(t, tt.routes, routes(t, plain))
				}
			}
		})
	}
}

// TestUpdate_KeepLastGoodFluxMode: what flux mode refuses as Flux's API
// server would (eventSeverity warn) keeps the last good version too.
func TestUpdate_KeepLastGoodFluxMode(t *testing.T) {
	cfg := reloadConfig()
	cfg.Alerts[1].Spec.EventSources[0].Name = "*" // flux mode has no globs
	d := newTestDispatcher(t, cfg, &recorder{}, WithMode(match.Flux), WithKeepLastGood())
	broken := reloadConfig()
	broken.Alerts[1].Spec.EventSources[0].Name = "*"
	broken.Alerts[1].Spec.EventSeverity = alert.Threshold("warn")
	err := d.Update(broken)
	kept := KeptObjects(err)
	require.Len(t, kept, 1, "%v", err)
	assert.Equal(t, "Alert flux-system/info", kept[0].Object)
	got, err := d.Route(t.Context(), newEvent("Kustomization", "app-a", "info", "ok"))
	require.NoError(t, err)
	require.Len(t, got.Routes, 1, "%+v", got)
	assert.Equal(t, "flux-system/info", got.Routes[0].Alert)
}

// TestWithTemplateLimits: the limits reach every template the Router
// parses; a template within the defaults fails to load under tighter ones,
// naming the object and the field.
func TestWithTemplateLimits(t *testing.T) {
	cfg := reloadConfig()
	cfg.Providers[0].Spec.Template = &template.Spec{Text: "{{ range until 50 }}{{ sha256sum $.Message }}{{ end }}"}
	cfg.Alerts[1].Spec.Template = &template.Spec{Title: "{{ range until 50 }}x{{ end }}"}
	tests := []struct {
		name   string
		limits template.Limits
		want   []error
		fields []string
	}{
		{"defaults", template.Limits{}, nil, nil},
		{"work", template.Limits{Work: 10_000}, []error{template.ErrWorkBudget},
			[]string{"provider flux-system/team: spec.template.text: "}},
		{"iterations", template.Limits{Iterations: 10}, []error{template.ErrTooManyIterations},
			[]string{"provider flux-system/team: spec.template.text: ", "alert flux-system/info: spec.template.title: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRouter(cfg, WithRegistry((&recorder{}).registry(t)), WithTemplateLimits(tt.limits))
			require.NotNil(t, r)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			for _, w := range tt.want {
				assert.ErrorIs(t, err, w)
			}
			for _, f := range tt.fields {
				assert.Contains(t, err.Error(), f)
			}
		})
	}
	_, err := NewRouter(cfg, WithTemplateLimits(template.Limits{Work: -1}))
	assert.ErrorContains(t, err, "WithTemplateLimits")
	_, err = NewDispatcher(&Router{}, WithTemplateLimits(template.Limits{}))
	assert.ErrorContains(t, err, "WithTemplateLimits")
}
