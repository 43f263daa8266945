package fluxnotify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/template"
)

// hostileConfig is one alert on one Slack provider (at url) whose template
// is text.
func hostileConfig(url, text string) *Config {
	p := newProvider("slack", "slack")
	p.Spec.Timeout = &metav1.Duration{Duration: time.Second}
	p.Spec.Template = &template.Spec{Text: text}
	return &Config{
		Alerts:    []alert.Alert{newAlert("errors", "slack", alert.Threshold("error"), source("Kustomization", "*"))},
		Providers: []provider.Provider{p},
		Secrets:   []corev1.Secret{newSecret("slack-secret", url+"/services/T0/B0/SECRETSECRET")},
	}
}

// TestDispatch_HostileTemplateIsBounded reproduces issue 11's "a template
// that loops 9,999 times calling sha256sum on .Message, with spec.timeout:
// 1s and a 2 s context on Dispatch", which returned after 92 s for a 3 MiB
// message: the render stops at the attempt's deadline (or its work
// budget), the result names the alert, the provider and the field, and
// nothing is sent. The elapsed-time check only detects a hang: it allows
// 15 times the deadline.
func TestDispatch_HostileTemplateIsBounded(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { requests.Add(1) }))
	defer srv.Close()
	cfg := hostileConfig(srv.URL, "{{ range until 99 }}{{ range until 100 }}{{ $x := sha256sum $.Message }}{{ end }}{{ end }}")
	d, err := New(cfg, WithLogger(discardLogger()), WithRetryPolicy(fastRetries()))
	require.NoError(t, err)
	defer func() { assert.NoError(t, d.Shutdown(context.Background())) }()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	results, err := d.Dispatch(ctx, newEvent("Kustomization", "app", "error", strings.Repeat("x", 3<<20-4096)))
	elapsed := time.Since(start)
	require.Error(t, err)
	require.Len(t, results, 1)
	rerr := results[0].Err
	assert.True(t, errors.Is(rerr, context.DeadlineExceeded) || errors.Is(rerr, template.ErrWorkBudget), "%v", rerr)
	assert.Contains(t, rerr.Error(), "provider flux-system/slack (alert flux-system/errors): spec.template.text: ")
	assert.NotContains(t, rerr.Error(), "SECRETSECRET")
	assert.Zero(t, requests.Load())
	assert.Less(t, elapsed, 30*time.Second, "hang detector, not a speed test")
}

// TestNew_CraftedRegexpTemplateIsALoadError reproduces "the same regexp
// where the template is parsed (the sample render at load)", which hung
// LoadFiles, New, Update and reload: the expression is refused before any
// search, as a problem naming the provider and the field.
func TestNew_CraftedRegexpTemplateIsALoadError(t *testing.T) {
	crafted := strings.Repeat(`(?:a?){1000}`, 3)
	cfg := hostileConfig("https://hooks.example", `{{ regexMatch "`+crafted+`" .Message }}`)
	d, err := New(cfg, WithLogger(discardLogger()))
	require.NotNil(t, d)
	require.Error(t, err)
	assert.ErrorIs(t, err, template.ErrRegexpTooLarge)
	assert.Contains(t, err.Error(), "provider flux-system/slack: spec.template.text: ")
	defer func() { assert.NoError(t, d.Shutdown(context.Background())) }()

	err = d.Update(cfg)
	assert.ErrorIs(t, err, template.ErrRegexpTooLarge)
}
