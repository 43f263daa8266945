package provider_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fluxnotify/fluxnotify/provider"
)

func TestGetTimeout(t *testing.T) {
	p := slackProvider(nil)
	assert.Equal(t, provider.DefaultTimeout, p.GetTimeout())
	p.Spec.Timeout = &metav1.Duration{Duration: 3 * time.Second}
	assert.Equal(t, 3*time.Second, p.GetTimeout())
	p.Spec.Timeout = &metav1.Duration{}
	assert.Equal(t, provider.DefaultTimeout, p.GetTimeout())
	assert.Equal(t, "flux-system/slack", p.NamespacedName())
}

// TestValidate mirrors the schema of Flux's v1beta3 Provider CRD
// (api/v1beta3/provider_types.go: the kubebuilder markers and the
// XValidation rule on commitStatusExpr), which is all Flux's API server
// checks: nothing about spec.address, whose meaning depends on the type.
func TestValidate(t *testing.T) {
	long := strings.Repeat("x", provider.MaxLength+1)
	tests := []struct {
		name   string
		mutate func(*provider.Provider)
		want   []string // field paths
	}{
		{name: "valid", mutate: func(*provider.Provider) {}},
		{name: "no name", mutate: func(p *provider.Provider) { p.Name = "" }, want: []string{"metadata.name"}},
		{name: "no type", mutate: func(p *provider.Provider) { p.Spec.Type = "" }, want: []string{"spec.type"}},
		{name: "negative timeout", mutate: func(p *provider.Provider) { p.Spec.Timeout = &metav1.Duration{Duration: -time.Second} }, want: []string{"spec.timeout"}},
		{name: "negative interval", mutate: func(p *provider.Provider) { p.Spec.Interval = &metav1.Duration{Duration: -time.Second} }, want: []string{"spec.interval"}},
		// Flux's schema puts no pattern on address: a notifier checks it.
		{name: "address without scheme", mutate: func(p *provider.Provider) { p.Spec.Address = "hooks.slack.com/services/SECRET" }},
		{name: "googlepubsub project ID", mutate: func(p *provider.Provider) { p.Spec.Type = "googlepubsub"; p.Spec.Address = "my-gcp-project" }},
		{name: "nats server", mutate: func(p *provider.Provider) { p.Spec.Type = "nats"; p.Spec.Address = "nats://nats.nats-system:4222" }},
		{name: "azureeventhub name", mutate: func(p *provider.Provider) { p.Spec.Type = "azureeventhub"; p.Spec.Address = "fluxv2" }},
		{name: "file address of a custom type", mutate: func(p *provider.Provider) { p.Spec.Type = "file"; p.Spec.Address = "file:///var/log/flux.log" }},
		{name: "unsubstituted variable", mutate: func(p *provider.Provider) {
			p.Spec.Type = "matrix"
			p.Spec.Address = "https://synapse.${SECRET_DOMAIN}"
			p.Spec.Proxy = "${PROXY_URL}"
		}},
		{name: "address too long", mutate: func(p *provider.Provider) { p.Spec.Address = "https://x/" + long }, want: []string{"spec.address"}},
		{name: "channel and username too long", mutate: func(p *provider.Provider) { p.Spec.Channel, p.Spec.Username = long, long }, want: []string{"spec.channel", "spec.username"}},
		{name: "2048 characters are fine", mutate: func(p *provider.Provider) { p.Spec.Channel = strings.Repeat("é", provider.MaxLength) }},
		{name: "proxy without http(s)", mutate: func(p *provider.Provider) { p.Spec.Proxy = "socks5://user:SECRET@proxy:1080" }, want: []string{"spec.proxy"}},
		{name: "bad proxy", mutate: func(p *provider.Provider) { p.Spec.Proxy = "::SECRET" }, want: []string{"spec.proxy"}},
		{name: "commitStatusExpr on slack", mutate: func(p *provider.Provider) { p.Spec.CommitStatusExpr = "'x'" }, want: []string{"spec.commitStatusExpr"}},
		{name: "commitStatusExpr on github", mutate: func(p *provider.Provider) {
			p.Spec.Type = "github"
			p.Spec.Address = "https://github.com/org/repo"
			p.Spec.CommitStatusExpr = "'x'"
		}},
		{name: "empty references", mutate: func(p *provider.Provider) {
			p.Spec.SecretRef = &corev1.LocalObjectReference{}
			p.Spec.CertSecretRef = &corev1.LocalObjectReference{}
			p.Spec.ProxySecretRef = &corev1.LocalObjectReference{}
		}, want: []string{"spec.secretRef.name", "spec.certSecretRef.name", "spec.proxySecretRef.name"}},
		{name: "everything at once", mutate: func(p *provider.Provider) { p.Name = ""; p.Spec.Type = "" }, want: []string{"metadata.name", "spec.type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := slackProvider(func(s *provider.Spec) { s.Address = "https://hooks.slack.com/services/T0/B0/SECRET" })
			tt.mutate(p)
			errs := p.FieldErrors()
			var got []string
			for _, e := range errs {
				got = append(got, e.Field)
			}
			assert.Equal(t, tt.want, got)
			err := p.Validate()
			if len(tt.want) == 0 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorContains(t, err, "provider "+p.NamespacedName()+": ")
			assert.NotContains(t, err.Error(), "SECRET", "URLs are redacted")
			assert.NotContains(t, err.Error(), long, "long values are not repeated")
			var fe *field.Error
			assert.ErrorAs(t, err, &fe)
		})
	}
}

// TestValidate_everyFluxType loads each of Flux's 34 types with the address
// its documentation shows: none is refused.
func TestValidate_everyFluxType(t *testing.T) {
	addresses := map[string]string{
		"googlepubsub":  "my-gcp-project",
		"azureeventhub": "fluxv2",
		"nats":          "nats://nats.example.com:4222",
		"telegram":      "",
		"github":        "https://github.com/org/repo",
		"sentry":        "https://key@sentry.io/1",
	}
	require.Len(t, provider.FluxTypes(), 34)
	for _, typ := range provider.FluxTypes() {
		p := slackProvider(func(s *provider.Spec) {
			s.Type = typ
			s.Address = "https://example.com/hook"
			if a, ok := addresses[typ]; ok {
				s.Address = a
			}
		})
		assert.NoError(t, p.Validate(), typ)
		assert.True(t, provider.IsFluxType(typ))
	}
}
