package provider_test

import (
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/provider"
)

func TestPostJSON(t *testing.T) {
	const secret = "s3cr3t-token-value"
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		wantErr   string // "" for success
		retryable bool
		status    int
		after     time.Duration
	}{
		{name: "2xx", handler: func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Custom") != "v" || r.Header.Get("Authorization") != "Bearer "+secret {
				http.Error(w, "bad headers", http.StatusBadRequest)
				return
			}
			body, _ := io.ReadAll(r.Body)
			if string(body) != `{"text":"hi"}` {
				http.Error(w, "bad body", http.StatusBadRequest)
				return
			}
			_, _ = w.Write([]byte("ok"))
		}},
		{name: "429 with Retry-After", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "7")
			http.Error(w, "rate_limited", http.StatusTooManyRequests)
		}, wantErr: "status 429: rate_limited", retryable: true, status: 429, after: 7 * time.Second},
		{name: "5xx", handler: func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "oops", http.StatusBadGateway)
		}, wantErr: "status 502: oops", retryable: true, status: 502},
		{name: "4xx is permanent", handler: func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "channel_not_found", http.StatusNotFound)
		}, wantErr: "status 404: channel_not_found", status: 404},
		{name: "an echoed secret is redacted", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad token "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+" for "+r.URL.Path, http.StatusForbidden)
		}, wantErr: "status 403: bad token <redacted> for <redacted>", status: 403},
		{name: "a long answer is read up to MaxAnswer", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(strings.Repeat("x", 10*provider.MaxAnswer)))
		}, wantErr: "status 500: xxx", retryable: true, status: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			address := srv.URL + "/hooks/" + secret
			header := http.Header{"X-Custom": {"v"}, "Authorization": {"Bearer " + secret}}
			answer, err := provider.PostJSON(t.Context(), srv.Client(), address, []byte(`{"text":"hi"}`), header, secret)
			assert.LessOrEqual(t, len(answer), provider.MaxAnswer)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, "ok", string(answer))
				return
			}
			require.Error(t, err)
			assert.ErrorContains(t, err, tt.wantErr)
			assert.NotContains(t, err.Error(), secret)
			var pe *provider.Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.retryable, pe.Retryable)
			assert.Equal(t, tt.status, pe.StatusCode)
			assert.Equal(t, tt.after, pe.RetryAfter)
		})
	}

	t.Run("network error names no secret", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		address := srv.URL + "/hooks/" + secret
		srv.Close()
		_, err := provider.PostJSON(t.Context(), http.DefaultClient, address, []byte(`{}`), nil)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), secret, "the address is a secret by default")
		assert.True(t, provider.IsRetryable(err))
	})

	t.Run("an untrusted certificate is permanent", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(http.NotFoundHandler())
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
		srv.StartTLS()
		defer srv.Close()
		client := &http.Client{Transport: &http.Transport{}} // without the test server's CA
		defer client.CloseIdleConnections()
		_, err := provider.PostJSON(t.Context(), client, srv.URL+"/hooks/"+secret, []byte(`{}`), nil)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), secret)
		assert.False(t, provider.IsRetryable(err), "%v", err)
	})

	t.Run("bad address", func(t *testing.T) {
		_, err := provider.PostJSON(t.Context(), http.DefaultClient, "::"+secret, nil, nil)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), secret)
		var pe *provider.Error
		assert.True(t, errors.As(err, &pe) && !pe.Retryable)
	})
}
