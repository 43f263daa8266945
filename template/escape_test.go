package template_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/template"
)

func TestRenderEscapesActionsNotSafeValues(t *testing.T) {
	tmpl, err := template.Parse(&template.Spec{
		Text: "<b>{{ .Message }}</b> {{ slackLink .Links.Commit \"commit\" }} {{ .Message | safe }}",
	})
	require.NoError(t, err)
	d := template.Sample()
	d.Message = "<!channel> & <https://evil|click>"

	m, err := tmpl.Render(d, template.EscapeSlack)
	require.NoError(t, err)
	assert.Equal(t, "<b>&lt;!channel&gt; &amp; &lt;https://evil|click&gt;</b> "+
		"<https://github.com/example/fleet-infra/commit/2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e|commit> "+
		"<!channel> & <https://evil|click>", m.Text)

	m, err = tmpl.Render(d, nil)
	require.NoError(t, err)
	assert.Contains(t, m.Text, "<b><!channel> & <https://evil|click></b>")
}

func TestRenderLeavesIconsUnescaped(t *testing.T) {
	tmpl, err := template.Parse(&template.Spec{
		Title:     "{{ .Metadata.icon }}",
		IconEmoji: "{{ .Metadata.icon }}",
		IconURL:   "https://icons.example/{{ .Object.Name }}.png?a=1{{ .Metadata.amp }}b=2",
	})
	require.NoError(t, err)
	d := template.Sample()
	d.Metadata = map[string]string{"icon": ":a&b:", "amp": "&"}

	m, err := tmpl.Render(d, template.EscapeSlack)
	require.NoError(t, err)
	assert.Equal(t, ":a&amp;b:", m.Title, "markup is escaped")
	assert.Equal(t, ":a&b:", m.IconEmoji, "an icon is a name, not markup")
	assert.Equal(t, "https://icons.example/"+d.Object.Name+".png?a=1&b=2", m.IconURL)
}

// TestRenderEscaping covers each way a value reaches the output: escaped
// unless it is Safe, however it got there.
func TestRenderEscaping(t *testing.T) {
	link := `slackLink "https://example.com" "<x>"`
	tests := []struct {
		name, text, want string
	}{
		{"field", `{{ .Message }}`, "&lt;!channel&gt;"},
		{"dollar field", `{{ with .Object }}{{ $.Message }}{{ end }}`, "&lt;!channel&gt;"},
		{"metadata", `{{ .Metadata.note }}`, "&lt;b&gt;"},
		{"literal string action", `{{ "<b>" }}`, "&lt;b&gt;"},
		{"literal text", `<b>{{ "" }}</b>`, "<b></b>"},
		{"trimmed literal text", "<b> \n {{- .Object.Name -}} \n </b>", "<b>my-app-kustomization</b>"},
		{"string function", `{{ .Message | upper }}`, "&lt;!CHANNEL&gt;"},
		{"printf", `{{ printf "<%s>" .Object.Name }}`, "&lt;my-app-kustomization&gt;"},
		{"link", `{{ ` + link + ` }}`, "<https://example.com|&lt;x&gt;>"},
		{"link in variable", `{{ $l := ` + link + ` }}{{ $l }}`, "<https://example.com|&lt;x&gt;>"},
		{"link as dot", `{{ with ` + link + ` }}{{ . }}{{ end }}`, "<https://example.com|&lt;x&gt;>"},
		{"link through default", `{{ .Metadata.nope | default (` + link + `) }}`, "<https://example.com|&lt;x&gt;>"},
		{"event text through default", `{{ .Message | default "x" }}`, "&lt;!channel&gt;"},
		{"range over mixed", `{{ range list (safe "<a>") "<b>" }}{{ . }}{{ end }}`, "<a>&lt;b&gt;"},
		{"field of a map as dot", `{{ with dict "a" (safe "<a>") "b" "<b>" }}{{ .a }}{{ .b }}{{ end }}`, "<a>&lt;b&gt;"},
		{"mention", `{{ slackMention "here" }} {{ .Message }}`, "<!here> &lt;!channel&gt;"},
		{"slackEscape once", `{{ .Message | slackEscape }}`, "&lt;!channel&gt;"},
		{"number", `{{ len .Message }}`, "10"},
		{"stringer", `{{ .Timestamp }}`, "2025-03-14 09:26:53 +0000 UTC"},
		{"if", `{{ if .Message }}{{ .Message }}{{ else }}<none>{{ end }}`, "&lt;!channel&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := template.Parse(&template.Spec{Text: tt.text})
			require.NoError(t, err)
			d := template.Sample()
			d.Message = "<!channel>"
			d.Metadata["note"] = "<b>"
			m, err := tmpl.Render(d, template.EscapeSlack)
			require.NoError(t, err)
			assert.Equal(t, tt.want, m.Text)
		})
	}
}

func TestRenderDoesNotChangeTheData(t *testing.T) {
	// A template can call pointer methods on what it reaches through
	// .Event; they must act on Render's copy, never on the caller's event.
	tests := []struct{ name, text string }{
		{"timestamp", `{{ .Event.Timestamp.UnmarshalQueryParameter "2000-01-01T00:00:00Z" }}`},
		{"related object", `{{ with .Event.RelatedObject }}{{ .Unmarshal $.Event.InvolvedObject.Marshal }}{{ end }}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := template.Parse(&template.Spec{Text: tt.text})
			require.NoError(t, err)
			d := template.Sample()
			d.Event.RelatedObject = &corev1.ObjectReference{Kind: "GitRepository", Name: "source"}
			want := d.Event.DeepCopy()
			_, err = tmpl.Render(d, nil)
			require.NoError(t, err)
			assert.Equal(t, want, d.Event)
		})
	}
}
