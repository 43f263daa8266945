package slack

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/template"
)

// The attacks of issue 11 that reach a Slack notifier, one test per row.

// TestNotify_RenderHonoursContext: "a template that loops 9,999 times
// calling sha256sum on .Message, with spec.timeout: 1s and a 2 s context on
// Dispatch" returned after 92 s. Rendering runs under the attempt's
// context, bounded by spec.timeout when the caller set no deadline: it
// stops at the next function call, nothing is sent, and the error names the
// alert, the provider and the field.
func TestNotify_RenderHonoursContext(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()

	calls := 0
	var cancel context.CancelFunc = func() {}
	tmpl, err := template.Parse(&template.Spec{Text: "{{ range until 99 }}{{ range until 100 }}{{ $x := sha256sum (cancelAt3 $.Message) }}{{ end }}{{ end }}"},
		template.WithFuncs(map[string]any{"cancelAt3": func(s string) string {
			if calls++; calls == 3 {
				cancel()
			}
			return s
		}}))
	require.NoError(t, err)
	nt, err := New(exampleProvider(), provider.Credentials{Address: srv.URL + "/services/T/B/X"})
	require.NoError(t, err)
	defer nt.CloseIdleConnections()

	n := exampleNotification(tmpl)
	n.Data.Message = strings.Repeat("x", 3<<20)
	calls = 0
	ctx, cancelCtx := context.WithCancel(context.Background())
	defer cancelCtx()
	cancel = cancelCtx
	err = nt.Notify(ctx, n)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "provider flux-system/slack (alert flux-system/flux-alerts): spec.template.text: ")
	assert.Equal(t, 3, calls, "the render stopped at the call after the cancellation")
	assert.Zero(t, requests.Load())

	// spec.timeout bounds the attempt when the context has no deadline.
	p := exampleProvider()
	p.Spec.Timeout = &metav1.Duration{Duration: time.Millisecond}
	nt2, err := New(p, provider.Credentials{Address: srv.URL + "/services/T/B/X"})
	require.NoError(t, err)
	defer nt2.CloseIdleConnections()
	calls = 0
	cancel = func() {}
	err = nt2.Notify(context.Background(), n)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, calls, 9900)
	assert.Zero(t, requests.Load())
	var pe *provider.Error
	require.ErrorAs(t, err, &pe)
	assert.False(t, pe.Retryable, "a template past its budget or time fails the same way next time")
}

// TestRender_LongContentIsCut: "a template listing 80 metadata values of
// 1,000 bytes" and "{{ .Message }}\n> {{ .Message }} with 3 MiB of &"
// failed delivery with "output of more than 65536 bytes", though the README
// promises "cut with …, never rejected". Both are now cut at a rune and
// escape boundary.
func TestRender_LongContentIsCut(t *testing.T) {
	tests := []struct {
		name, spec string
		data       func(*template.Data)
	}{
		{"80 metadata values of 1,000 bytes", `{text: '{{ range $k, $v := .Metadata }}{{ $k }}: {{ $v }}{{ "\n" }}{{ end }}'}`, func(d *template.Data) {
			for i := range 80 {
				d.Metadata[fmt.Sprintf("key%02d", i)] = strings.Repeat("v", 1000)
			}
		}},
		{"the message twice, 3 MiB of &", `{text: "{{ .Message }}\n> {{ .Message }}"}`, func(d *template.Data) {
			d.Message = strings.Repeat("&", 3<<20)
		}},
		{"a field of 3 MiB of é", `{fields: [{title: m, value: '{{ .Message }}'}]}`, func(d *template.Data) {
			d.Message = strings.Repeat("é", 3<<19)
		}},
		{"blocks of 3 MiB of <", `{blocks: [{type: section, text: {type: mrkdwn, text: '{{ .Message }}'}}]}`, func(d *template.Data) {
			d.Message = strings.Repeat("<", 3<<20)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := exampleNotification(parse(t, tt.spec))
			tt.data(n.Data)
			body := render(t, exampleProvider(), n)
			require.True(t, json.Valid(body))
			var got struct {
				Blocks []struct {
					Text struct{ Text string } `json:"text"`
				} `json:"blocks"`
				Attachments []struct {
					Text   string                   `json:"text"`
					Fields []struct{ Value string } `json:"fields"`
				} `json:"attachments"`
			}
			require.NoError(t, json.Unmarshal(body, &got))
			var text string
			switch {
			case len(got.Blocks) > 0:
				text = got.Blocks[0].Text.Text
			case len(got.Attachments[0].Fields) > 0 && strings.Contains(tt.spec, "fields"):
				text = got.Attachments[0].Fields[0].Value
			default:
				text = got.Attachments[0].Text
			}
			assert.True(t, strings.HasSuffix(text, marker), text[max(0, len(text)-40):])
			head := strings.TrimSuffix(text, marker)
			for _, entity := range []string{"&amp", "&lt", "&gt", "&am", "&l", "&g", "&a", "&"} {
				if strings.HasSuffix(head, entity) {
					t.Fatalf("cut inside an entity: …%s", head[len(head)-10:])
				}
			}
			assert.Less(t, len(body), 200<<10)
		})
	}
}

// TestNotify_EchoedSecretForms: "a server echoing the webhook secret as
// services/T/B/SECRET (no slash), the last segment alone, JSON \/-escaped,
// lower-case %2f, \u0053ECRET, a query value, base64 user:pass of a proxy"
// leaked each into Result.Err, logs and send's output. The notifier's error
// (which those print) holds none of them.
func TestNotify_EchoedSecretForms(t *testing.T) {
	const path = "/services/T0000000/B0000000/SECRETSECRETSECRET"
	basic := base64.StdEncoding.EncodeToString([]byte("proxyuser1:PROXYPASSWORD"))
	forms := map[string]func(r *http.Request) string{
		"path without the slash": func(r *http.Request) string { return strings.TrimPrefix(r.URL.Path, "/") },
		"last segment":           func(r *http.Request) string { return r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:] },
		"JSON \\/-escaped": func(r *http.Request) string {
			return `{"error":"` + strings.ReplaceAll(r.URL.Path, "/", `\/`) + `"}`
		},
		"percent, lower case": func(r *http.Request) string { return strings.ReplaceAll(r.URL.Path, "/", "%2f") },
		"\\u escapes":         func(r *http.Request) string { return strings.ReplaceAll(r.URL.Path, "S", `\u0053`) },
		"query value":         func(r *http.Request) string { return "bad " + r.URL.Query().Get("token") },
		"proxy basic auth":    func(*http.Request) string { return "Proxy-Authorization: Basic " + basic },
	}
	for name, echo := range forms {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, echo(r))
			}))
			defer srv.Close()
			// The proxy is not used for a loopback address; its secrets are
			// redacted all the same.
			nt, err := New(exampleProvider(), provider.Credentials{
				Address: srv.URL + path + "?token=QUERYSECRET123",
				Proxy:   "http://proxyuser1:PROXYPASSWORD@127.0.0.1:1",
			}, WithHTTPClient(srv.Client()))
			require.NoError(t, err)
			err = nt.Notify(context.Background(), exampleNotification(nil))
			var pe *provider.Error
			require.True(t, errors.As(err, &pe), "%v", err)
			for _, shown := range []string{err.Error(), fmt.Sprintf("%+v", err), pe.Code, nt.String()} {
				for _, f := range []string{"ECRETSECRET", "T0000000", "B0000000", "QUERYSECRET", "PROXYPASSWORD", basic[:12]} {
					assert.NotContains(t, shown, f)
				}
			}
			assert.Contains(t, err.Error(), provider.Redacted)
		})
	}
}
