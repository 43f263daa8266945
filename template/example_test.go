package template_test

import (
	"encoding/json"
	"fmt"

	"github.com/fluxnotify/fluxnotify/template"
)

// A custom text template: the event's message is escaped for Slack, the
// link to the commit is not.
func ExampleParse() {
	tmpl, err := template.Parse(&template.Spec{
		Title: "{{ .Object.Kind }}/{{ .Object.Name }} failed in {{ .Cluster }}",
		Text:  "{{ .Message | truncate 60 }}\nRevision: {{ slackLink .Links.Commit (shortRevision .Revision) }}",
		Fields: []template.Field{
			{Title: "Reason", Value: "{{ .Reason }}", Short: true},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	d := template.Sample()
	d.Message = "<!channel> " + d.Message
	m, err := tmpl.Render(d, template.EscapeSlack)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Title)
	fmt.Println(m.Text)
	fmt.Println(m.Fields[0].Title+":", m.Fields[0].Value)
	// Output:
	// Kustomization/my-app-kustomization failed in production
	// &lt;!channel&gt; Health check failed after 5m0s: timeout waiting …
	// Revision: <https://github.com/example/fleet-infra/commit/2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e|main@2f3c4d5>
	// Reason: HealthCheckFailed
}

// A Block Kit template: each string is a template; quotes and newlines in
// the event cannot break the JSON.
func ExampleParse_blocks() {
	tmpl, err := template.Parse(&template.Spec{
		Format: "blocks",
		Blocks: json.RawMessage(`[
			{"type": "header", "text": {"type": "plain_text", "text": "{{ .Object.Kind }} {{ .Object.Name }}"}},
			{"type": "section", "text": {"type": "mrkdwn", "text": "{{ .Message }}"}}
		]`),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	d := template.Sample()
	d.Message = "apply failed: \"spec.replicas\" <invalid>\nsee logs"
	m, err := tmpl.Render(d, template.EscapeSlack)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(m.Blocks))
	// Output:
	// [{"type":"header","text":{"type":"plain_text","text":"Kustomization my-app-kustomization"}},{"type":"section","text":{"type":"mrkdwn","text":"apply failed: \"spec.replicas\" &lt;invalid&gt;\nsee logs"}}]
}

// A template that fails on the sample event is refused when the
// configuration loads, with the field at fault.
func ExampleParse_error() {
	_, err := template.Parse(&template.Spec{
		Fields: []template.Field{
			{Title: "Revision", Value: "{{ .Revision }}"},
			{Title: "Commit", Value: "{{ .Links.Comit }}"},
		},
	})
	fmt.Println(err)
	// Output:
	// fields[1].value: executing on a sample event: template: fields[1].value:1:9: executing "fields[1].value" at <.Links.Comit>: can't evaluate field Comit in type template.Links
}

func ExampleCommitURL() {
	fmt.Println(template.CommitURL("git@github.com:example/fleet-infra.git", "main@sha1:2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"))
	fmt.Println(template.CommitURL("https://gitlab.com/example/fleet-infra", "sha1:2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"))
	fmt.Println(template.CommitURL("https://github.com/example/podinfo", "6.5.0@sha256:9b8a7c6d5e4f9b8a7c6d5e4f9b8a7c6d5e4f9b8a7c6d5e4f9b8a7c6d5e4f9b8a") == "")
	// Output:
	// https://github.com/example/fleet-infra/commit/2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e
	// https://gitlab.com/example/fleet-infra/-/commit/2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e
	// true
}

func ExampleShortRevision() {
	fmt.Println(template.ShortRevision("main@sha1:2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"))
	// Output:
	// main@2f3c4d5
}
