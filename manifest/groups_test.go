package manifest_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/manifest"
)

// extendedSpec uses every field that only fluxnotify reads. Line numbers
// below count from the apiVersion line of the Alert (line 1).
const extendedSpec = `kind: Alert
metadata: {name: a, namespace: ns}
spec:
  providerRef: {name: p}
  channel: "#devops"
  eventSeverity: [error, warn]
  eventSources:
    - kind: Kustomization
      name: "app-*"
      namespace: "team-*"
    - kind: "Helm*"
      name: "*"
  template:
    text: "{{ .Message }}"
---
kind: Provider
metadata: {name: p, namespace: ns}
spec:
  type: my-webhook
  template: {format: blocks}
`

func withGroup(apiVersion string) string {
	return strings.ReplaceAll("apiVersion: API\n"+strings.Replace(extendedSpec, "---\n", "---\napiVersion: API\n", 1), "API", apiVersion)
}

// Objects of fluxnotify.io/v1alpha1 load with every extended field and no
// warning; the same objects under Flux's group load too, with one
// ErrExtendedField warning at each such field, naming the library's group.
func TestGroups(t *testing.T) {
	ours, err := manifest.Load(strings.NewReader(withGroup("fluxnotify.io/v1alpha1")), "ours.yaml")
	require.NoError(t, err)
	require.Len(t, ours.Alerts, 1)
	require.Len(t, ours.Providers, 1)
	assert.Empty(t, ours.Warnings)
	a := ours.Alerts[0]
	assert.Equal(t, "fluxnotify.io/v1alpha1", a.APIVersion)
	assert.Equal(t, "#devops", a.Spec.Channel)
	assert.Equal(t, alert.Exactly("error", "warn"), a.Spec.EventSeverity)
	assert.NotNil(t, ours.Providers[0].Spec.Template)

	flux, err := manifest.Load(strings.NewReader(withGroup("notification.toolkit.fluxcd.io/v1beta3")), "flux.yaml")
	require.NoError(t, err)
	require.Len(t, flux.Alerts, 1)
	require.Len(t, flux.Providers, 1)
	assert.Equal(t, ours.Alerts[0].Spec, flux.Alerts[0].Spec, "the extended fields still load")

	type pos struct {
		field     string
		line, col int
	}
	var got []pos
	for _, w := range flux.Warnings {
		assert.ErrorIs(t, w, manifest.ErrExtendedField)
		assert.Contains(t, w.Error(), "fluxnotify extension in Flux's API group: ")
		assert.Contains(t, w.Error(), "; use apiVersion fluxnotify.io/v1alpha1")
		got = append(got, pos{w.Field, w.Line, w.Column})
	}
	assert.Equal(t, []pos{
		{"spec.channel", 6, 3},
		{"spec.template", 14, 3},
		{"spec.eventSeverity", 7, 3},
		{"spec.eventSources[0].name", 10, 7},
		{"spec.eventSources[0].namespace", 11, 7},
		{"spec.eventSources[1].kind", 12, 7},
		{"spec.type", 21, 3},
		{"spec.template", 22, 3},
	}, got)
}

// A single level warns only when Flux's schema refuses it: Flux's enum is
// exactly info and error. A level that is no level is a validation error,
// not a warning.
func TestExtendedSeverity(t *testing.T) {
	for _, tt := range []struct {
		severity string
		warn     bool
	}{
		{"info", false}, {"error", false}, {"warn", true}, {"warning", true}, {"trace", true}, {"Info", true}, {"critical", false},
	} {
		t.Run(tt.severity, func(t *testing.T) {
			cfg, _ := manifest.Load(strings.NewReader(provider+"---\n"+alertDoc+"  eventSeverity: "+tt.severity+"\n"), "in.yaml")
			require.NotNil(t, cfg)
			var fields []string
			for _, w := range cfg.Warnings {
				fields = append(fields, w.Field)
			}
			if tt.warn {
				assert.Equal(t, []string{"spec.eventSeverity"}, fields)
			} else {
				assert.Empty(t, fields)
			}
		})
	}
}

// fluxnotify.io serves v1alpha1 only, and Alert and Provider only.
func TestExtendedGroupVersions(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		is       error
		msg      string
	}{
		{"other version", withGroup("fluxnotify.io/v1"), manifest.ErrUnsupportedVersion, `unsupported API version "v1": fluxnotify serves Alert as fluxnotify.io/v1alpha1`},
		{"Receiver", "apiVersion: fluxnotify.io/v1alpha1\nkind: Receiver\nmetadata: {name: r}\n", manifest.ErrUnknownKind, `unknown kind "Receiver" of fluxnotify.io`},
		{"typo", "apiVersion: fluxnotify.io/v1alpha1\nkind: Alret\nmetadata: {name: r}\n", manifest.ErrUnknownKind, `did you mean "Alert"?`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := manifest.Load(strings.NewReader(tt.in), "in.yaml")
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.is)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

// spec.delivery and spec.reasons (threads, transitions, groups, reason
// filters) are extensions too: Flux's schema prunes them.
func TestGroups_deliveryAndReasons(t *testing.T) {
	in := `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: a, namespace: ns}
spec:
  providerRef: {name: p}
  eventSources: [{kind: Kustomization, name: "*"}]
  delivery:
    transitions: true
  reasons:
    exclude: [Progressing]
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {name: p, namespace: ns}
spec: {type: slack}
`
	cfg, err := manifest.Load(strings.NewReader(in), "flux.yaml")
	require.NoError(t, err)
	require.Len(t, cfg.Alerts, 1)
	var fields []string
	for _, w := range cfg.Warnings {
		assert.ErrorIs(t, w, manifest.ErrExtendedField)
		fields = append(fields, w.Field)
	}
	assert.Equal(t, []string{"spec.delivery", "spec.reasons"}, fields)
}
