package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/template"
)

// hostileMessage has quotes, newlines, '$', a channel ping, a link and a
// 10,000-character body.
func hostileMessage() string {
	return `He said "deploy" & it's $HOME ${PATH} $(rm -rf /)` + "\n" +
		"second line\twith tab\n" +
		"<!channel> <!here> <@U123> <https://evil.example.com|click here> </script>\n" +
		strings.Repeat("0123456789", 1000)
}

func render(t *testing.T, p *provider.Provider, n *provider.Notification, opts ...Option) []byte {
	t.Helper()
	nt, err := New(p, provider.Credentials{}, opts...)
	require.NoError(t, err)
	body, err := nt.Render(n)
	require.NoError(t, err)
	return body
}

func TestRender_Golden(t *testing.T) {
	blocksProvider := exampleProvider()
	blocksProvider.Spec.Template = &template.Spec{Format: FormatBlocks}

	hostile := exampleNotification(nil)
	hostile.Data.Message = hostileMessage()
	hostile.Data.Metadata["note"] = `"quoted" <!channel> & $x`
	hostile.Data.Channel = "#devops-alerts"

	tests := []struct {
		name string
		p    func() *provider.Provider
		n    *provider.Notification
		opts []Option
	}{
		{"example-flux", exampleProvider, exampleNotification(nil), nil},
		{"example-blocks", func() *provider.Provider { return blocksProvider }, exampleNotification(nil), nil},
		{"hostile-flux", exampleProvider, hostile, nil},
		{"hostile-blocks", exampleProvider, hostile, []Option{WithFormat(FormatBlocks)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name, render(t, tt.p(), tt.n, tt.opts...))
		})
	}
}

// TestRender_FluxShape checks the flux format against the payload Flux's
// notification-controller sends.
func TestRender_FluxShape(t *testing.T) {
	n := exampleNotification(nil)
	n.Data.Metadata["summary"] = "prod cluster"
	n.Data.Metadata["a-first"] = "1"
	body := render(t, exampleProvider(), n)

	var got struct {
		Channel     string `json:"channel"`
		Username    string `json:"username"`
		Attachments []struct {
			Color      string   `json:"color"`
			AuthorName string   `json:"author_name"`
			Text       string   `json:"text"`
			MrkdwnIn   []string `json:"mrkdwn_in"`
			Fallback   string   `json:"fallback"`
			Fields     []struct {
				Title string `json:"title"`
				Value string `json:"value"`
				Short bool   `json:"short"`
			} `json:"fields"`
		} `json:"attachments"`
	}
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, "kustomize-controller", got.Username, "username defaults to the reporting controller")
	assert.Empty(t, got.Channel, "no channel: the webhook's default")
	require.Len(t, got.Attachments, 1)
	a := got.Attachments[0]
	assert.Equal(t, "danger", a.Color)
	assert.Equal(t, "kustomization/my-app-kustomization.flux-system", a.AuthorName)
	assert.Equal(t, exampleMessage, a.Text)
	assert.Equal(t, []string{"text"}, a.MrkdwnIn)
	assert.NotEmpty(t, a.Fallback)
	var titles []string
	for _, f := range a.Fields {
		titles = append(titles, f.Title)
		assert.False(t, f.Short, "Flux's fields are not short")
	}
	assert.Equal(t, []string{"a-first", "revision", "summary"}, titles, "one field per metadata key, sorted")

	// Info is "good"; spec.username wins over the controller.
	n = exampleNotification(nil)
	n.Data.Severity = "info"
	p := exampleProvider()
	p.Spec.Username = "Flux"
	p.Spec.Channel = "#gitops-updates"
	n.Data.Channel = provider.Channel(n.Alert, p)
	require.NoError(t, json.Unmarshal(render(t, p, n), &got))
	assert.Equal(t, "good", got.Attachments[0].Color)
	assert.Equal(t, "Flux", got.Username)
	n.Data.Severity = "warn"
	require.NoError(t, json.Unmarshal(render(t, p, n), &got))
	assert.Equal(t, "warning", got.Attachments[0].Color)
	assert.Equal(t, "#gitops-updates", got.Channel)
}

func TestRender_Escaping(t *testing.T) {
	n := exampleNotification(nil)
	n.Data.Message = "<!channel> <https://evil.example.com|click> a & b"
	n.Data.Object.Name = "<!here>"
	n.Data.Metadata = map[string]string{"<k>": "<v>"}
	for _, format := range []string{FormatFlux, FormatBlocks} {
		t.Run(format, func(t *testing.T) {
			body := string(render(t, exampleProvider(), n, WithFormat(format)))
			assert.NotContains(t, body, "<!channel>")
			assert.NotContains(t, body, "<!here>")
			assert.NotContains(t, body, "<https://evil")
			assert.NotContains(t, body, "<k>")
			assert.Contains(t, body, "&lt;!channel&gt; &lt;https://evil.example.com|click&gt; a &amp; b")
			assert.NotContains(t, body, `\u003c`, "JSON is not HTML-escaped")
		})
	}
}

func TestRender_BlocksLayout(t *testing.T) {
	manyKeys := func(n int) map[string]string {
		md := make(map[string]string, n)
		for i := range n {
			md[fmt.Sprintf("key-%04d", i)] = "v"
		}
		return md
	}
	tests := []struct {
		name       string
		edit       func(d *template.Data)
		want       []string
		wantInLast string
	}{
		{
			name: "example",
			edit: func(*template.Data) {},
			want: []string{"header", "section", "section", "context", "actions"},
		},
		{
			name: "no links, cluster or time",
			edit: func(d *template.Data) {
				d.Links, d.Cluster, d.Timestamp = template.Links{}, "", time.Time{}
			},
			want: []string{"header", "section", "section", "context"},
		},
		{
			name: "no metadata, no context",
			edit: func(d *template.Data) {
				d.Metadata, d.Links, d.Cluster, d.Timestamp = nil, template.Links{}, "", time.Time{}
				d.Severity, d.Reason, d.Controller = "", "", ""
			},
			want: []string{"header", "section"},
		},
		{
			name: "25 fields in three sections",
			edit: func(d *template.Data) { d.Metadata = manyKeys(25) },
			want: []string{"header", "section", "section", "section", "section", "context", "actions"},
		},
		{
			name: "a link that is not http is dropped",
			edit: func(d *template.Data) {
				d.Links = template.Links{Commit: "javascript:alert(1)", Dashboard: "https://dash.example.com/x"}
			},
			want: []string{"header", "section", "section", "context", "actions"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := exampleNotification(nil)
			tt.edit(n.Data)
			body := render(t, exampleProvider(), n, WithFormat(FormatBlocks))
			assert.Equal(t, tt.want, blockTypes(t, body))
			assert.NotContains(t, string(body), "javascript:")
		})
	}

	t.Run("600 fields fit in 50 blocks", func(t *testing.T) {
		n := exampleNotification(nil)
		n.Data.Metadata = manyKeys(600)
		body := render(t, exampleProvider(), n, WithFormat(FormatBlocks))
		types := blockTypes(t, body)
		assert.Len(t, types, maxBlocks)
		var got struct {
			Blocks []struct {
				Fields []struct{ Text string } `json:"fields"`
			} `json:"blocks"`
		}
		require.NoError(t, json.Unmarshal(body, &got))
		shown := 0
		for _, b := range got.Blocks {
			assert.LessOrEqual(t, len(b.Fields), maxSectionFields)
			shown += len(b.Fields)
		}
		last := got.Blocks[maxBlocks-3].Fields // before context and actions
		assert.Equal(t, "… "+fmt.Sprint(600-(shown-1))+" more", last[len(last)-1].Text)
	})

	t.Run("long texts are cut with a marker", func(t *testing.T) {
		n := exampleNotification(nil)
		n.Data.Object.Kind = strings.Repeat("K", 500)
		n.Data.Message = strings.Repeat("m", 5000)
		n.Data.Metadata = map[string]string{"k": strings.Repeat("v", 5000)}
		body := render(t, exampleProvider(), n, WithFormat(FormatBlocks))
		var got struct {
			Blocks []struct {
				Text   *struct{ Text string }  `json:"text"`
				Fields []struct{ Text string } `json:"fields"`
			} `json:"blocks"`
		}
		require.NoError(t, json.Unmarshal(body, &got))
		header, section, fields := got.Blocks[0].Text.Text, got.Blocks[1].Text.Text, got.Blocks[2].Fields
		assert.Equal(t, maxHeader, utf8.RuneCountInString(header))
		assert.True(t, strings.HasSuffix(header, marker))
		assert.Equal(t, maxSectionText, utf8.RuneCountInString(section))
		assert.True(t, strings.HasSuffix(section, marker))
		assert.Equal(t, maxFieldText, utf8.RuneCountInString(fields[0].Text))
	})
}

func blockTypes(t *testing.T, body []byte) []string {
	t.Helper()
	var got struct {
		Blocks []struct {
			Type string `json:"type"`
		} `json:"blocks"`
	}
	require.NoError(t, json.Unmarshal(body, &got))
	var types []string
	for _, b := range got.Blocks {
		types = append(types, b.Type)
	}
	return types
}
