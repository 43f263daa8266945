package fluxnotify

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/match"
)

// TestReasons: spec.reasons includes or excludes events by reason, exact
// or glob, exclusion first; Route explains the drop, and Dispatch sends
// nothing for it.
func TestReasons(t *testing.T) {
	tests := []struct {
		name    string
		reasons *alert.Reasons
		reason  string
		want    string // the Unmatched reason, "" when routed
	}{
		{"no filter", nil, "HealthCheckFailed", ""},
		{"included exactly", &alert.Reasons{Include: []string{"HealthCheckFailed"}}, "HealthCheckFailed", ""},
		{"included by glob", &alert.Reasons{Include: []string{"*Failed"}}, "ReconciliationFailed", ""},
		{"not included", &alert.Reasons{Include: []string{"*Failed"}}, "Progressing", `reason "Progressing" is not in spec.reasons.include`},
		{"excluded", &alert.Reasons{Exclude: []string{"Other", "{Progressing,DependencyNotReady}"}}, "DependencyNotReady",
			`reason "DependencyNotReady" is excluded by spec.reasons.exclude[1] ("{Progressing,DependencyNotReady}")`},
		{"exclusion wins", &alert.Reasons{Include: []string{"*"}, Exclude: []string{"*Failed"}}, "HealthCheckFailed",
			`reason "HealthCheckFailed" is excluded by spec.reasons.exclude[0] ("*Failed")`},
		{"case-sensitive", &alert.Reasons{Exclude: []string{"healthcheckfailed"}}, "HealthCheckFailed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			cfg := testConfig()
			cfg.Alerts = cfg.Alerts[:1]
			cfg.Alerts[0].Spec.Reasons = tt.reasons
			d := newTestDispatcher(t, cfg, rec)
			e := newEvent("Kustomization", "app", "error", "failed")
			e.Reason = tt.reason
			routing, err := d.Route(context.Background(), e)
			require.NoError(t, err)
			res, err := d.Dispatch(context.Background(), e)
			require.NoError(t, err)
			if tt.want == "" {
				assert.Len(t, routing.Routes, 1)
				assert.Len(t, res, 1)
				return
			}
			assert.Empty(t, routing.Routes)
			assert.Contains(t, routing.Unmatched, Unmatched{Alert: "flux-system/errors", Reason: tt.want})
			assert.Empty(t, res)
			assert.Empty(t, rec.delivered())
		})
	}
}

// TestReasons_fluxMode: spec.reasons is not Flux's: ignored, with a
// problem saying so.
func TestReasons_fluxMode(t *testing.T) {
	cfg := testConfig()
	cfg.Alerts = cfg.Alerts[:1]
	cfg.Alerts[0].Spec.Reasons = &alert.Reasons{Exclude: []string{"*"}}
	rec := &recorder{}
	d, err := New(cfg, WithRegistry(rec.registry(t)), WithMode(match.Flux), WithLogger(discardLogger()))
	require.NotNil(t, d)
	defer d.Close()
	assert.ErrorContains(t, err, "alert flux-system/errors: spec.reasons: not a Flux field; ignored in flux mode")
	res, _ := d.Dispatch(context.Background(), newEvent("Kustomization", "app", "error", "failed"))
	assert.Len(t, res, 1)
}
