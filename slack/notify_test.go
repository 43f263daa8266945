package slack

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
)

// tinyPolicy retries twice, without waiting to speak of: Retry-After is
// capped by MaxWait.
var tinyPolicy = provider.RetryPolicy{Retries: 2, MinWait: time.Millisecond, MaxWait: time.Millisecond}

const testToken = "xoxb-0000-secret-token"

// closedURL returns the base URL of a listener on 127.0.0.1 that is closed:
// connecting to it is refused.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	u := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	return u
}

// target is one way of reaching Slack, and its secrets.
type target struct {
	name    string
	creds   func(base string) provider.Credentials
	opts    func(base string) []Option
	secrets func(base string) []string
}

var targets = []target{
	{
		name: "webhook",
		creds: func(base string) provider.Credentials {
			return provider.Credentials{Address: base + slacktest.WebhookPath}
		},
		opts: func(string) []Option { return nil },
		secrets: func(base string) []string {
			return []string{base + slacktest.WebhookPath, slacktest.WebhookPath, "B000/XXX"}
		},
	},
	{
		name:    "chat.postMessage",
		creds:   func(string) provider.Credentials { return provider.Credentials{Token: testToken} },
		opts:    func(base string) []Option { return []Option{WithAPIURL(base + slacktest.APIPath)} },
		secrets: func(string) []string { return []string{testToken, "secret-token"} },
	},
}

func TestNotify_AnswerClasses(t *testing.T) {
	inAnHour := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	tests := []struct {
		name           string
		answer         func(srv *slacktest.Server, secrets []string)
		cancelled      bool
		refused        bool
		wantErr        bool
		wantAttempts   int
		wantRequests   int
		wantStatus     int
		wantCode       string
		wantRetryable  bool
		wantRetryAfter [2]time.Duration // range, inclusive
		wantIs         error
	}{
		{
			name:         "200",
			answer:       func(*slacktest.Server, []string) {},
			wantAttempts: 1, wantRequests: 1,
		},
		{
			name:    "400 with a Slack error body",
			answer:  func(s *slacktest.Server, _ []string) { s.Respond(9, slacktest.Error(400, "invalid_payload")) },
			wantErr: true, wantAttempts: 1, wantRequests: 1,
			wantStatus: 400, wantCode: "invalid_payload",
		},
		{
			name:    "404",
			answer:  func(s *slacktest.Server, _ []string) { s.Respond(9, slacktest.NotFound()) },
			wantErr: true, wantAttempts: 1, wantRequests: 1,
			wantStatus: 404, wantCode: "no_service",
		},
		{
			name:    "429 with Retry-After in seconds",
			answer:  func(s *slacktest.Server, _ []string) { s.Respond(9, slacktest.TooManyRequests("7")) },
			wantErr: true, wantAttempts: 3, wantRequests: 3,
			wantStatus: 429, wantCode: "rate_limited", wantRetryable: true,
			wantRetryAfter: [2]time.Duration{7 * time.Second, 7 * time.Second},
		},
		{
			name:    "429 with Retry-After as an HTTP date",
			answer:  func(s *slacktest.Server, _ []string) { s.Respond(9, slacktest.TooManyRequests(inAnHour)) },
			wantErr: true, wantAttempts: 3, wantRequests: 3,
			wantStatus: 429, wantCode: "rate_limited", wantRetryable: true,
			wantRetryAfter: [2]time.Duration{58 * time.Minute, time.Hour},
		},
		{
			name:         "500 then success",
			answer:       func(s *slacktest.Server, _ []string) { s.Respond(1, slacktest.ServerError()) },
			wantAttempts: 2, wantRequests: 2,
		},
		{
			name:    "500 every time",
			answer:  func(s *slacktest.Server, _ []string) { s.Respond(9, slacktest.ServerError()) },
			wantErr: true, wantAttempts: 3, wantRequests: 3,
			wantStatus: 500, wantCode: "rollup_error", wantRetryable: true,
		},
		{
			name: "500 with the secret in the answer",
			answer: func(s *slacktest.Server, secrets []string) {
				s.Respond(9, slacktest.Error(502, "upstream failed for "+secrets[0]))
			},
			wantErr: true, wantAttempts: 3, wantRequests: 3,
			wantStatus: 502, wantCode: "upstream failed for <redacted>", wantRetryable: true,
		},
		{
			name:    "ok:false",
			answer:  func(s *slacktest.Server, _ []string) { s.Respond(9, slacktest.NotOK("channel_not_found")) },
			wantErr: true, wantAttempts: 1, wantRequests: 1,
			wantStatus: 200, wantCode: "channel_not_found",
		},
		{
			name:         "ok:false service_unavailable then success",
			answer:       func(s *slacktest.Server, _ []string) { s.Respond(1, slacktest.NotOK("service_unavailable")) },
			wantAttempts: 2, wantRequests: 2,
		},
		{
			name:      "context cancelled",
			answer:    func(*slacktest.Server, []string) {},
			cancelled: true,
			wantErr:   true, wantAttempts: 1, wantRequests: 0,
			wantIs: context.Canceled,
		},
		{
			name:    "connection refused",
			answer:  func(*slacktest.Server, []string) {},
			refused: true,
			wantErr: true, wantAttempts: 3, wantRequests: 0,
			wantRetryable: true, wantIs: syscall.ECONNREFUSED,
		},
	}
	for _, tg := range targets {
		for _, tt := range tests {
			t.Run(tg.name+"/"+tt.name, func(t *testing.T) {
				srv := slacktest.NewServer()
				defer srv.Close()
				base := srv.URL
				if tt.refused {
					base = closedURL(t)
				}
				secrets := tg.secrets(base)
				tt.answer(srv, secrets)

				p := exampleProvider()
				nt, err := New(p, tg.creds(base), tg.opts(base)...)
				require.NoError(t, err)
				defer nt.CloseIdleConnections()

				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if tt.cancelled {
					cancel()
				}
				n := exampleNotification(nil)
				n.Data.Channel = "#devops-alerts"
				res, err := provider.Deliver(ctx, nt, n, tinyPolicy, p.GetTimeout())
				assert.Equal(t, tt.wantAttempts, res.Attempts, "attempts")
				assert.Equal(t, tt.wantRequests, srv.Len(), "requests received")
				if !tt.wantErr {
					require.NoError(t, err)
					return
				}
				require.Error(t, err)

				var pe *provider.Error
				require.True(t, errors.As(err, &pe), "a *provider.Error: %v", err)
				assert.Equal(t, tt.wantStatus, pe.StatusCode, "status")
				assert.Equal(t, tt.wantCode, pe.Code, "code")
				assert.Equal(t, tt.wantRetryable, pe.Retryable, "retryable")
				assert.Equal(t, tt.wantRetryable, provider.IsRetryable(err))
				if tt.wantRetryAfter[1] > 0 {
					assert.GreaterOrEqual(t, pe.RetryAfter, tt.wantRetryAfter[0])
					assert.LessOrEqual(t, pe.RetryAfter, tt.wantRetryAfter[1])
				}
				if tt.wantIs != nil {
					assert.ErrorIs(t, err, tt.wantIs)
				}
				assert.Contains(t, err.Error(), "slack "+tg.name, "the error says what was attempted")

				for _, shown := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), pe.Code, nt.String()} {
					for _, s := range secrets {
						assert.NotContains(t, shown, s, "a secret leaks")
					}
				}
			})
		}
	}
}

// TestNotify_CutAnswerEchoesSecret: a long error answer is cut to its start
// for the error code; when the cut falls inside an echoed webhook path or
// URL, no part of the secret may show.
func TestNotify_CutAnswerEchoesSecret(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	nt, err := New(exampleProvider(), provider.Credentials{Address: srv.WebhookURL()})
	require.NoError(t, err)
	defer nt.CloseIdleConnections()
	tests := []struct {
		name string
		echo string
	}{
		{"path", slacktest.WebhookPath},
		{"URL", srv.WebhookURL()},
	}
	for _, tt := range tests {
		for pad := 170; pad < 200; pad += 3 {
			t.Run(fmt.Sprintf("%s/%d", tt.name, pad), func(t *testing.T) {
				srv.Respond(1, slacktest.Error(http.StatusBadRequest, strings.Repeat("x", pad)+" "+tt.echo))
				err := nt.Notify(context.Background(), exampleNotification(nil))
				var pe *provider.Error
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, http.StatusBadRequest, pe.StatusCode)
				for _, part := range []string{"/services/T", "T000/B0", "B000/X", "/XXX", "00/XX"} {
					assert.NotContains(t, err.Error(), part)
				}
			})
		}
	}
}

func TestNotify_Request(t *testing.T) {
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			srv := slacktest.NewServer()
			defer srv.Close()
			srv.SetToken(testToken)
			creds := tg.creds(srv.URL)
			creds.Headers = map[string]string{"X-Team": "platform"}
			nt, err := New(exampleProvider(), creds, append(tg.opts(srv.URL), WithUserAgent("fluxnotify-test"))...)
			require.NoError(t, err)
			defer nt.CloseIdleConnections()

			n := exampleNotification(nil)
			n.Data.Channel = "#devops-alerts"
			for range 3 {
				require.NoError(t, nt.Notify(context.Background(), n))
			}
			assert.Equal(t, 1, srv.Connections(), "one kept-alive connection for three messages")

			want, err := nt.Render(n)
			require.NoError(t, err)
			r, ok := srv.Last()
			require.True(t, ok)
			assert.Equal(t, http.MethodPost, r.Method)
			assert.Equal(t, string(want), string(r.Body), "Render shows the exact body")
			assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
			assert.Equal(t, "fluxnotify-test", r.Header.Get("User-Agent"))
			assert.Equal(t, "platform", r.Header.Get("X-Team"))
			assert.Equal(t, tg.name == "chat.postMessage", r.Bearer)
			assert.Equal(t, "#devops-alerts", r.Message.Channel)
			require.Len(t, r.Message.Attachments, 1)
			assert.Equal(t, "danger", r.Message.Attachments[0].Color)
		})
	}
}

func TestNotify_UnexpectedAnswer(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	srv.RespondFunc(func(slacktest.Request) slacktest.Answer {
		return slacktest.Answer{Status: http.StatusOK, Body: "<html>Welcome to the hotel wifi</html>"}
	})
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			nt, err := New(exampleProvider(), tg.creds(srv.URL), tg.opts(srv.URL)...)
			require.NoError(t, err)
			defer nt.CloseIdleConnections()
			n := exampleNotification(nil)
			n.Data.Channel = "#c"
			err = nt.Notify(context.Background(), n)
			if tg.name == "webhook" {
				assert.NoError(t, err, "a webhook's 2xx is success, whatever the body")
				return
			}
			require.EqualError(t, err, `slack chat.postMessage `+srv.PostMessageURL()+`: status 200: unexpected answer: not Slack's {"ok": …}`)
			assert.False(t, provider.IsRetryable(err))
		})
	}
}

func TestNotify_WebAPIErrorBody(t *testing.T) {
	// The Web API answers 429 with a JSON body: its error string is the code.
	srv := slacktest.NewServer()
	defer srv.Close()
	a := slacktest.NotOK("ratelimited")
	a.Status = http.StatusTooManyRequests
	a.Header.Set("Retry-After", "30")
	srv.Respond(1, a)
	nt, err := New(exampleProvider(), provider.Credentials{Token: testToken}, WithAPIURL(srv.APIURL()), WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	n := exampleNotification(nil)
	n.Data.Channel = "#c"
	err = nt.Notify(context.Background(), n)
	var pe *provider.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, &provider.Error{StatusCode: 429, Code: "ratelimited", Retryable: true, RetryAfter: 30 * time.Second}, pe)
	nt.CloseIdleConnections() // the client given is not the notifier's: left alone
	require.NoError(t, nt.Notify(context.Background(), n))
	assert.Equal(t, 1, srv.Connections(), "the given client's connection was kept")
}

// TestNotify_LongJSONErrorCode: the error string of a JSON answer becomes
// Code on one line and bounded, like a plain-text answer, and an echoed
// token cut short does not show.
func TestNotify_LongJSONErrorCode(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   string
		want   string
	}{
		{"ok:false, line breaks", http.StatusOK, "invalid_blocks\\n\\nFAKE LOG LINE level=error", "invalid_blocks FAKE LOG LINE level=error"},
		{"ok:false, 64 KiB", http.StatusOK, strings.Repeat("y", 64000), strings.Repeat("y", 199) + "…"},
		{"400, 64 KiB", http.StatusBadRequest, strings.Repeat("z", 64000), strings.Repeat("z", 199) + "…"},
		{"ok:false, echoed token cut", http.StatusOK, strings.Repeat("t", 190) + " " + testToken, strings.Repeat("t", 190) + " <redacted>…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := slacktest.NewServer()
			defer srv.Close()
			srv.Respond(1, slacktest.Answer{Status: tt.status, Header: http.Header{"Content-Type": {"application/json"}}, Body: `{"ok":false,"error":"` + tt.code + `"}`})
			nt, err := New(exampleProvider(), provider.Credentials{Token: testToken}, WithAPIURL(srv.APIURL()))
			require.NoError(t, err)
			defer nt.CloseIdleConnections()
			n := exampleNotification(nil)
			n.Data.Channel = "#c"
			err = nt.Notify(context.Background(), n)
			var pe *provider.Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.want, pe.Code)
			assert.NotContains(t, err.Error(), "\n")
			assert.NotContains(t, err.Error(), "xoxb-")
		})
	}
}

// TestNotify_TimeoutWithoutDeadline: a Notify whose context has no deadline
// is bounded by the provider's spec.timeout, with the notifier's own client
// as with one given by WithHTTPClient, so a server that never answers
// cannot hang it.
func TestNotify_TimeoutWithoutDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	p := exampleProvider()
	p.Spec.Timeout = &metav1.Duration{Duration: 50 * time.Millisecond}
	tests := []struct {
		name string
		opts []Option
	}{
		{"own client", nil},
		{"WithHTTPClient", []Option{WithHTTPClient(&http.Client{})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nt, err := New(p, provider.Credentials{Address: srv.URL + slacktest.WebhookPath}, tt.opts...)
			require.NoError(t, err)
			defer nt.CloseIdleConnections()
			done := make(chan error, 1)
			go func() { done <- nt.Notify(context.Background(), exampleNotification(nil)) }()
			select {
			case err := <-done:
				require.Error(t, err)
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			case <-time.After(10 * time.Second):
				t.Fatal("Notify without a deadline hangs on a server that never answers")
			}
		})
	}
}

func TestNotify_Concurrent(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	nt, err := New(exampleProvider(), provider.Credentials{Address: srv.WebhookURL()})
	require.NoError(t, err)
	defer nt.CloseIdleConnections()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() { errs <- nt.Notify(context.Background(), exampleNotification(nil)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.Equal(t, 16, srv.Len())
	assert.LessOrEqual(t, srv.Connections(), 16)
}

func TestNotify_ChatPostMessageNeedsChannel(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	nt, err := New(exampleProvider(), provider.Credentials{Token: testToken}, WithAPIURL(srv.APIURL()))
	require.NoError(t, err)
	defer nt.CloseIdleConnections()
	res, err := provider.Deliver(context.Background(), nt, exampleNotification(nil), tinyPolicy, 0)
	require.ErrorContains(t, err, "alert flux-system/flux-alerts: no channel: chat.postMessage needs one")
	assert.Equal(t, 1, res.Attempts)
	assert.Zero(t, srv.Len())
}

func TestNotify_NoCredentials(t *testing.T) {
	r := provider.NewRegistry()
	require.NoError(t, Register(r))
	nt, err := r.New(exampleProvider(), provider.Credentials{})
	require.NoError(t, err, "a dry run builds notifiers without Secrets")

	body, err := nt.(provider.Renderer).Render(exampleNotification(nil))
	require.NoError(t, err)
	assert.Contains(t, string(body), exampleMessage)

	res, err := provider.Deliver(context.Background(), nt, exampleNotification(nil), tinyPolicy, 0)
	require.EqualError(t, err, `after 1 attempt(s): slack unconfigured: no webhook address nor bot token: set spec.secretRef (key "address", "url" or "token") or spec.address`)
	assert.Equal(t, 1, res.Attempts)
	assert.False(t, provider.IsRetryable(err))
}

func TestNotify_Proxy(t *testing.T) {
	// The sink plays the proxy: it receives the absolute-form request.
	proxy := slacktest.NewServer()
	defer proxy.Close()
	nt, err := New(exampleProvider(), provider.Credentials{
		Address: "http://hooks.slack.invalid" + slacktest.WebhookPath,
		Proxy:   proxy.URL,
	})
	require.NoError(t, err)
	defer nt.CloseIdleConnections()
	require.NoError(t, nt.Notify(context.Background(), exampleNotification(nil)))
	require.Equal(t, 1, proxy.Len())
	r, _ := proxy.Last()
	assert.Equal(t, slacktest.WebhookPath, r.Path)
}

func TestNotify_CustomCA(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	srv.EnableHTTP2 = false
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake errors are the point
	srv.StartTLS()
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	address := srv.URL + "/services/T/B/TLS"

	t.Run("trusted", func(t *testing.T) {
		nt, err := New(exampleProvider(), provider.Credentials{Address: address, CAData: ca})
		require.NoError(t, err)
		defer nt.CloseIdleConnections()
		require.NoError(t, nt.Notify(context.Background(), exampleNotification(nil)))
	})
	t.Run("unknown authority is permanent", func(t *testing.T) {
		nt, err := New(exampleProvider(), provider.Credentials{Address: address})
		require.NoError(t, err)
		defer nt.CloseIdleConnections()
		res, err := provider.Deliver(context.Background(), nt, exampleNotification(nil), tinyPolicy, 0)
		require.Error(t, err)
		assert.Equal(t, 1, res.Attempts)
		var ve *tls.CertificateVerificationError
		assert.ErrorAs(t, err, &ve)
		assert.NotContains(t, err.Error(), "/services/T/B/TLS")
	})
}

func TestNew_Errors(t *testing.T) {
	const hook = "https://hooks.slack.com/services/T0/B0/SECRETSECRET"
	tests := []struct {
		name  string
		p     *provider.Provider
		creds provider.Credentials
		opts  []Option
		want  string
	}{
		{"nil provider", nil, provider.Credentials{}, nil, "slack: nil provider"},
		{"not a URL", exampleProvider(), provider.Credentials{Address: "hooks.slack.com/services/T0/B0/SECRETSECRET"}, nil,
			`provider flux-system/slack: address (spec.address or the secret's "address"/"url" key): want an http(s) URL, got <redacted>`},
		{"not http", exampleProvider(), provider.Credentials{Address: "ftp://hooks.slack.com/services/T0/B0/SECRETSECRET"}, nil,
			`provider flux-system/slack: address (spec.address or the secret's "address"/"url" key): want an http(s) URL, got ftp://hooks.slack.com/<redacted>`},
		{"bad proxy", exampleProvider(), provider.Credentials{Address: hook, Proxy: "://user:SECRETSECRET@proxy"}, nil,
			`provider flux-system/slack: proxy (spec.proxy or the secret's "proxy" key): want a URL, got <redacted>`},
		{"bad CA", exampleProvider(), provider.Credentials{Address: hook, CAData: []byte("not PEM")}, nil,
			`provider flux-system/slack: spec.certSecretRef: no PEM certificate found in "ca.crt"`},
		{"bad option", exampleProvider(), provider.Credentials{Address: hook}, []Option{WithFormat("fancy")},
			`provider flux-system/slack: WithFormat: unknown format "fancy" (want "flux" or "blocks")`},
		{"bad API URL", exampleProvider(), provider.Credentials{Token: testToken}, []Option{WithAPIURL("slack.com")},
			`provider flux-system/slack: WithAPIURL: want an http(s) URL, got "slack.com"`},
		{"nil client", exampleProvider(), provider.Credentials{Address: hook}, []Option{WithHTTPClient(nil)},
			`provider flux-system/slack: WithHTTPClient: nil client`},
		{"header value with a line break", exampleProvider(), provider.Credentials{Address: hook, Headers: map[string]string{"Authorization": "Bearer SECRETSECRET\n"}}, nil,
			`provider flux-system/slack: headers (the secret's "headers" key): the value of "Authorization" is not a valid header value (a line break or control character)`},
		{"header name with a space", exampleProvider(), provider.Credentials{Address: hook, Headers: map[string]string{"X Team": "SECRETSECRET"}}, nil,
			`provider flux-system/slack: headers (the secret's "headers" key): "X Team" is not a valid header name`},
		{"empty header name", exampleProvider(), provider.Credentials{Address: hook, Headers: map[string]string{"": "SECRETSECRET"}}, nil,
			`provider flux-system/slack: headers (the secret's "headers" key): "" is not a valid header name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.p, tt.creds, tt.opts...)
			require.EqualError(t, err, tt.want)
			assert.NotContains(t, err.Error(), "SECRETSECRET")
		})
	}
}

func TestRegister(t *testing.T) {
	r := provider.NewRegistry()
	require.EqualError(t, Register(r, WithFormat("fancy")), `slack: WithFormat: unknown format "fancy" (want "flux" or "blocks")`)
	assert.Empty(t, r.Types())
	require.NoError(t, Register(r, WithFormat(FormatBlocks)))
	assert.Equal(t, []string{TypeDiscord, TypeRocket, Type}, r.Types())
	require.ErrorContains(t, Register(r), `type "slack" is already registered`)
}

func TestNotifier_NeverShowsSecrets(t *testing.T) {
	const hook = "https://hooks.slack.com/services/T0/B0/SECRETSECRET"
	for _, tt := range []struct {
		creds provider.Credentials
		want  string
	}{
		{provider.Credentials{Address: hook}, "slack webhook https://hooks.slack.com/<redacted> (provider flux-system/slack)"},
		{provider.Credentials{Token: "xoxb-SECRETSECRET"}, "slack chat.postMessage https://slack.com/api/chat.postMessage (provider flux-system/slack)"},
		{provider.Credentials{}, "slack unconfigured (provider flux-system/slack)"},
		{provider.Credentials{Token: "xoxb-SECRETSECRET", Address: hook}, "slack chat.postMessage https://hooks.slack.com/<redacted> (provider flux-system/slack)"},
	} {
		nt, err := New(exampleProvider(), tt.creds)
		require.NoError(t, err)
		var logged bytes.Buffer
		slog.New(slog.NewTextHandler(&logged, nil)).Info("built", "notifier", nt)
		for _, s := range []string{nt.String(), fmt.Sprint(nt), fmt.Sprintf("%+v", nt), fmt.Sprintf("%q", nt), logged.String()} {
			assert.NotContains(t, s, "SECRETSECRET")
			assert.Contains(t, s, strings.Trim(fmt.Sprintf("%q", tt.want), `"`)[:20])
		}
		// The secrets are provider.Secret values: no other form shows them.
		asJSON, err := json.Marshal(nt)
		require.NoError(t, err)
		var jsonLog bytes.Buffer
		slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("built", "notifier", nt, "value", *nt)
		for _, s := range []string{fmt.Sprintf("%#v", nt), fmt.Sprintf("%+v", *nt), fmt.Sprintf("%#v", *nt), string(asJSON), jsonLog.String()} {
			assert.NotContains(t, s, "SECRETSECRET")
		}
		assert.Equal(t, tt.want, nt.String())
	}
}

// headerTagger is a RoundTripper that breaks the RoundTripper contract, as
// some do: it sets a header on the request it is given.
type headerTagger struct{ next http.RoundTripper }

func (h headerTagger) RoundTrip(r *http.Request) (*http.Response, error) {
	r.Header.Set("X-Tagged", "yes")
	return h.next.RoundTrip(r)
}

// TestNotify_HeadersNotShared: the notifier's own client sends the headers
// New built; a client given with WithHTTPClient gets a copy per request, so
// a transport that changes them changes neither the notifier nor the next
// request.
func TestNotify_HeadersNotShared(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	for _, tt := range []struct {
		name string
		opts []Option
	}{
		{"own client", nil},
		{"WithHTTPClient", []Option{WithHTTPClient(&http.Client{Transport: headerTagger{http.DefaultTransport}})}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nt, err := New(exampleProvider(), provider.Credentials{Address: srv.WebhookURL()}, tt.opts...)
			require.NoError(t, err)
			defer nt.CloseIdleConnections()
			for range 2 {
				require.NoError(t, nt.Notify(context.Background(), exampleNotification(nil)))
			}
			assert.Empty(t, nt.header.Get("X-Tagged"))
			assert.Equal(t, "application/json; charset=utf-8", nt.header.Get("Content-Type"))
		})
	}
}
