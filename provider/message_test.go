package provider_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/template"
)

func TestNotificationMessage(t *testing.T) {
	parse := func(s template.Spec) *template.Template {
		t.Helper()
		tmpl, err := template.Parse(&s)
		require.NoError(t, err)
		return tmpl
	}
	sampleLinks := []provider.Link{
		{Text: "main@2f3c4d5", URL: "https://github.com/example/fleet-infra/commit/2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"},
		{Text: "Dashboard", URL: "https://dashboard.example.com/flux-system/Kustomization/my-app-kustomization"},
	}
	msg := template.Sample().Message
	tests := []struct {
		name string
		tmpl *template.Template
		data func(d *template.Data)
		want provider.Message
	}{{
		// The title mirrors the author line of Flux's Slack notifier
		// (notifier.Slack.Post in internal/notifier/slack.go).
		name: "no template: Flux's author line, the message, the metadata",
		want: provider.Message{
			Title:  "kustomization/my-app-kustomization.flux-system",
			Text:   msg,
			Fields: []provider.MessageField{{Title: "revision", Value: "main@sha1:2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e", Short: true}},
			Links:  sampleLinks,
		},
	}, {
		name: "metadata fields are sorted by key",
		data: func(d *template.Data) {
			d.Metadata = map[string]string{"zone": "b", "cluster": "prod", "env": "eu"}
			d.Links = template.Links{}
		},
		want: provider.Message{
			Title: "kustomization/my-app-kustomization.flux-system",
			Text:  msg,
			Fields: []provider.MessageField{
				{Title: "cluster", Value: "prod", Short: true},
				{Title: "env", Value: "eu", Short: true},
				{Title: "zone", Value: "b", Short: true},
			},
		},
	}, {
		name: "no namespace, no metadata, no links",
		data: func(d *template.Data) {
			d.Object.Namespace, d.Metadata, d.Links = "", nil, template.Links{}
		},
		want: provider.Message{Title: "kustomization/my-app-kustomization", Text: msg},
	}, {
		name: "a commit link without a Git revision is shown as Commit",
		data: func(d *template.Data) {
			d.Revision, d.Metadata = "", nil
			d.Links = template.Links{Commit: "https://git.example.com/c/1"}
		},
		want: provider.Message{
			Title: "kustomization/my-app-kustomization.flux-system", Text: msg,
			Links: []provider.Link{{Text: "Commit", URL: "https://git.example.com/c/1"}},
		},
	}, {
		name: "the template's title, text and fields, as plain text",
		tmpl: parse(template.Spec{
			Title:  "{{ .Object.Kind }} <{{ .Object.Name }}> & co",
			Text:   "{{ .Cluster }}: {{ .Message }}",
			Fields: []template.Field{{Title: "Rev", Value: "{{ .Revision | shortRevision }}", Short: true}, {Title: "Reason", Value: "{{ .Reason }}"}},
			Color:  "danger", IconEmoji: ":flux:",
			Blocks: []byte(`[{"type":"section","text":{"type":"mrkdwn","text":"{{ .Message }}"}}]`),
		}),
		want: provider.Message{
			Title: "Kustomization <my-app-kustomization> & co",
			Text:  "production: " + msg,
			Fields: []provider.MessageField{
				{Title: "Rev", Value: "main@2f3c4d5", Short: true},
				{Title: "Reason", Value: "HealthCheckFailed"},
			},
			Links: sampleLinks,
		},
	}, {
		name: "what the template leaves empty takes its default",
		tmpl: parse(template.Spec{Text: "{{ .Reason }}"}),
		data: func(d *template.Data) { d.Links = template.Links{} },
		want: provider.Message{
			Title:  "kustomization/my-app-kustomization.flux-system",
			Text:   "HealthCheckFailed",
			Fields: []provider.MessageField{{Title: "revision", Value: "main@sha1:2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e", Short: true}},
		},
	}, {
		name: "a Slack-only template gives the default message",
		tmpl: parse(template.Spec{Format: "blocks", Color: "{{ if eq .Severity \"error\" }}danger{{ end }}"}),
		data: func(d *template.Data) { d.Metadata, d.Links = nil, template.Links{} },
		want: provider.Message{Title: "kustomization/my-app-kustomization.flux-system", Text: msg},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := template.Sample()
			if tt.data != nil {
				tt.data(d)
			}
			n := &provider.Notification{Template: tt.tmpl, Data: d}
			got, err := n.Message(context.Background())
			require.NoError(t, err)
			assert.Equal(t, &tt.want, got)
		})
	}
}

func TestNotificationMessageErrors(t *testing.T) {
	tmpl, err := template.Parse(&template.Spec{Text: "{{ .Message | upper }}"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = (&provider.Notification{Template: tmpl, Data: template.Sample()}).Message(ctx)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)

	for name, n := range map[string]*provider.Notification{"nil": nil, "no data": {}} {
		_, err := n.Message(context.Background())
		assert.ErrorContains(t, err, "without data", name)
	}
}

// A notifier of a type other than Slack builds its payload from the
// neutral message.
func ExampleNotification_Message() {
	n := &provider.Notification{Data: template.Sample()}
	m, err := n.Message(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Title)
	fmt.Println(m.Text)
	for _, f := range m.Fields {
		fmt.Printf("%s: %s\n", f.Title, f.Value)
	}
	for _, l := range m.Links {
		fmt.Printf("[%s](%s)\n", l.Text, l.URL)
	}
	// Output:
	// kustomization/my-app-kustomization.flux-system
	// Health check failed after 5m0s: timeout waiting for: [Deployment/my-app/my-app-deployment status: 'InProgress']
	// revision: main@sha1:2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e
	// [main@2f3c4d5](https://github.com/example/fleet-infra/commit/2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e)
	// [Dashboard](https://dashboard.example.com/flux-system/Kustomization/my-app-kustomization)
}
