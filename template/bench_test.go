package template_test

import (
	"bytes"
	"encoding/json"
	"testing"
	ttemplate "text/template"

	"github.com/fluxnotify/fluxnotify/template"
)

var benchSpec = &template.Spec{
	Title: "{{ .Object.Kind }}/{{ .Object.Name }}.{{ .Object.Namespace }}",
	Text:  "{{ .Message }}\n{{ slackLink .Links.Commit (shortRevision .Revision) }}",
	Color: `{{ if eq .Severity "error" }}danger{{ else }}good{{ end }}`,
	Fields: []template.Field{
		{Title: "Cluster", Value: "{{ .Cluster }}", Short: true},
		{Title: "Reason", Value: "{{ .Reason }}", Short: true},
		{Title: "Metadata", Value: "{{ range $k, $v := .Metadata }}{{ $k }}: {{ $v }}\n{{ end }}"},
	},
}

const benchBlocks = `[
	{"type": "header", "text": {"type": "plain_text", "text": "{{ .Object.Kind }} {{ .Object.Name }} failed"}},
	{"type": "section", "text": {"type": "mrkdwn", "text": "{{ .Message }}"},
	 "fields": [{"type": "mrkdwn", "text": "*Revision*\n{{ slackLink .Links.Commit (shortRevision .Revision) }}"},
	            {"type": "mrkdwn", "text": "*Cluster*\n{{ .Cluster }}"}]},
	{"type": "context", "elements": [{"type": "mrkdwn", "text": "{{ .Controller }} · {{ .Severity }}"}]}
]`

// BenchmarkRender compares Render with a bare text/template executing the
// same strings, without escaping, bounds or JSON encoding.
func BenchmarkRender(b *testing.B) {
	d := template.Sample()

	b.Run("text-fields", func(b *testing.B) {
		tmpl, err := template.Parse(benchSpec)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tmpl.Render(d, template.EscapeSlack); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("baseline-text-template/text-fields", func(b *testing.B) {
		texts := []string{benchSpec.Title, benchSpec.Text, benchSpec.Color}
		for _, f := range benchSpec.Fields {
			texts = append(texts, f.Title, f.Value)
		}
		tmpls := make([]*ttemplate.Template, len(texts))
		for i, s := range texts {
			tmpls[i] = ttemplate.Must(ttemplate.New("").Funcs(template.Funcs()).Parse(s))
		}
		var buf bytes.Buffer
		out := make([]string, len(tmpls))
		b.ReportAllocs()
		for b.Loop() {
			for i, t := range tmpls {
				buf.Reset()
				if err := t.Execute(&buf, d); err != nil {
					b.Fatal(err)
				}
				out[i] = buf.String()
			}
		}
	})

	b.Run("blocks", func(b *testing.B) {
		tmpl, err := template.Parse(&template.Spec{Blocks: json.RawMessage(benchBlocks)})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tmpl.Render(d, template.EscapeSlack); err != nil {
				b.Fatal(err)
			}
		}
	})

	// The unsafe way: the whole JSON array as one template.
	b.Run("baseline-text-template/blocks", func(b *testing.B) {
		t := ttemplate.Must(ttemplate.New("").Funcs(template.Funcs()).Parse(benchBlocks))
		var buf bytes.Buffer
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if err := t.Execute(&buf, d); err != nil {
				b.Fatal(err)
			}
			_ = bytes.Clone(buf.Bytes())
		}
	})

	b.Run("literal", func(b *testing.B) {
		tmpl, err := template.Parse(&template.Spec{Title: "Flux", Text: "Something happened"})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tmpl.Render(d, template.EscapeSlack); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkParse measures loading a template: parsing every string and
// rendering it once on the sample.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := template.Parse(benchSpec); err != nil {
			b.Fatal(err)
		}
	}
}
