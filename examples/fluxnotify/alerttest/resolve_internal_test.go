package alerttest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestResolveAlert(t *testing.T) {
	alerts := []string{"flux-system/flux-alerts", "apps/flux-alerts", "flux-system/devops-errors", "payments/payments"}
	tests := []struct {
		ref, want, err string
	}{
		{ref: "flux-system/devops-errors", want: "flux-system/devops-errors"},
		{ref: "devops-errors", want: "flux-system/devops-errors"},
		{ref: "payments", want: "payments/payments"},
		{ref: "flux-alerts", err: "flux-alerts names 2 alerts, write one of flux-system/flux-alerts, apps/flux-alerts"},
		{ref: "devops-erors", err: "no such alert in the manifests: devops-erors (did you mean flux-system/devops-errors?)"},
		{ref: "flux-system/devops-error", err: "no such alert in the manifests: flux-system/devops-error (did you mean flux-system/devops-errors?)"},
		{ref: "default/devops-errors", err: "no such alert in the manifests: default/devops-errors"},
		{ref: "zzz", err: "no such alert in the manifests: zzz"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := resolveAlert(tt.ref, alerts)
			if tt.err != "" {
				assert.EqualError(t, err, tt.err)
				return
			}
			assert.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"manifests", "mode", "substitute", "tests"}
	tests := []struct{ in, want string }{
		{"manifest", "manifests"},
		{"test", "tests"},
		{"Mode", "mode"},
		{"substitutes", "substitute"},
		{"cluster", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, closestName(tt.in, known), tt.in)
	}
}
