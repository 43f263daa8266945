package file_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/examples/customnotifier/file"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/provider/providertest"
	"github.com/fluxnotify/fluxnotify/template"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	dir := t.TempDir()
	var n int
	providertest.Run(t, providertest.Harness{
		New: file.Factory(),
		Local: &providertest.Local{
			Address: func() string { n++; return filepath.Join(dir, fmt.Sprintf("%d.log", n)) },
			Received: func(path string) ([]string, error) {
				b, err := os.ReadFile(path)
				if errors.Is(err, os.ErrNotExist) {
					return nil, nil
				}
				return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"), err
			},
		},
	})
}

func notification(t *testing.T, message string, spec *template.Spec) *provider.Notification {
	t.Helper()
	e := event.New(
		corev1.ObjectReference{APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization", Name: "apps", Namespace: "flux-system"},
		event.SeverityError, "HealthCheckFailed", message,
		event.WithTimestamp(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
		event.WithRevision("main@sha1:abc"),
	)
	a := &alert.Alert{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "flux-system"}, Spec: alert.Spec{Summary: "prod"}}
	p := &provider.Provider{ObjectMeta: metav1.ObjectMeta{Name: "log", Namespace: "flux-system"}, Spec: provider.Spec{Type: file.Type}}
	var tmpl *template.Template
	if spec != nil {
		var err error
		tmpl, err = template.Parse(spec)
		require.NoError(t, err)
	}
	return provider.NewNotification(e, a, p, tmpl, provider.Context{Cluster: "prod-eu"})
}

func TestLines(t *testing.T) {
	tests := []struct {
		name    string
		message string
		spec    *template.Spec
		want    string
	}{
		{"default", "timeout waiting for Deployment/apps/web", nil,
			"2026-01-02T03:04:05Z error kustomization/apps.flux-system: timeout waiting for Deployment/apps/web revision=main@sha1:abc summary=prod"},
		{"line breaks", "line one\nline two\r\nthree", nil,
			`2026-01-02T03:04:05Z error kustomization/apps.flux-system: line one\nline two\nthree revision=main@sha1:abc summary=prod`},
		{"template text", "failed", &template.Spec{Text: "[{{ .Cluster }}] {{ .Object.Kind }}/{{ .Object.Name }}: {{ .Message }}"},
			"2026-01-02T03:04:05Z error kustomization/apps.flux-system: [prod-eu] Kustomization/apps: failed revision=main@sha1:abc summary=prod"},
		{"template title only", "failed\nbadly", &template.Spec{Title: "{{ .Severity | upper }} {{ .Object.Name }}"},
			`2026-01-02T03:04:05Z error ERROR apps: failed\nbadly revision=main@sha1:abc summary=prod`},
		{"template fields, Slack-only parts ignored", "failed", &template.Spec{
			Title: "{{ .Object.Kind }}/{{ .Object.Name }}", Fields: []template.Field{{Title: "rev", Value: "{{ .Revision }}"}},
			Color: "danger", Blocks: []byte(`[{"type":"divider"}]`),
		}, "2026-01-02T03:04:05Z error Kustomization/apps: failed rev=main@sha1:abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			n, err := file.New(&provider.Provider{}, provider.Credentials{Address: file.Stdout}, file.WithStdout(&out))
			require.NoError(t, err)
			note := notification(t, tt.message, tt.spec)
			require.NoError(t, n.Notify(context.Background(), note))
			assert.Equal(t, tt.want+"\n", out.String())

			rendered, err := n.Render(note)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(rendered))
		})
	}
}

func TestAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.log")
	require.NoError(t, os.WriteFile(path, []byte("existing\n"), 0o600))
	n, err := file.New(&provider.Provider{}, provider.Credentials{Address: path})
	require.NoError(t, err)
	for range 2 {
		require.NoError(t, n.Notify(context.Background(), notification(t, "m", nil)))
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, 3, strings.Count(string(b), "\n"))
	assert.True(t, strings.HasPrefix(string(b), "existing\n"))
}

func TestFileURL(t *testing.T) {
	dir := t.TempDir()
	for _, addr := range []string{"file://" + dir + "/a.log", "file://localhost" + dir + "/b.log"} {
		n, err := file.New(&provider.Provider{}, provider.Credentials{Address: addr})
		require.NoError(t, err)
		require.NoError(t, n.Notify(context.Background(), notification(t, "m", nil)))
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2)

	_, err = file.New(&provider.Provider{}, provider.Credentials{Address: "file://remote.example.com/x"})
	assert.ErrorContains(t, err, "want a local file URL")
}

func TestErrors(t *testing.T) {
	p := &provider.Provider{ObjectMeta: metav1.ObjectMeta{Name: "log", Namespace: "ns"}}

	n, err := file.New(p, provider.Credentials{Address: t.TempDir()}) // a folder
	require.NoError(t, err)
	err = n.Notify(context.Background(), notification(t, "m", nil))
	var pe *provider.Error
	require.ErrorAs(t, err, &pe)
	assert.False(t, pe.Retryable)
	assert.ErrorContains(t, err, "file ns/log: ")

	_, err = file.New(p, provider.Credentials{}, file.WithStdout(nil))
	require.EqualError(t, err, "provider ns/log: WithStdout(nil)")

	r := provider.NewRegistry()
	require.NoError(t, file.Register(r))
	assert.Equal(t, []string{"file"}, r.Types())
}

// TestNotify_renderStopsAtTheDeadline: Notify renders under its context
// (template.Template.RenderContext), so a template that would loop for
// seconds, allowed by generous limits, stops soon after the delivery's
// deadline, and nothing is written. The elapsed-time check only detects a
// hang.
func TestNotify_renderStopsAtTheDeadline(t *testing.T) {
	spec := &template.Spec{Text: "{{ if gt (len .Message) 1000 }}{{ range until 1000 }}{{ range until 1000 }}{{ $x := sha256sum $.Message }}{{ end }}{{ end }}{{ end }}"}
	tmpl, err := template.Parse(spec, template.WithLimits(template.Limits{Work: 1 << 50, Iterations: 1 << 30}))
	require.NoError(t, err)
	n := notification(t, strings.Repeat("x", 256<<10), nil)
	n.Template = tmpl
	path := filepath.Join(t.TempDir(), "out.log")
	nt, err := file.New(n.Provider, provider.Credentials{Address: path})
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = nt.Notify(ctx, n)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 10*time.Second, "hang detector, not a speed test")
	assert.NoFileExists(t, path)
}

// The commit and dashboard links end the line, when configured.
func TestLineLinks(t *testing.T) {
	note := notification(t, "failed", nil)
	note.Data.Links = template.Links{Commit: "https://git.example.com/c/abc", Dashboard: "https://dash.example.com/apps"}
	n, err := file.New(&provider.Provider{}, provider.Credentials{Address: file.Stdout})
	require.NoError(t, err)
	got, err := n.Render(note)
	require.NoError(t, err)
	assert.Equal(t, "2026-01-02T03:04:05Z error kustomization/apps.flux-system: failed revision=main@sha1:abc summary=prod https://git.example.com/c/abc https://dash.example.com/apps", string(got))
}
