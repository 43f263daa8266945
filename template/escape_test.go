package template_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
