package slack

import (
	"bytes"
	"testing"
	ttemplate "text/template"

	"github.com/fluxnotify/fluxnotify/provider"
)

// BenchmarkRender measures building the payload of a failing
// Kustomization and encoding it as JSON, per format, next to a bare
// text/template execution of the custom template's text in the same run.
//
//	go test -run '^$' -bench BenchmarkRender -benchmem ./slack/
func BenchmarkRender(b *testing.B) {
	flux, err := New(exampleProvider(), provider.Credentials{})
	if err != nil {
		b.Fatal(err)
	}
	blocks, err := New(exampleProvider(), provider.Credentials{}, WithFormat(FormatBlocks))
	if err != nil {
		b.Fatal(err)
	}
	for _, bm := range []struct {
		name string
		nt   *Notifier
		n    *provider.Notification
	}{
		{"flux", flux, exampleNotification(nil)},
		{"blocks", blocks, exampleNotification(nil)},
		{"custom-template", flux, exampleNotification(parse(b, customSpec))},
		{"custom-blocks", flux, exampleNotification(parse(b, customBlocksSpec))},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bm.nt.Render(bm.n); err != nil {
					b.Fatal(err)
				}
			}
		})
	}

	// The same strings as customSpec's title, text, color and field values
	// in one bare text/template (no escaping, no JSON, no limits).
	bare := ttemplate.Must(ttemplate.New("bare").Parse(
		`{{ .Object.Kind }}/{{ .Object.Name }} in {{ .Cluster }}` +
			`{{ if eq .Severity "error" }}:red_circle:{{ else }}:large_green_circle:{{ end }} *{{ .Reason }}*: {{ .Message }}` +
			`{{ if eq .Severity "error" }}#d93025{{ else }}good{{ end }}` +
			`<{{ .Links.Commit }}|{{ .Revision }}><{{ .Links.Dashboard }}|open>`))
	d := exampleNotification(nil).Data
	b.Run("text-template-baseline", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := bare.Execute(&buf, d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
