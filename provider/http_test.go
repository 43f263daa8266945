package provider_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/provider"
)

func TestNewHTTPClient(t *testing.T) {
	tests := []struct {
		name    string
		creds   provider.Credentials
		wantErr string
	}{
		{name: "defaults"},
		{name: "proxy", creds: provider.Credentials{Proxy: "http://user:pass@proxy.example:3128"}},
		{name: "bad proxy", creds: provider.Credentials{Proxy: "not a url with user:SECRET"}, wantErr: `proxy (spec.proxy or the secret's "proxy" key): want a URL, got <redacted>`},
		{name: "bad CA", creds: provider.Credentials{CAData: []byte("no pem here")}, wantErr: `spec.certSecretRef: no PEM certificate found in "ca.crt"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := provider.NewHTTPClient(tt.creds, time.Second)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), "SECRET")
				return
			}
			require.NoError(t, err)
			assert.Zero(t, c.Timeout, "requests are bounded by their context")
			tr := c.Transport.(*http.Transport)
			assert.Equal(t, time.Second, tr.ResponseHeaderTimeout)
			assert.Equal(t, 64, tr.MaxIdleConnsPerHost)
		})
	}
}

func TestNewHTTPClientDoesNotFollowRedirects(t *testing.T) {
	srv := httptest.NewServer(http.RedirectHandler("/elsewhere", http.StatusFound))
	defer srv.Close()
	c, err := provider.NewHTTPClient(provider.Credentials{}, time.Second)
	require.NoError(t, err)
	defer c.CloseIdleConnections()

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/hook", http.NoBody)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode, "the 3xx is returned, to be classified")
}
