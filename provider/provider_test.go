package provider_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*provider.Provider)
		want   []string // field paths
	}{
		{name: "valid", mutate: func(*provider.Provider) {}},
		{name: "no name", mutate: func(p *provider.Provider) { p.Name = "" }, want: []string{"metadata.name"}},
		{name: "no type", mutate: func(p *provider.Provider) { p.Spec.Type = "" }, want: []string{"spec.type"}},
		{name: "negative timeout", mutate: func(p *provider.Provider) { p.Spec.Timeout = &metav1.Duration{Duration: -time.Second} }, want: []string{"spec.timeout"}},
		{name: "relative address", mutate: func(p *provider.Provider) { p.Spec.Address = "hooks.slack.com/services/SECRET" }, want: []string{"spec.address"}},
		{name: "https address without a host", mutate: func(p *provider.Provider) { p.Spec.Address = "https:///services/SECRET" }, want: []string{"spec.address"}},
		{name: "file address of a custom type", mutate: func(p *provider.Provider) { p.Spec.Type = "file"; p.Spec.Address = "file:///var/log/flux.log" }},
		{name: "bad proxy", mutate: func(p *provider.Provider) { p.Spec.Proxy = "::SECRET" }, want: []string{"spec.proxy"}},
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
			assert.ErrorContains(t, err, "provider "+p.NamespacedName()+": ")
			assert.NotContains(t, err.Error(), "SECRET", "URLs are redacted")
			var fe *field.Error
			assert.ErrorAs(t, err, &fe)
		})
	}
}
