package template_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fluxnotify/fluxnotify/template"
)

// FuzzParse parses arbitrary template text and Blocks: no panic, and what
// parses renders bounded, with Blocks valid JSON.
func FuzzParse(f *testing.F) {
	f.Add("{{ .Message }}", `[{"type":"section","text":{"type":"mrkdwn","text":"{{ .Message }}"}}]`)
	f.Add(`{{ range $k, $v := .Metadata }}{{ $k }}={{ $v | quote }}{{ end }}`, `[]`)
	f.Add(`{{ slackLink .Links.Commit (shortRevision .Revision) }}`, `"[{\"a\":\"{{ .Cluster }}\"}]"`)
	f.Add(`{{ repeat 1000000 "x" }}`, `[1, 2.5e10, null, true, "x", {"k": ["{{ . }}"]}]`)
	f.Add(`{{ define "x" }}{{ end }}{{ template "x" }}`, `{`)
	f.Add(`{{ $x := "a" }}{{ range until 30 }}{{ $x = cat $x $x }}{{ end }}{{ $x }}`, `[{"t":"{{ printf \"%9999999d\" 1 }}"}]`)
	f.Add(`{{ with $ }}{{ . }}{{ end }}{{ $ }}`, `["{{ if }}"]`)
	f.Fuzz(func(t *testing.T, text, blocks string) {
		tmpl, err := template.Parse(&template.Spec{Text: text, Blocks: json.RawMessage(blocks)})
		if err != nil {
			var fe *template.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error without a field: %v", err)
			}
			return
		}
		m, err := tmpl.Render(template.Sample(), template.EscapeSlack)
		if err != nil {
			// Parse rendered the same data already.
			t.Fatalf("Render failed after Parse succeeded: %v", err)
		}
		checkMessage(t, m)
	})
}

// FuzzRender renders fixed templates with arbitrary event data: no panic,
// bounded output, Blocks valid JSON, and event text escaped.
func FuzzRender(f *testing.F) {
	f.Add("<!channel> \"quotes\" \n $HOME ${x} \\", "revision", "main@sha1:2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e", "my-app")
	f.Add("\xff\xfe\x00\u2028", "", "", "")
	f.Add(strings.Repeat("<&>", 30000), "k", strings.Repeat("v", 70000), "n")
	f.Add("ok", "summary", "<https://evil|click>", "{{ .Message }}")

	text, err := template.Parse(&template.Spec{
		Title: "{{ .Object.Kind }}/{{ .Object.Name }}",
		Text:  "{{ .Message | truncate 3000 }} {{ slackLink .Links.Commit (shortRevision .Revision) }}",
		Fields: []template.Field{
			{Title: "Metadata", Value: "{{ range $k, $v := .Metadata }}{{ $k }}: {{ $v }}\n{{ end }}"},
			{Title: "{{ .Object.Name | upper }}", Value: "{{ toJson .Metadata }}"},
		},
	})
	if err != nil {
		f.Fatal(err)
	}
	blocks, err := template.Parse(&template.Spec{Blocks: json.RawMessage(`[
		{"type": "header", "text": {"type": "plain_text", "text": "{{ .Object.Name }}"}},
		{"type": "section", "text": {"type": "mrkdwn", "text": "{{ .Message }}"},
		 "fields": [{"type": "mrkdwn", "text": "{{ .Revision }} {{ index .Metadata \"summary\" }}"}]}
	]`)})
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, message, key, value, name string) {
		d := template.Sample()
		d.Message, d.Object.Name = message, name
		d.Metadata[key] = value
		d.Revision = value
		for _, tmpl := range []*template.Template{text, blocks} {
			m, err := tmpl.Render(d, template.EscapeSlack)
			if err != nil {
				if !errors.Is(err, template.ErrTooLarge) {
					t.Fatalf("unexpected error: %v", err)
				}
				continue
			}
			checkMessage(t, m)
			if tmpl == blocks {
				var decoded []struct {
					Text struct{ Text string } `json:"text"`
				}
				if err := json.Unmarshal(m.Blocks, &decoded); err != nil {
					t.Fatal(err)
				}
				// encoding/json, like Render, replaces each invalid byte.
				var want string
				raw, _ := json.Marshal(template.EscapeSlack(message))
				if err := json.Unmarshal(raw, &want); err != nil {
					t.Fatal(err)
				}
				got := decoded[1].Text.Text
				if head, cut := strings.CutSuffix(got, template.TruncateMarker); cut && len(want) > len(head) && strings.HasPrefix(want, head) {
					continue // cut
				}
				if got != want {
					t.Fatalf("section text = %q, want %q", got, want)
				}
			}
		}
	})
}

func checkMessage(t *testing.T, m *template.Message) {
	t.Helper()
	total := len(m.Blocks)
	for _, s := range []string{m.Title, m.Text, m.Color, m.IconEmoji, m.IconURL} {
		if len(s) > template.MaxOutput {
			t.Fatalf("rendered string of %d bytes", len(s))
		}
		total += len(s)
	}
	for _, f := range m.Fields {
		if len(f.Title) > template.MaxOutput || len(f.Value) > template.MaxOutput {
			t.Fatal("rendered field over MaxOutput")
		}
		total += len(f.Title) + len(f.Value)
	}
	if total > template.MaxTotalOutput {
		t.Fatalf("rendered message of %d bytes", total)
	}
	if m.Blocks != nil && !json.Valid(m.Blocks) {
		t.Fatalf("invalid Blocks JSON: %s", m.Blocks)
	}
	if m.Blocks != nil && !utf8.Valid(m.Blocks) {
		t.Fatalf("Blocks not UTF-8: %q", m.Blocks)
	}
}
