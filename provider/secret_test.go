package provider_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/provider"
)

const hookURL = "https://hooks.slack.com/services/T000/B000/SECRETSECRETSECRET"

func secret(name string, data map[string]string, stringData map[string]string) corev1.Secret {
	s := corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "flux-system"}, StringData: stringData}
	if data != nil {
		s.Data = make(map[string][]byte, len(data))
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
	}
	return s
}

func slackProvider(mutate func(*provider.Spec)) *provider.Provider {
	p := &provider.Provider{
		ObjectMeta: metav1.ObjectMeta{Name: "slack", Namespace: "flux-system"},
		Spec:       provider.Spec{Type: "slack", SecretRef: &corev1.LocalObjectReference{Name: "slack-url"}},
	}
	if mutate != nil {
		mutate(&p.Spec)
	}
	return p
}

const caPEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

func TestResolve(t *testing.T) {
	tests := []struct {
		name    string
		p       *provider.Provider
		secrets []corev1.Secret
		want    provider.Credentials
		wantErr string
		is      error
	}{
		{
			name:    "stringData url, as many guides write it",
			p:       slackProvider(nil),
			secrets: []corev1.Secret{secret("slack-url", nil, map[string]string{"url": hookURL})},
			want:    provider.Credentials{Address: hookURL},
		},
		{
			name:    "Flux: data address, decoded from base64 by the loader",
			p:       slackProvider(nil),
			secrets: []corev1.Secret{secret("slack-url", map[string]string{"address": hookURL + "\n"}, nil)},
			want:    provider.Credentials{Address: hookURL},
		},
		{
			name:    "address wins over url; stringData over data",
			p:       slackProvider(nil),
			secrets: []corev1.Secret{secret("slack-url", map[string]string{"address": "https://old.example.com/x"}, map[string]string{"address": hookURL, "url": "https://other.example.com/y"})},
			want:    provider.Credentials{Address: hookURL},
		},
		{
			name: "every key",
			p:    slackProvider(func(s *provider.Spec) { s.Address = "https://spec.example.com"; s.Proxy = "http://spec-proxy:3128" }),
			secrets: []corev1.Secret{secret("slack-url", nil, map[string]string{
				"address": hookURL, "token": " xoxb-123 ", "username": "bot", "password": "pw",
				"proxy": "http://proxy:3128", "headers": "X-Team: platform\nAuthorization: Bearer abc\n",
			})},
			want: provider.Credentials{
				Address: hookURL, Token: "xoxb-123", Username: "bot", Password: "pw", Proxy: "http://proxy:3128",
				Headers: map[string]string{"X-Team": "platform", "Authorization": "Bearer abc"},
			},
		},
		{
			name:    "a token alone is enough (the notifier picks the API)",
			p:       slackProvider(nil),
			secrets: []corev1.Secret{secret("slack-url", map[string]string{"token": "xoxb-1"}, nil)},
			want:    provider.Credentials{Token: "xoxb-1"},
		},
		{
			name: "spec.address without a secret",
			p:    slackProvider(func(s *provider.Spec) { s.SecretRef = nil; s.Address = hookURL }),
			want: provider.Credentials{Address: hookURL},
		},
		{
			name:    "spec.address is kept when the secret has only a token",
			p:       slackProvider(func(s *provider.Spec) { s.Address = "https://slack.com/api/chat.postMessage" }),
			secrets: []corev1.Secret{secret("slack-url", map[string]string{"token": "xoxb-1"}, nil)},
			want:    provider.Credentials{Address: "https://slack.com/api/chat.postMessage", Token: "xoxb-1"},
		},
		{
			name: "certSecretRef ca.crt",
			p:    slackProvider(func(s *provider.Spec) { s.CertSecretRef = &corev1.LocalObjectReference{Name: "ca"} }),
			secrets: []corev1.Secret{
				secret("slack-url", nil, map[string]string{"url": hookURL}),
				secret("ca", map[string]string{"ca.crt": caPEM}, nil),
			},
			want: provider.Credentials{Address: hookURL, CAData: []byte(caPEM)},
		},
		{
			name: "certSecretRef caFile (older Flux)",
			p:    slackProvider(func(s *provider.Spec) { s.CertSecretRef = &corev1.LocalObjectReference{Name: "ca"} }),
			secrets: []corev1.Secret{
				secret("slack-url", nil, map[string]string{"url": hookURL}),
				secret("ca", map[string]string{"caFile": caPEM}, nil),
			},
			want: provider.Credentials{Address: hookURL, CAData: []byte(caPEM)},
		},
		{
			name: "proxySecretRef",
			p:    slackProvider(func(s *provider.Spec) { s.ProxySecretRef = &corev1.LocalObjectReference{Name: "px"} }),
			secrets: []corev1.Secret{
				secret("slack-url", nil, map[string]string{"url": hookURL, "proxy": "http://ignored:1"}),
				secret("px", nil, map[string]string{"address": "http://proxy.internal:3128"}),
			},
			want: provider.Credentials{Address: hookURL, Proxy: "http://proxy.internal:3128"},
		},
		{
			name: "proxySecretRef with username and password, as Flux",
			p:    slackProvider(func(s *provider.Spec) { s.ProxySecretRef = &corev1.LocalObjectReference{Name: "px"} }),
			secrets: []corev1.Secret{
				secret("slack-url", nil, map[string]string{"url": hookURL}),
				secret("px", map[string]string{"address": "http://proxy.internal:3128", "username": "proxy-user", "password": "p@ss:word"}, nil),
			},
			want: provider.Credentials{Address: hookURL, Proxy: "http://proxy-user:p%40ss%3Aword@proxy.internal:3128"},
		},
		{
			name: "proxySecretRef with a username only",
			p:    slackProvider(func(s *provider.Spec) { s.ProxySecretRef = &corev1.LocalObjectReference{Name: "px"} }),
			secrets: []corev1.Secret{
				secret("slack-url", nil, map[string]string{"url": hookURL}),
				secret("px", nil, map[string]string{"address": "http://proxy.internal:3128", "username": "proxy-user"}),
			},
			want: provider.Credentials{Address: hookURL, Proxy: "http://proxy-user@proxy.internal:3128"},
		},
		{
			name: "proxySecretRef with a username and an address that is not a URL",
			p:    slackProvider(func(s *provider.Spec) { s.ProxySecretRef = &corev1.LocalObjectReference{Name: "px"} }),
			secrets: []corev1.Secret{
				secret("slack-url", nil, map[string]string{"url": hookURL}),
				secret("px", nil, map[string]string{"address": "proxy SECRETPROXY", "username": "proxy-user", "password": "pw"}),
			},
			wantErr: `spec.proxySecretRef: secret flux-system/px: key "address": want a URL`,
		},
		{
			name:    "missing secret",
			p:       slackProvider(nil),
			wantErr: "provider flux-system/slack: spec.secretRef: secret flux-system/slack-url: secret not found",
			is:      provider.ErrSecretNotFound,
		},
		{
			name:    "a secret in another namespace is not used",
			p:       slackProvider(nil),
			secrets: []corev1.Secret{{ObjectMeta: metav1.ObjectMeta{Name: "slack-url", Namespace: "default"}, StringData: map[string]string{"url": hookURL}}},
			is:      provider.ErrSecretNotFound,
			wantErr: "secret flux-system/slack-url: secret not found",
		},
		{
			name:    "secret without the URL key",
			p:       slackProvider(nil),
			secrets: []corev1.Secret{secret("slack-url", nil, map[string]string{"webhook": hookURL})},
			wantErr: `provider flux-system/slack: secret flux-system/slack-url has no key "address" or "url" (nor "token"), and spec.address is empty`,
		},
		{
			name:    "headers that are not a YAML map",
			p:       slackProvider(nil),
			secrets: []corev1.Secret{secret("slack-url", nil, map[string]string{"url": hookURL, "headers": "- SECRETHEADER\n- b\n"})},
			wantErr: `key "headers": not a YAML map of strings`,
		},
		{
			name: "missing cert secret",
			p:    slackProvider(func(s *provider.Spec) { s.CertSecretRef = &corev1.LocalObjectReference{Name: "ca"} }),
			secrets: []corev1.Secret{
				secret("slack-url", nil, map[string]string{"url": hookURL}),
			},
			wantErr: "spec.certSecretRef: secret flux-system/ca: secret not found",
			is:      provider.ErrSecretNotFound,
		},
		{
			name: "cert secret without ca.crt",
			p:    slackProvider(func(s *provider.Spec) { s.CertSecretRef = &corev1.LocalObjectReference{Name: "ca"} }),
			secrets: []corev1.Secret{
				secret("slack-url", nil, map[string]string{"url": hookURL}),
				secret("ca", map[string]string{"tls.crt": caPEM}, nil),
			},
			wantErr: `spec.certSecretRef: secret flux-system/ca has no key "ca.crt" or "caFile"`,
		},
		{
			name: "proxy secret without address",
			p:    slackProvider(func(s *provider.Spec) { s.ProxySecretRef = &corev1.LocalObjectReference{Name: "px"} }),
			secrets: []corev1.Secret{
				secret("slack-url", nil, map[string]string{"url": hookURL}),
				secret("px", nil, map[string]string{"username": "u"}),
			},
			wantErr: `spec.proxySecretRef: secret flux-system/px has no key "address"`,
		},
		{
			name:    "no address anywhere",
			p:       slackProvider(func(s *provider.Spec) { s.SecretRef = nil }),
			wantErr: "provider flux-system/slack: no address: set spec.address or spec.secretRef",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := provider.Resolve(t.Context(), tt.p, provider.StaticSecrets(tt.secrets...))
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.True(t, got.IsZero(), "no partial credentials on error")
			for _, s := range []string{hookURL, "SECRETHEADER", "SECRETPROXY"} {
				assert.NotContains(t, err.Error(), s)
			}
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
		})
	}
}

func TestResolveSecretSources(t *testing.T) {
	p := slackProvider(nil)

	_, err := provider.Resolve(t.Context(), p, nil)
	assert.ErrorIs(t, err, provider.ErrSecretNotFound, "no secret source is a missing secret")
	assert.ErrorContains(t, err, "no secret source configured")

	boom := errors.New("apiserver unavailable")
	_, err = provider.Resolve(t.Context(), p, provider.SecretGetterFunc(func(context.Context, string, string) (*corev1.Secret, error) {
		return nil, boom
	}))
	assert.ErrorIs(t, err, boom, "a getter's error is wrapped")
	assert.ErrorContains(t, err, "provider flux-system/slack: spec.secretRef")

	_, err = provider.Resolve(t.Context(), p, provider.SecretGetterFunc(func(context.Context, string, string) (*corev1.Secret, error) {
		return nil, nil
	}))
	assert.ErrorIs(t, err, provider.ErrSecretNotFound, "a nil Secret is a missing one")

	var asked []string
	getter := provider.SecretGetterFunc(func(_ context.Context, ns, name string) (*corev1.Secret, error) {
		asked = append(asked, ns+"/"+name)
		s := secret(name, nil, map[string]string{"url": hookURL})
		return &s, nil
	})
	_, err = provider.Resolve(t.Context(), p, getter)
	require.NoError(t, err)
	assert.Equal(t, []string{"flux-system/slack-url"}, asked, "secrets are read in the provider's namespace")
}

// TestSecretsCoverEchoedParts: a notifier that passes its errors through
// SanitizeError with c.Secrets(), as documented, shows no secret when the
// server echoes only part of the address (its path) or the proxy password.
func TestSecretsCoverEchoedParts(t *testing.T) {
	tests := []struct {
		name   string
		c      provider.Credentials
		answer string
	}{
		{"webhook path", provider.Credentials{Address: hookURL}, "no hook at /services/T000/B000/SECRETSECRETSECRET"},
		{"path and query", provider.Credentials{Address: "https://example.com/hook?key=SECRETSECRETSECRET"}, "bad request /hook?key=SECRETSECRETSECRET"},
		{"proxy password", provider.Credentials{Address: hookURL, Proxy: "http://user:SECRETSECRETSECRET@proxy:3128"}, "proxy rejected user:SECRETSECRETSECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{}}
			err := provider.SanitizeError(provider.ClassifyResponse(resp, []byte(tt.answer)), tt.c.Secrets()...)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "SECRETSECRETSECRET")
		})
	}
}

func TestCredentialsNeverShowSecrets(t *testing.T) {
	c := provider.Credentials{
		Address:  hookURL,
		Token:    "xoxb-SECRETTOKEN",
		Username: "SECRETUSER",
		Password: "SECRETPASSWORD",
		Proxy:    "http://SECRETPROXYUSER:pw@proxy:3128/SECRETPROXYPATH",
		Headers:  map[string]string{"Authorization": "Bearer SECRETHEADER"},
		CAData:   []byte(caPEM),
	}
	secrets := []string{"SECRETSECRETSECRET", "SECRETTOKEN", "SECRETUSER", "SECRETPASSWORD", "SECRETPROXY", "SECRETHEADER", "MIIB"}
	outputs := map[string]string{
		"String":   c.String(),
		"GoString": c.GoString(),
		"%v":       fmt.Sprintf("%v", c),
		"%+v":      fmt.Sprintf("%+v", c),
		"%#v":      fmt.Sprintf("%#v", c),
		"%s":       fmt.Sprintf("%s", c),
		"%q":       fmt.Sprintf("%q", c),
		"pointer":  fmt.Sprintf("%+v", &c),
		"in a struct": fmt.Sprintf("%+v", struct {
			Name  string
			Creds provider.Credentials
		}{"x", c}),
		"in a slice": fmt.Sprint([]provider.Credentials{c}),
	}
	for name, out := range outputs {
		for _, s := range secrets {
			assert.NotContains(t, out, s, "%s: %s", name, out)
		}
	}
	assert.Equal(t, "Credentials{address=https://hooks.slack.com/<redacted> token=<redacted> username=<redacted> password=<redacted> proxy=http://proxy:3128/<redacted> headers=<1 redacted> ca=<set>}", c.String())
	assert.Equal(t, "Credentials{}", provider.Credentials{}.String())

	assert.ElementsMatch(t, []string{hookURL, "/services/T000/B000/SECRETSECRETSECRET", "xoxb-SECRETTOKEN", "SECRETPASSWORD", c.Proxy, "pw", "Bearer SECRETHEADER",
		"U0VDUkVUVVNFUjpTRUNSRVRQQVNTV09SRA==", "U0VDUkVUVVNFUjpTRUNSRVRQQVNTV09SRA"}, c.Secrets())
	assert.False(t, c.IsZero())
	assert.True(t, provider.Credentials{}.IsZero())
	assert.Empty(t, provider.Credentials{}.Secrets())
}
