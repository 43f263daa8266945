package alert_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fluxnotify/fluxnotify/alert"
)

func lintAlert(mut func(*alert.Alert)) *alert.Alert {
	a := &alert.Alert{}
	a.Name, a.Namespace = "on-call", "flux-system"
	a.Spec.ProviderRef.Name = "slack"
	a.Spec.EventSources = []alert.CrossNamespaceObjectReference{{Kind: "Kustomization", Name: "*"}}
	if mut != nil {
		mut(a)
	}
	return a
}

func fieldsOf(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field+": "+e.Detail)
	}
	return out
}

// TestLintFlux mirrors the OpenAPI markers of Flux's Alert CRD
// (api/v1beta3/alert_types.go: eventSeverity Enum=info;error, summary
// MaxLength=255; api/v1/reference_types.go: kind Enum, name and namespace
// MaxLength=253), which Flux's API server enforces.
func TestLintFlux(t *testing.T) {
	tests := []struct {
		name     string
		mut      func(*alert.Alert)
		fluxErrs []string // substrings, one per expected error in flux mode
		extWarns []string // substrings, one per expected warning in extended mode
	}{
		{name: "valid", mut: nil},
		{name: "eventSeverity info", mut: func(a *alert.Alert) { a.Spec.EventSeverity = alert.Threshold("info") }},
		{name: "eventSeverity error", mut: func(a *alert.Alert) { a.Spec.EventSeverity = alert.Threshold("error") }},
		{name: "eventSeverity warn", mut: func(a *alert.Alert) { a.Spec.EventSeverity = alert.Threshold("warn") },
			fluxErrs: []string{"spec.eventSeverity: Flux's Alert takes only info or error; use extended mode"}},
		{name: "eventSeverity trace", mut: func(a *alert.Alert) { a.Spec.EventSeverity = alert.Threshold("trace") },
			fluxErrs: []string{"spec.eventSeverity: Flux's Alert takes only info or error"}},
		{name: "eventSeverity Error (enum is case-sensitive)", mut: func(a *alert.Alert) { a.Spec.EventSeverity = alert.Threshold("Error") },
			fluxErrs: []string{"spec.eventSeverity: did you mean error?"}},
		{name: "eventSeverity list", mut: func(a *alert.Alert) { a.Spec.EventSeverity = alert.Exactly("error", "warn") },
			fluxErrs: []string{"spec.eventSeverity: a list of severities is not a Flux feature"}},
		{name: "unknown eventSeverity is Validate's", mut: func(a *alert.Alert) { a.Spec.EventSeverity = alert.Threshold("critical") }},
		{name: "summary of 255 characters", mut: func(a *alert.Alert) { a.Spec.Summary = strings.Repeat("é", 255) }},
		{name: "summary of 256 characters", mut: func(a *alert.Alert) { a.Spec.Summary = strings.Repeat("x", 256) },
			fluxErrs: []string{"spec.summary: may not be more than 255 characters"}},
		{name: "kind in another case", mut: func(a *alert.Alert) { a.Spec.EventSources[0].Kind = "kustomization" },
			fluxErrs: []string{"spec.eventSources[0].kind: did you mean Kustomization?"},
			extWarns: []string{"spec.eventSources[0].kind: did you mean Kustomization?"}},
		{name: "kind not Flux's", mut: func(a *alert.Alert) { a.Spec.EventSources[0].Kind = "AppConfig" },
			fluxErrs: []string{`spec.eventSources[0].kind: supported values: "Bucket"`}},
		{name: "kind glob", mut: func(a *alert.Alert) { a.Spec.EventSources[0].Kind = "Helm*" },
			fluxErrs: []string{"spec.eventSources[0].kind: supported values"}},
		{name: "every Flux kind", mut: func(a *alert.Alert) {
			a.Spec.EventSources = nil
			for _, k := range alert.FluxKinds {
				a.Spec.EventSources = append(a.Spec.EventSources, alert.CrossNamespaceObjectReference{Kind: k, Name: "*"})
			}
		}},
		{name: "name and namespace of 254 characters", mut: func(a *alert.Alert) {
			a.Spec.EventSources[0].Name = strings.Repeat("n", 254)
			a.Spec.EventSources[0].Namespace = strings.Repeat("n", 254)
		}, fluxErrs: []string{"spec.eventSources[0].name: may not be more than 253", "spec.eventSources[0].namespace: may not be more than 253"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := lintAlert(tt.mut)
			errs, warns := a.Lint(true)
			require.Len(t, errs, len(tt.fluxErrs), "%v", fieldsOf(errs))
			for i, want := range tt.fluxErrs {
				assert.Contains(t, fieldsOf(errs)[i], want)
			}
			assert.Empty(t, warns, "flux mode reports errors, not warnings")

			errs, warns = a.Lint(false)
			assert.Empty(t, errs, "extended mode has no Lint errors")
			require.Len(t, warns, len(tt.extWarns), "%v", fieldsOf(warns))
			for i, want := range tt.extWarns {
				assert.Contains(t, fieldsOf(warns)[i], want)
			}
		})
	}
}
