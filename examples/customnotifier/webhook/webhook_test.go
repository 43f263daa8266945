package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/examples/customnotifier/webhook"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/provider/providertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	t.Run("generic", func(t *testing.T) {
		providertest.Run(t, providertest.Harness{
			New: webhook.Factory(),
			Inspect: func(r providertest.Request, n *provider.Notification) error {
				if got := r.Header.Get(webhook.SignatureHeader); got != "" {
					return fmt.Errorf("generic signs: %s", got)
				}
				return checkRequest(r, n)
			},
		})
	})
	t.Run("generic-hmac", func(t *testing.T) {
		var mu sync.Mutex
		var token string
		providertest.Run(t, providertest.Harness{
			New: webhook.Factory(webhook.Signed()),
			Credentials: func(baseURL string, s providertest.Secrets) provider.Credentials {
				mu.Lock()
				token = s.Token
				mu.Unlock()
				return provider.Credentials{
					Address: baseURL + "/hooks/" + s.Path,
					Token:   s.Token,
					Headers: map[string]string{providertest.HeaderName: s.Header},
				}
			},
			Inspect: func(r providertest.Request, n *provider.Notification) error {
				mu.Lock()
				key := []byte(token)
				mu.Unlock()
				if !webhook.Verify(r.Body, key, r.Header.Get(webhook.SignatureHeader)) {
					return fmt.Errorf("bad signature %q", r.Header.Get(webhook.SignatureHeader))
				}
				return checkRequest(r, n)
			},
		})
	})
}

// checkRequest checks what Flux's generic provider sends.
func checkRequest(r providertest.Request, n *provider.Notification) error {
	if r.Method != http.MethodPost {
		return fmt.Errorf("method %s", r.Method)
	}
	if got := r.Header.Get(webhook.ComponentHeader); got != n.Data.Event.ReportingController {
		return fmt.Errorf("%s: %q", webhook.ComponentHeader, got)
	}
	if r.Header.Get(providertest.HeaderName) == "" {
		return errors.New("the Secret's header was not sent")
	}
	e, err := event.Unmarshal(r.Body)
	if err != nil {
		return err
	}
	if e.Message != n.Data.Message || e.InvolvedObject != n.Data.Event.InvolvedObject {
		return fmt.Errorf("another event arrived: %+v", e)
	}
	if fmt.Sprint(e.Metadata) != fmt.Sprint(n.Data.Metadata) {
		return fmt.Errorf("metadata %v, want the merged %v", e.Metadata, n.Data.Metadata)
	}
	return nil
}

func TestNotifyFluxCompatible(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		body, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()

	p := &provider.Provider{
		ObjectMeta: metav1.ObjectMeta{Name: "audit", Namespace: "flux-system"},
		Spec:       provider.Spec{Type: webhook.TypeHMAC},
	}
	n, err := webhook.New(p, provider.Credentials{
		Address: srv.URL + "/flux", Token: "s3cr3t",
		Headers: map[string]string{"Authorization": "Bearer abc"},
	}, webhook.Signed())
	require.NoError(t, err)
	defer n.CloseIdleConnections()

	e := event.New(
		corev1.ObjectReference{APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization", Name: "apps", Namespace: "flux-system"},
		event.SeverityInfo, "ReconciliationSucceeded", "Reconciliation finished",
		event.WithController("kustomize-controller"),
		event.WithTimestamp(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
		event.WithMetadata(map[string]string{
			"kustomize.toolkit.fluxcd.io/revision": "main@sha1:abc",
			"kustomize.toolkit.fluxcd.io/token":    "dedup-token",
			"event.toolkit.fluxcd.io/team":         "sre",
		}),
	)
	a := &alert.Alert{
		ObjectMeta: metav1.ObjectMeta{Name: "audit", Namespace: "flux-system"},
		Spec:       alert.Spec{Summary: "prod", EventMetadata: map[string]string{"env": "prod"}},
	}
	require.NoError(t, n.Notify(context.Background(), provider.NewNotification(e, a, p, nil, provider.Context{})))

	require.NotNil(t, got)
	assert.Equal(t, "/flux", got.URL.Path)
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	assert.Equal(t, "kustomize-controller", got.Header.Get("Gotk-Component"))
	assert.Equal(t, "Bearer abc", got.Header.Get("Authorization"))
	assert.Equal(t, webhook.Sign(body, []byte("s3cr3t")), got.Header.Get("X-Signature"))

	var sent map[string]any
	require.NoError(t, json.Unmarshal(body, &sent))
	assert.Equal(t, map[string]any{"revision": "main@sha1:abc", "team": "sre", "env": "prod", "summary": "prod"}, sent["metadata"],
		"the event is sent with its metadata merged as Flux does (token hidden)")
	assert.Equal(t, "2026-01-02T03:04:05Z", sent["timestamp"])
	assert.Equal(t, "info", sent["severity"])
	assert.Len(t, e.Metadata, 3, "the shared event is not modified")
}

func TestSignVerify(t *testing.T) {
	body, key := []byte(`{"message":"hi"}`), []byte("k")
	sig := webhook.Sign(body, key)
	// HMAC-SHA256("k", body), as `openssl dgst -sha256 -hmac k` prints it.
	assert.Regexp(t, `^sha256=[0-9a-f]{64}$`, sig)
	for name, tc := range map[string]struct {
		body []byte
		key  []byte
		sig  string
		want bool
	}{
		"valid":         {body, key, sig, true},
		"other body":    {[]byte(`{}`), key, sig, false},
		"other key":     {body, []byte("x"), sig, false},
		"no prefix":     {body, key, sig[len("sha256="):], false},
		"not hex":       {body, key, "sha256=zz", false},
		"empty":         {body, key, "", false},
		"sha1 prefixed": {body, key, "sha1=" + sig[len("sha256="):], false},
	} {
		assert.Equal(t, tc.want, webhook.Verify(tc.body, tc.key, tc.sig), name)
	}
}

func TestNewErrors(t *testing.T) {
	p := &provider.Provider{ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: "ns"}}
	_, err := webhook.New(p, provider.Credentials{Address: "ftp://example.com/secret-path"})
	require.EqualError(t, err, "provider ns/w: address: want an http(s) URL, got ftp://example.com/<redacted>")
	_, err = webhook.New(p, provider.Credentials{Address: "https://example.com", Proxy: "::"})
	require.ErrorContains(t, err, `proxy (spec.proxy or the secret's "proxy" key): want a URL`)
	_, err = webhook.New(p, provider.Credentials{Address: "https://example.com", CAData: []byte("nope")})
	require.ErrorContains(t, err, "no PEM certificate")
	_, err = webhook.New(nil, provider.Credentials{})
	require.Error(t, err)

	n, err := webhook.New(p, provider.Credentials{Address: "https://example.com/hook"}, webhook.Signed())
	require.NoError(t, err)
	err = n.Notify(context.Background(), &provider.Notification{Data: nil})
	var pe *provider.Error
	require.ErrorAs(t, err, &pe)
	assert.False(t, pe.Retryable)
	assert.EqualError(t, err, `webhook ns/w: generic-hmac needs the Secret's "token" key to sign with`)
}

func TestRegister(t *testing.T) {
	r := provider.NewRegistry()
	require.NoError(t, webhook.Register(r))
	assert.Equal(t, []string{"generic", "generic-hmac"}, r.Types())
	require.Error(t, webhook.Register(r), "a type cannot be registered twice")
}

// FuzzVerify checks that Verify never panics, accepts what Sign produces
// and refuses it for another body.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(`{"message":"hi"}`), []byte("k"), "sha256=00")
	f.Add([]byte{}, []byte{}, "")
	f.Add([]byte("x"), []byte("key"), "sha256=zz")
	f.Fuzz(func(t *testing.T, body, key []byte, sig string) {
		_ = webhook.Verify(body, key, sig)
		good := webhook.Sign(body, key)
		if !webhook.Verify(body, key, good) {
			t.Fatalf("Verify refuses Sign(%q, %q)", body, key)
		}
		if webhook.Verify(append(append([]byte(nil), body...), '!'), key, good) {
			t.Fatal("Verify accepts the signature of another body")
		}
	})
}

func BenchmarkNotify(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	p := &provider.Provider{ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: "ns"}, Spec: provider.Spec{Type: webhook.TypeHMAC}}
	n, err := webhook.New(p, provider.Credentials{Address: srv.URL + "/hook", Token: "k"}, webhook.Signed())
	require.NoError(b, err)
	defer n.CloseIdleConnections()
	e := event.New(corev1.ObjectReference{Kind: "Kustomization", Name: "apps", Namespace: "flux-system"},
		event.SeverityError, "HealthCheckFailed", "timeout", event.WithRevision("main@sha1:abc"))
	note := provider.NewNotification(e, nil, p, nil, provider.Context{})
	b.ReportAllocs()
	for b.Loop() {
		if err := n.Notify(context.Background(), note); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNotifierShowsNoSecret prints a notifier every way fmt, log/slog and
// encoding/json can: its address (whose path is the secret), token and
// header values are provider.Secret values, which show as "<redacted>"
// even where fmt prints the notifier's fields one by one (%+v of a
// struct holding a Notifier, not a pointer to one).
func TestNotifierShowsNoSecret(t *testing.T) {
	p := &provider.Provider{ObjectMeta: metav1.ObjectMeta{Name: "audit", Namespace: "flux-system"}}
	creds := provider.Credentials{
		Address: "https://user:s3cr3t-pass@hooks.example.com/hooks/s3cr3t-path?key=s3cr3t-query",
		Token:   "s3cr3t-token",
		Headers: map[string]string{"Authorization": "Bearer s3cr3t-header"},
	}
	n, err := webhook.New(p, creds, webhook.Signed())
	require.NoError(t, err)
	t.Cleanup(n.CloseIdleConnections)

	var logged, loggedJSON bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("built", "notifier", n)
	slog.New(slog.NewJSONHandler(&loggedJSON, nil)).Info("built", "notifier", n, "value", *n)
	shown := map[string]string{"slog": logged.String(), "slog JSON": loggedJSON.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x"} {
		shown[verb] = fmt.Sprintf(verb, n)
		shown[verb+" of a struct holding it"] = fmt.Sprintf(verb, struct{ N webhook.Notifier }{*n})
	}
	shown["%v of a struct holding a pointer to it"] = fmt.Sprintf("%v", struct{ N *webhook.Notifier }{n})
	js, err := json.Marshal(struct{ N webhook.Notifier }{*n})
	require.NoError(t, err)
	shown["JSON"] = string(js)
	for how, s := range shown {
		assert.NotContains(t, s, "s3cr3t", how)
		assert.NotContains(t, s, "733363723374", "%s: the secrets in hex", how) // "s3cr3t"
	}
	assert.Equal(t, "generic-hmac webhook https://hooks.example.com/<redacted> (provider flux-system/audit)", shown["%v"])
}
