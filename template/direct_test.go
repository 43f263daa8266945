package template

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// directTemplates are templates in and out of the direct executor's
// subset: the direct run must give the same output, the same errors and
// charge the same work as text/template.
var directTemplates = []string{
	`{{ .Object.Kind }}/{{ .Object.Name }} in {{ .Cluster }}`,
	`{{ if eq .Severity "error" }}:red_circle:{{ else }}:large_green_circle:{{ end }} *{{ .Reason }}*: {{ .Message }}`,
	`{{ if ne .Severity "error" }}good{{ else if eq .Reason "x" }}#d93025{{ end }}`,
	`{{ slackLink .Links.Commit (shortRevision .Revision) }}`,
	`{{ slackLink .Links.Dashboard "open" }} {{ .Metadata.note }}{{ .Metadata.missing }}`,
	`{{ .Revision | shortRevision }} {{ commitSHA $.Revision }} {{ $.Object.Namespace | upper }}`,
	`{{ slackEscape .Message }}|{{ safe .Message }}|{{ .Message | safe | slackEscape }}`,
	`{{ upper (safe .Message) }}`,                // a Safe for a string: text/template's error
	`{{ eq .Severity "error" }}`,                 // a bool printed: text/template
	`{{ title (lower .Message) }}{{/* note */}}`, // nested calls
	`{{ range .Metadata }}{{ . }}{{ end }}`,      // outside the subset
	`{{ trunc 5 .Message }}`,                     // a number argument: outside the subset
	`{{ .Message }}{{ .Message }}{{ upper .Message }}`,
	`{{ if eq (upper .Severity) "ERROR" }}{{ slackLink .Links.Commit .Message }}{{ end }}`,
	`{{ trimPrefix "main@" .Revision }} {{ snakecase .Reason }} {{ b64enc .Message }} {{ sha256sum .Message | trimSuffix "0" }}`,
	`{{ replace "a" "<b>" .Message }} {{ camelcase .Object.Name }} {{ nospace .Message | kebabcase }} {{ b64dec .Message }}`,
}

func directData() []*Data {
	var out []*Data
	for _, msg := range []string{
		"", "plain", "<!channel> & <https://evil|click>", "bad \xff utf-8 \u212a",
		strings.Repeat("a&b<", MaxOutput/3),  // escaping makes it longer than MaxOutput
		strings.Repeat("é", MaxOutput/2+7),   // cut inside runes
		strings.Repeat("long ", MaxOutput/4), // over MaxOutput raw
	} {
		for _, sev := range []string{"error", "info"} {
			d := *Sample()
			d.Message, d.Severity = msg, sev
			d.Metadata = map[string]string{"note": "<b>" + msg[:min(len(msg), 20)]}
			d.Links.Commit = "https://example.com/c?a=1&b=" + msg[:min(len(msg), 10)]
			out = append(out, &d)
		}
	}
	return out
}

// renderBoth renders with and without the direct executor, with a work
// budget of work, and returns both results.
func renderBoth(t testing.TB, tmpl *Template, d *Data, esc Escaper, work int64) (direct, plain string) {
	t.Helper()
	saved := tmpl.limits
	defer func() { tmpl.limits = saved }()
	tmpl.limits.Work = work
	show := func() string {
		m, err := tmpl.RenderContext(context.Background(), d, esc)
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("%#v", *m)
	}
	direct = show()
	directOff = true
	defer func() { directOff = false }()
	plain = show()
	return direct, plain
}

func TestDirectAgreesWithTextTemplate(t *testing.T) {
	data := directData()
	used := 0
	for _, text := range directTemplates {
		tmpl, err := Parse(&Spec{Text: text, Title: text, IconURL: text})
		if err != nil {
			continue // fails on the sample: nothing to render
		}
		if tmpl.text.direct != nil {
			used++
		}
		for _, d := range data {
			for _, esc := range []Escaper{EscapeSlack, nil} {
				direct, plain := renderBoth(t, tmpl, d, esc, DefaultWork)
				require.Equal(t, plain, direct, "%s on %.40q", text, d.Message)
			}
		}
		// The same work: both stop at the same budget.
		for work := int64(1); work < 20000; work += 97 {
			direct, plain := renderBoth(t, tmpl, data[2], EscapeSlack, work)
			require.Equal(t, plain, direct, "%s with a budget of %d", text, work)
		}
	}
	assert.GreaterOrEqual(t, used, 10, "templates run directly")
}

func TestDirectStopsOnTheContext(t *testing.T) {
	tmpl, err := Parse(&Spec{Text: directTemplates[3]})
	require.NoError(t, err)
	require.NotNil(t, tmpl.text.direct)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(fmt.Errorf("deadline of the delivery"))
	_, errDirect := tmpl.RenderContext(ctx, Sample(), EscapeSlack)
	directOff = true
	defer func() { directOff = false }()
	_, errPlain := tmpl.RenderContext(ctx, Sample(), EscapeSlack)
	assert.Equal(t, errPlain.Error(), errDirect.Error())
}

// FuzzDirect compares the direct executor with text/template on fuzzed
// data.
func FuzzDirect(f *testing.F) {
	f.Add(uint8(0), "<!here> & x", "error", "main@sha1:abc", "https://x/y?a&b", "n\xff")
	f.Add(uint8(3), "", "info", "", "", "")
	f.Add(uint8(5), "é\u212a", "ERROR", "sha256:deadbeef", "<a|b>", "&amp;")
	tmpls := make([]*Template, len(directTemplates))
	for i, text := range directTemplates {
		tmpls[i], _ = Parse(&Spec{Text: text, Fields: []Field{{Title: text, Value: text}}})
	}
	f.Fuzz(func(t *testing.T, which uint8, msg, sev, rev, link, note string) {
		tmpl := tmpls[int(which)%len(tmpls)]
		if tmpl == nil {
			return
		}
		d := *Sample()
		d.Message, d.Severity, d.Revision, d.Links.Commit = msg, sev, rev, link
		d.Metadata = map[string]string{"note": note}
		direct, plain := renderBoth(t, tmpl, &d, EscapeSlack, DefaultWork)
		if direct != plain {
			t.Fatalf("direct %s\ntext/template %s", direct, plain)
		}
	})
}
