package alert_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
)

func TestEventSeverityYAML(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    alert.EventSeverity
		str     string
		wantErr string
	}{
		{name: "single", yaml: "eventSeverity: error", want: alert.Threshold("error"), str: "error"},
		{name: "single quoted", yaml: `eventSeverity: "info"`, want: alert.Threshold("info"), str: "info"},
		{name: "flow list", yaml: `eventSeverity: ["error", "warn"]`, want: alert.Exactly("error", "warn"), str: "[error, warn]"},
		{name: "block list", yaml: "eventSeverity:\n  - error\n  - warn", want: alert.Exactly("error", "warn"), str: "[error, warn]"},
		{name: "one-element list", yaml: "eventSeverity: [info]", want: alert.Exactly("info"), str: "[info]"},
		{name: "empty list", yaml: "eventSeverity: []", want: alert.EventSeverity{Values: []string{}, List: true}, str: "[]"},
		{name: "unset", yaml: "{}", want: alert.EventSeverity{}, str: ""},
		{name: "null", yaml: "eventSeverity: null", want: alert.EventSeverity{}, str: ""},
		{name: "empty string is unset", yaml: `eventSeverity: ""`, want: alert.EventSeverity{}, str: ""},
		{name: "a number", yaml: "eventSeverity: 3", wantErr: "want a string or a list of strings"},
		{name: "an object", yaml: "eventSeverity: {a: b}", wantErr: "want a string or a list of strings"},
		{name: "a list of objects", yaml: "eventSeverity: [{a: b}]", wantErr: "want a string or a list of strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var spec struct {
				EventSeverity alert.EventSeverity `json:"eventSeverity,omitzero"`
			}
			err := yaml.Unmarshal([]byte(tt.yaml), &spec)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, spec.EventSeverity)
			assert.Equal(t, tt.str, spec.EventSeverity.String())
			assert.Equal(t, tt.want.IsZero(), spec.EventSeverity.IsZero())

			// Round trip: a single level stays a string, a list a list.
			out, err := json.Marshal(spec)
			require.NoError(t, err)
			var back struct {
				EventSeverity alert.EventSeverity `json:"eventSeverity,omitzero"`
			}
			require.NoError(t, json.Unmarshal(out, &back))
			assert.Equal(t, spec.EventSeverity.List, back.EventSeverity.List, "%s", out)
			assert.Equal(t, spec.EventSeverity.String(), back.EventSeverity.String(), "%s", out)
		})
	}
}

func TestEventSeverityMarshal(t *testing.T) {
	for _, tt := range []struct {
		in   alert.EventSeverity
		want string
	}{
		{alert.Threshold("error"), `"error"`},
		{alert.Exactly("error", "warn"), `["error","warn"]`},
		{alert.EventSeverity{List: true}, `[]`},
		{alert.EventSeverity{}, `""`},
	} {
		out, err := json.Marshal(tt.in)
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(out))
	}
	// omitzero leaves an unset severity out of a whole Alert.
	out, err := json.Marshal(alert.Spec{})
	require.NoError(t, err)
	assert.NotContains(t, string(out), "eventSeverity")
}

func TestLevels(t *testing.T) {
	got, err := alert.Exactly("Error", "warning").Levels()
	require.NoError(t, err)
	assert.Equal(t, []event.Severity{event.SeverityError, event.SeverityWarn}, got)

	got, err = alert.EventSeverity{}.Levels()
	require.NoError(t, err)
	assert.Empty(t, got)

	_, err = alert.Exactly("error", "critical").Levels()
	assert.EqualError(t, err, `unknown severity "critical": want one of trace, info, warn, error`)
}

func TestNames(t *testing.T) {
	a := &alert.Alert{ObjectMeta: metav1.ObjectMeta{Name: "on-call", Namespace: "flux-system"}}
	assert.Equal(t, "flux-system/on-call", a.NamespacedName())
	assert.Equal(t, "flux-system", a.SourceNamespace(alert.CrossNamespaceObjectReference{Kind: "K", Name: "*"}))
	assert.Equal(t, "apps", a.SourceNamespace(alert.CrossNamespaceObjectReference{Kind: "K", Name: "*", Namespace: "apps"}))
}

// TestFluxAlertYAML decodes a typical v1beta1 Alert with Flux's field names.
func TestFluxAlertYAML(t *testing.T) {
	const manifest = `apiVersion: notification.toolkit.fluxcd.io/v1beta1
kind: Alert
metadata:
  name: flux-alerts
  namespace: flux-system
spec:
  eventSeverity: error
  eventSources:
    - kind: Kustomization
      name: "*"
    - kind: HelmRelease
      name: "*"
  providerRef:
    name: slack
`
	var a alert.Alert
	require.NoError(t, yaml.UnmarshalStrict([]byte(manifest), &a))
	assert.Equal(t, alert.Kind, a.Kind)
	assert.Equal(t, "slack", a.Spec.ProviderRef.Name)
	assert.Equal(t, alert.Threshold("error"), a.Spec.EventSeverity)
	require.Len(t, a.Spec.EventSources, 2)
	assert.Equal(t, "HelmRelease", a.Spec.EventSources[1].Kind)
	assert.NoError(t, a.Validate())
}
