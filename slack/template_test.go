package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/template"
)

// customSpec is a template as a user writes it under spec.template.
const customSpec = `
title: '{{ .Object.Kind }}/{{ .Object.Name }} in {{ .Cluster }}'
text: '{{ if eq .Severity "error" }}:red_circle:{{ else }}:large_green_circle:{{ end }} *{{ .Reason }}*: {{ .Message }}'
color: '{{ if eq .Severity "error" }}#d93025{{ else }}good{{ end }}'
iconEmoji: ':flux:'
fields:
  - title: Revision
    value: '{{ slackLink .Links.Commit (shortRevision .Revision) }}'
    short: true
  - title: Dashboard
    value: '{{ slackLink .Links.Dashboard "open" }}'
    short: true
`

// customBlocksSpec templates the strings of a Block Kit array.
const customBlocksSpec = `
text: '{{ .Object.Kind }}/{{ .Object.Name }}: {{ .Message }}'
blocks:
  - type: header
    text: {type: plain_text, text: '{{ .Object.Kind }} {{ .Object.Name }} {{ .Metadata.note }}'}
  - type: section
    text: {type: mrkdwn, text: '*{{ .Reason }}* {{ .Message }}'}
  - type: context
    elements:
      - {type: mrkdwn, text: '{{ slackLink .Links.Commit (shortRevision .Revision) }}'}
      - {type: mrkdwn, text: 'by {{ .Controller }}'}
`

func parse(t testing.TB, spec string) *template.Template {
	t.Helper()
	var s template.Spec
	require.NoError(t, yaml.Unmarshal([]byte(spec), &s))
	tmpl, err := template.Parse(&s)
	require.NoError(t, err)
	return tmpl
}

func TestRender_CustomTemplateGolden(t *testing.T) {
	hostile := exampleNotification(parse(t, customBlocksSpec))
	hostile.Data.Message = hostileMessage()
	hostile.Data.Metadata["note"] = `"quoted" <!channel> & $x`

	tests := []struct {
		name string
		n    *provider.Notification
	}{
		{"custom-template", exampleNotification(parse(t, customSpec))},
		{"custom-blocks", exampleNotification(parse(t, customBlocksSpec))},
		{"custom-blocks-hostile", hostile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name, render(t, exampleProvider(), tt.n))
		})
	}
}

func TestRender_CustomTemplate(t *testing.T) {
	t.Run("parts the template leaves unset come from the format", func(t *testing.T) {
		n := exampleNotification(parse(t, `{title: 'Deploy of {{ .Object.Name }}'}`))
		body := render(t, exampleProvider(), n)
		assert.Contains(t, string(body), `"title":"Deploy of my-app-kustomization"`)
		assert.Contains(t, string(body), `"text":"`+exampleMessage+`"`)
		assert.Contains(t, string(body), `"color":"danger"`)
		assert.Contains(t, string(body), `"title":"revision"`, "metadata fields")
		assert.Contains(t, string(body), `"mrkdwn_in":["text"]`)
	})

	t.Run("a very long event makes a cut message, not an error", func(t *testing.T) {
		n := exampleNotification(parse(t, `{text: '{{ .Message }}', fields: [{title: all, value: '{{ range $k, $v := .Metadata }}{{ $k }}={{ $v }} {{ end }}'}]}`))
		n.Data.Message = strings.Repeat("<&>", 1<<20)
		for i := range 3000 {
			n.Data.Metadata[fmt.Sprintf("k%04d", i)] = strings.Repeat("v", 100)
		}
		body := render(t, exampleProvider(), n)
		var got struct {
			Attachments []struct {
				Text   string                   `json:"text"`
				Fields []struct{ Value string } `json:"fields"`
			} `json:"attachments"`
		}
		require.NoError(t, json.Unmarshal(body, &got))
		text := got.Attachments[0].Text
		assert.True(t, strings.HasPrefix(text, "&lt;&amp;&gt;"))
		assert.True(t, strings.HasSuffix(text, marker))
		assert.Contains(t, got.Attachments[0].Fields[0].Value, "k0000=")
		assert.NotContains(t, got.Attachments[0].Fields[0].Value, "k0100=", "at most 100 entries")

		// A template that is too big by itself still fails, naming the field.
		n = exampleNotification(parse(t, `{text: '{{ if eq .Reason "Boom" }}{{ repeat 100000 "x" }}{{ end }}'}`))
		n.Data.Reason = "Boom"
		nt, err := New(exampleProvider(), provider.Credentials{})
		require.NoError(t, err)
		_, err = nt.Render(n)
		require.ErrorIs(t, err, template.ErrTooLarge)
		require.ErrorContains(t, err, "provider flux-system/slack (alert flux-system/flux-alerts): spec.template.text: ")
	})

	t.Run("icons are not mrkdwn", func(t *testing.T) {
		n := exampleNotification(parse(t, `{iconURL: '{{ .Metadata.icon }}', iconEmoji: ':{{ .Metadata.emoji }}:'}`))
		n.Data.Metadata["icon"] = "https://example.com/icon.png?size=48&theme=dark"
		n.Data.Metadata["emoji"] = "flux"
		body := render(t, exampleProvider(), n)
		assert.Contains(t, string(body), `"icon_emoji":":flux:","icon_url":"https://example.com/icon.png?size=48&theme=dark"`)

		n.Data.Metadata["icon"] = "javascript:alert(1)"
		assert.NotContains(t, string(render(t, exampleProvider(), n)), "icon_url", "not a usable URL: dropped")
	})

	t.Run("blocks format with a template title and fields", func(t *testing.T) {
		n := exampleNotification(parse(t, `
format: blocks
title: '{{ .Object.Name }} failed'
fields: [{title: Owner, value: 'team-{{ .Object.Namespace }}'}]`))
		body := render(t, exampleProvider(), n)
		assert.Equal(t, []string{"header", "section", "section", "context", "actions"}, blockTypes(t, body))
		assert.Contains(t, string(body), `"text":"my-app-kustomization failed"`)
		assert.Contains(t, string(body), `"text":"*Owner*\nteam-flux-system"`)
		assert.NotContains(t, string(body), `*revision*`, "template fields replace the metadata")
	})

	t.Run("blocks format with a color uses an attachment", func(t *testing.T) {
		n := exampleNotification(parse(t, `{format: blocks, color: '#ff0000'}`))
		var got struct {
			Blocks      []any `json:"blocks"`
			Attachments []struct {
				Color  string `json:"color"`
				Blocks []any  `json:"blocks"`
			} `json:"attachments"`
		}
		require.NoError(t, json.Unmarshal(render(t, exampleProvider(), n), &got))
		assert.Empty(t, got.Blocks)
		require.Len(t, got.Attachments, 1)
		assert.Equal(t, "#ff0000", got.Attachments[0].Color)
		assert.Len(t, got.Attachments[0].Blocks, 5)
	})

	t.Run("template blocks over Slack's limits are cut", func(t *testing.T) {
		var blocks []string
		blocks = append(blocks, `{type: header, text: {type: plain_text, text: '{{ repeat 40 "long " }}'}}`)
		var fields []string
		for i := range 12 {
			fields = append(fields, fmt.Sprintf(`{type: mrkdwn, text: 'f%d'}`, i))
		}
		blocks = append(blocks, `{type: section, text: {type: mrkdwn, text: '{{ repeat 700 "text " }}'}, fields: [`+strings.Join(fields, ",")+`]}`)
		for range 60 {
			blocks = append(blocks, `{type: divider}`)
		}
		n := exampleNotification(parse(t, "blocks: ["+strings.Join(blocks, ",")+"]"))
		body := render(t, exampleProvider(), n)
		var got struct {
			Blocks []struct {
				Type     string                  `json:"type"`
				Text     *struct{ Text string }  `json:"text"`
				Fields   []struct{ Text string } `json:"fields"`
				Elements []struct{ Text string } `json:"elements"`
			} `json:"blocks"`
		}
		require.NoError(t, json.Unmarshal(body, &got))
		require.Len(t, got.Blocks, maxBlocks)
		assert.Len(t, []rune(got.Blocks[0].Text.Text), maxHeader)
		assert.Len(t, []rune(got.Blocks[1].Text.Text), maxSectionText)
		assert.Len(t, got.Blocks[1].Fields, maxSectionFields)
		assert.Equal(t, "… 3 more", got.Blocks[1].Fields[9].Text)
		last := got.Blocks[maxBlocks-1]
		assert.Equal(t, "context", last.Type)
		assert.Equal(t, "… 13 more blocks", last.Elements[0].Text)
	})
}

func TestRender_TemplateErrors(t *testing.T) {
	t.Run("render error names the alert and is permanent", func(t *testing.T) {
		tmpl := parse(t, `{text: '{{ if eq .Reason "Boom" }}{{ slackMention "nobody" }}{{ end }}ok'}`)
		n := exampleNotification(tmpl)
		n.Alert.Spec.Template = tmpl.Spec()
		n.Data.Reason = "Boom"
		nt, err := New(exampleProvider(), provider.Credentials{Address: "http://127.0.0.1:1/services/T/B/SECRET"})
		require.NoError(t, err)
		defer nt.CloseIdleConnections()
		_, err = nt.Render(n)
		require.ErrorContains(t, err, "alert flux-system/flux-alerts (provider flux-system/slack): spec.template.text: ")

		res, err := provider.Deliver(context.Background(), nt, n, tinyPolicy, 0)
		var pe *provider.Error
		require.True(t, errors.As(err, &pe))
		assert.False(t, pe.Retryable)
		assert.Equal(t, 1, res.Attempts)
	})

	t.Run("unknown format of an alert's template", func(t *testing.T) {
		tmpl := parse(t, `{format: fancy}`)
		n := exampleNotification(tmpl)
		n.Alert.Spec.Template = tmpl.Spec()
		nt, err := New(exampleProvider(), provider.Credentials{})
		require.NoError(t, err)
		_, err = nt.Render(n)
		require.EqualError(t, err, `alert flux-system/flux-alerts (provider flux-system/slack): spec.template.format: unknown format "fancy" (want "flux" or "blocks")`)
	})

	t.Run("unknown format of a provider's template", func(t *testing.T) {
		p := exampleProvider()
		p.Spec.Template = &template.Spec{Format: "fancy"}
		_, err := New(p, provider.Credentials{})
		require.EqualError(t, err, `provider flux-system/slack: spec.template.format: unknown format "fancy" (want "flux" or "blocks")`)
		r := provider.NewRegistry()
		require.NoError(t, Register(r))
		_, err = r.New(p, provider.Credentials{})
		require.EqualError(t, err, `provider flux-system/slack: spec.template.format: unknown format "fancy" (want "flux" or "blocks")`)
	})
}
