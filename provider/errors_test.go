package provider_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/provider"
)

func response(status int, header http.Header) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: header}
}

func TestClassifyResponse(t *testing.T) {
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		body       string
		wantNil    bool
		retryable  bool
		code       string
		minWait    time.Duration
		maxWait    time.Duration
	}{
		{name: "200", status: 200, wantNil: true},
		{name: "204", status: 204, wantNil: true},
		{name: "400 invalid_payload is permanent", status: 400, body: "invalid_payload", code: "invalid_payload"},
		{name: "403", status: 403, body: "invalid_token\n", code: "invalid_token"},
		{name: "404 channel_not_found", status: 404, body: "channel_not_found", code: "channel_not_found"},
		{name: "410 gone", status: 410, body: "no_service"},
		{name: "429 with seconds", status: 429, retryAfter: "7", retryable: true, minWait: 7 * time.Second, maxWait: 7 * time.Second},
		{name: "429 with an HTTP date", status: 429, retryAfter: date, retryable: true, minWait: 80 * time.Second, maxWait: 91 * time.Second},
		{name: "429 without Retry-After", status: 429, retryable: true},
		{name: "429 with garbage Retry-After", status: 429, retryAfter: "soon", retryable: true},
		{name: "500", status: 500, body: "internal error", retryable: true, code: "internal error"},
		{name: "503 with Retry-After", status: 503, retryAfter: "2", retryable: true, minWait: 2 * time.Second, maxWait: 2 * time.Second},
		{name: "Retry-After on a permanent error is ignored", status: 400, retryAfter: "5"},
		{name: "an HTML page is not a code", status: 502, body: "<html><body>Bad Gateway</body></html>", retryable: true},
		{name: "a multi-line body becomes one line", status: 400, body: "bad\nthings\n", code: "bad things"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.retryAfter != "" {
				h.Set("Retry-After", tt.retryAfter)
			}
			err := provider.ClassifyResponse(response(tt.status, h), []byte(tt.body))
			if tt.wantNil {
				require.NoError(t, err)
				return
			}
			var pe *provider.Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.status, pe.StatusCode)
			assert.Equal(t, tt.retryable, pe.Retryable)
			assert.Equal(t, tt.retryable, provider.IsRetryable(err))
			if tt.code != "" {
				assert.Equal(t, tt.code, pe.Code)
			}
			assert.GreaterOrEqual(t, pe.RetryAfter, tt.minWait)
			assert.LessOrEqual(t, pe.RetryAfter, tt.maxWait)
			assert.Contains(t, err.Error(), fmt.Sprintf("status %d", tt.status))
		})
	}
}

func TestClassifyResponseLongBody(t *testing.T) {
	body := strings.Repeat("é", 300) // 600 bytes, two per rune
	err := provider.ClassifyResponse(response(400, nil), []byte(body))
	var pe *provider.Error
	require.ErrorAs(t, err, &pe)
	assert.LessOrEqual(t, len(pe.Code), 200+len("…"))
	assert.True(t, strings.HasSuffix(pe.Code, "…"))
	assert.True(t, strings.HasPrefix(body, strings.TrimSuffix(pe.Code, "…")), "cut on a rune boundary")
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{in: "", ok: false},
		{in: "0", want: 0, ok: true},
		{in: "120", want: 2 * time.Minute, ok: true},
		{in: " 3 ", want: 3 * time.Second, ok: true},
		{in: "-1", ok: false},
		{in: "1.5", ok: false},
		{in: "soon", ok: false},
		{in: "Sun, 01 Mar 2026 10:00:30 GMT", want: 30 * time.Second, ok: true},
		{in: "Sunday, 01-Mar-26 10:01:00 GMT", want: time.Minute, ok: true},
		{in: "Sun, 01 Mar 2026 09:00:00 GMT", want: 0, ok: true},
		{in: "99999999999", want: 24 * time.Hour, ok: true},
		{in: "99999999999999999999999", want: 24 * time.Hour, ok: true},
		{in: "-99999999999999999999999", ok: false},
		{in: "Fri, 01 Mar 2030 10:00:00 GMT", want: 24 * time.Hour, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := provider.ParseRetryAfter(tt.in, now)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := map[string]string{
		hookURL:                            "https://hooks.slack.com/<redacted>",
		"https://slack.com":                "https://slack.com",
		"https://slack.com/":               "https://slack.com",
		"https://example.com?token=SECRET": "https://example.com/<redacted>",
		"https://user:SECRET@example.com":  "https://example.com/<redacted>",
		"http://proxy:3128":                "http://proxy:3128",
		"not a url SECRET":                 "<redacted>",
		"hooks.slack.com/services/SECRET":  "<redacted>",
		"://bad":                           "<redacted>",
		"":                                 "<redacted>",
		"https://example.com/a#SECRET":     "https://example.com/<redacted>",
	}
	for in, want := range tests {
		got := provider.RedactURL(in)
		assert.Equal(t, want, got, in)
		assert.NotContains(t, got, "SECRET")
	}
}

func TestRedact(t *testing.T) {
	secret := "a b/c?d"
	s := "raw a b/c?d query a+b%2Fc%3Fd path a%20b%2Fc%3Fd end"
	assert.Equal(t, "raw <redacted> query <redacted> path <redacted> end", provider.Redact(s, secret, ""))
	assert.Equal(t, "nothing", provider.Redact("nothing"))
}

// TestRedactOverlappingSecrets: a short secret that is part of a longer one
// must not break the longer one up, whatever the order they are given in.
func TestRedactOverlappingSecrets(t *testing.T) {
	const hook = "https://hooks.example.com/services/T0/B0/TAILSECRET"
	tests := []struct {
		name    string
		s       string
		secrets []string
		want    string
	}{
		{"short first", "posting to " + hook, []string{"T0", hook}, "posting to <redacted>"},
		{"long first", "posting to " + hook, []string{hook, "T0"}, "posting to <redacted>"},
		{"path inside the URL", "no hook " + hook + " at /services/T0/B0/TAILSECRET", []string{"B0", "/services/T0/B0/TAILSECRET", hook}, "no hook <redacted> at <redacted>"},
		{"escaped form", "q=https%3A%2F%2Fhooks.example.com%2Fservices%2FT0%2FB0%2FTAILSECRET", []string{"services", hook}, "q=<redacted>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := provider.Redact(tt.s, tt.secrets...)
			assert.Equal(t, tt.want, got)
			assert.NotContains(t, got, "TAILSECRET")
		})
	}
}

// TestSanitizeErrorRealRequest makes a real request to a closed port on
// 127.0.0.1 with a secret in the path: the error net/http returns quotes the
// URL, and the sanitized one must not.
func TestSanitizeErrorRealRequest(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there any more

	url := "http://" + addr + "/services/T000/B000/SECRETSECRETSECRET?token=QUERYSECRET"
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader("{}"))
	require.NoError(t, err)
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, rawErr := client.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	require.Error(t, rawErr)
	require.Contains(t, rawErr.Error(), "SECRETSECRETSECRET", "net/http quotes the URL")

	err = provider.SanitizeError(rawErr, url)
	assert.NotContains(t, err.Error(), "SECRET")
	assert.Contains(t, err.Error(), "POST request")
	assert.True(t, provider.IsRetryable(err), "a network error is retryable")
	var opErr *net.OpError
	assert.ErrorAs(t, err, &opErr, "the cause survives for errors.As")
}

func TestSanitizeErrorCanceled(t *testing.T) {
	started := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-r.Context().Done()
	}))
	defer srv.Close()

	url := srv.URL + "/hook/SECRETPATH"
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	require.NoError(t, err)
	go func() {
		<-started // the request is in flight
		cancel()
	}()
	resp, rawErr := srv.Client().Do(req)
	if resp != nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	require.Error(t, rawErr)
	err = provider.SanitizeError(rawErr, url)
	assert.NotContains(t, err.Error(), "SECRETPATH")
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, provider.IsRetryable(err), "a cancellation is not retried")
}

func TestSanitizeError(t *testing.T) {
	assert.NoError(t, provider.SanitizeError(nil, "x"))

	err := provider.SanitizeError(errors.New("dial https://hooks.example.com/SECRET failed"), "https://hooks.example.com/SECRET")
	assert.EqualError(t, err, "dial <redacted> failed")
	assert.True(t, provider.IsRetryable(err))

	// A classified error keeps its class and fields.
	perm := fmt.Errorf("slack: %w", &provider.Error{StatusCode: 404, Code: "channel_not_found", Err: errors.New("posting to SECRET")})
	err = provider.SanitizeError(perm, "SECRET")
	var pe *provider.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 404, pe.StatusCode)
	assert.False(t, pe.Retryable)
	assert.Equal(t, "status 404: channel_not_found: posting to <redacted>", err.Error())

	// A server that echoes the secret in its short answer does not leak it.
	echoed := &provider.Error{StatusCode: 400, Code: "no hook at /services/SECRET"}
	err = provider.SanitizeError(echoed, "/services/SECRET")
	assert.Equal(t, "status 400: no hook at <redacted>", err.Error())
}

// TestSanitizeErrorCutAnswer: ClassifyResponse keeps the start of a long
// answer; when the cut falls inside an echoed secret, the beginning of the
// secret must not show.
func TestSanitizeErrorCutAnswer(t *testing.T) {
	const path = "/services/T0/B0/TAILSECRETTAILSECRET"
	hook := "https://hooks.example.com" + path
	filler := strings.Repeat("x", 150) + " no hook at "
	tests := []struct {
		name string
		body string
		want string
	}{
		{"cut inside the path", filler + strings.Repeat("y", 30) + path, filler + strings.Repeat("y", 30) + "<redacted>…"},
		{"cut inside the URL", filler + hook, filler + "<redacted>…"},
		{"cut after the secret", filler + path + " and more " + strings.Repeat("z", 100), filler + "<redacted> a…"},
		{"short answer", "no hook at " + path, "no hook at <redacted>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{}}
			err := provider.SanitizeError(provider.ClassifyResponse(resp, []byte(tt.body)), hook, path)
			var pe *provider.Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.want, pe.Code)
			for _, part := range []string{"TAILSECRET", "/T0/B0/TAIL", "/services/T0", "hooks.example.com/serv"} {
				assert.NotContains(t, err.Error(), part)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *provider.Error
		want string
	}{
		{&provider.Error{}, "delivery failed"},
		{&provider.Error{StatusCode: 500}, "status 500"},
		{&provider.Error{Code: "ratelimited"}, "ratelimited"},
		{&provider.Error{StatusCode: 429, Code: "ratelimited", RetryAfter: 3 * time.Second}, "status 429: ratelimited (retry after 3s)"},
		{&provider.Error{Err: io.EOF}, "EOF"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.err.Error())
	}
	assert.ErrorIs(t, &provider.Error{Err: io.EOF}, io.EOF)
}

func TestIsRetryable(t *testing.T) {
	assert.False(t, provider.IsRetryable(nil))
	assert.True(t, provider.IsRetryable(errors.New("connection reset")))
	assert.False(t, provider.IsRetryable(context.Canceled))
	assert.False(t, provider.IsRetryable(fmt.Errorf("x: %w", context.DeadlineExceeded)))
	assert.True(t, provider.IsRetryable(&provider.Error{Retryable: true}))
	assert.False(t, provider.IsRetryable(fmt.Errorf("wrapped: %w", &provider.Error{StatusCode: 400})))
}
