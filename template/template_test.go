package template_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	ttemplate "text/template"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/fluxnotify/fluxnotify/template"
)

func TestParseErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name  string
		spec  template.Spec
		field string
		want  string
	}{
		{"syntax", template.Spec{Text: "{{ .Message "}, "text", "text: template: text:1: unclosed action"},
		{"unknown function", template.Spec{Title: "{{ nope }}"}, "title", `function "nope" not defined`},
		{"unknown field", template.Spec{Color: "{{ .Colour }}"}, "color", "can't evaluate field Colour"},
		{"fails on sample", template.Spec{Fields: []template.Field{{Title: "a", Value: "b"}, {Title: "ok", Value: `{{ fail "boom" }}`}}},
			"fields[1].value", "fields[1].value: executing on a sample event: template: fields[1].value:1:3: executing"},
		{"field title", template.Spec{Fields: []template.Field{{Title: "{{ }}"}}}, "fields[0].title", "missing value for command"},
		{"icon", template.Spec{IconURL: "{{ .Links.Nope }}"}, "iconURL", "can't evaluate field Nope"},
		{"emoji", template.Spec{IconEmoji: "{{ if }}"}, "iconEmoji", "missing value for if"},
		{"define", template.Spec{Text: `{{ define "x" }}y{{ end }}`}, "text", "{{define}} and {{block}} are not supported"},
		{"block", template.Spec{Text: `{{ block "x" . }}y{{ end }}`}, "text", "not supported"},
		{"template", template.Spec{Text: `{{ template "text" }}`}, "text", "{{template}} and {{block}} are not supported"},
		{"dollar declared", template.Spec{Text: `{{ $ := 1 }}{{ .Message }}`}, "text", "$ cannot be declared or assigned"},
		{"dollar assigned", template.Spec{Text: `{{ $ = 1 }}`}, "text", ""},
		{"too many args", template.Spec{Text: "{{ list" + strings.Repeat(" 1", 40) + " }}"}, "text", "more than 32 arguments"},
		{"blocks string", template.Spec{Blocks: json.RawMessage(`[{"type":"section","text":{"type":"mrkdwn","text":"{{ .Nope }}"}}]`)},
			"blocks[0].text.text", "blocks[0].text.text: executing on a sample event"},
		{"blocks nested", template.Spec{Blocks: json.RawMessage(`[{"type":"context"},{"type":"context","elements":[{"type":"mrkdwn","text":"ok"},{"text":"{{ end }}"}]}]`)},
			"blocks[1].elements[1].text", "unexpected {{end}}"},
		{"blocks not an array", template.Spec{Blocks: json.RawMessage(`{"type":"section"}`)}, "blocks", "blocks: must be a JSON array"},
		{"blocks invalid json", template.Spec{Blocks: json.RawMessage(`[{"type":}]`)}, "blocks", "blocks: invalid character"},
		{"blocks trailing", template.Spec{Blocks: json.RawMessage(`[] []`)}, "blocks", "unexpected data after the array"},
		{"blocks string not array", template.Spec{Blocks: json.RawMessage(`"hello"`)}, "blocks", "must be a JSON array"},
		{"blocks too deep", template.Spec{Blocks: json.RawMessage(strings.Repeat("[", 65) + strings.Repeat("]", 65))},
			"blocks" + strings.Repeat("[0]", 64), "nested more than 64 levels deep"},
		{"blocks string too deep", template.Spec{Blocks: json.RawMessage(`"` + strings.Repeat("[", 100000) + `"`)},
			"blocks" + strings.Repeat("[0]", 64), "nested more than 64 levels deep"},
		{"too large on sample", template.Spec{Text: `{{ repeat 70000 "x" }}`}, "text", "over the size limit"},
		{"literal too large", template.Spec{Title: strings.Repeat("x", template.MaxOutput+1)}, "title", "template of 65537 bytes, more than 65536"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := template.Parse(&tt.spec)
			require.Error(t, err)
			var fe *template.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.field, fe.Field)
			assert.True(t, strings.HasPrefix(err.Error(), tt.field+": "), err.Error())
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParseOptions(t *testing.T) {
	_, err := template.Parse(nil)
	require.Error(t, err)

	tmpl, err := template.Parse(&template.Spec{Text: "{{ shout .Object.Name }}"},
		template.WithFuncs(ttemplate.FuncMap{"shout": func(s string) string { return strings.ToUpper(s) + "!" }}))
	require.NoError(t, err)
	m, err := tmpl.Render(template.Sample(), nil)
	require.NoError(t, err)
	assert.Equal(t, "MY-APP-KUSTOMIZATION!", m.Text)

	// What a function returns decides whether its output is escaped.
	tmpl, err = template.Parse(&template.Spec{Text: `{{ bold "<x>" }} {{ plain "<x>" }} {{ anything "<x>" }}`},
		template.WithFuncs(ttemplate.FuncMap{
			"bold":     func(s string) template.Safe { return template.Safe("*" + template.EscapeSlack(s) + "*") },
			"plain":    func(s string) string { return s },
			"anything": func(s string) any { return template.Safe(s) },
		}))
	require.NoError(t, err)
	m, err = tmpl.Render(template.Sample(), template.EscapeSlack)
	require.NoError(t, err)
	assert.Equal(t, "*&lt;x&gt;* &lt;x&gt; <x>", m.Text)

	_, err = template.Parse(&template.Spec{Text: "x"}, template.WithFuncs(ttemplate.FuncMap{"_escape": strings.ToUpper}))
	assert.ErrorContains(t, err, "reserved")

	// The sample decides what fails at load time.
	sample := template.Sample()
	sample.Metadata = nil
	spec := &template.Spec{Text: `{{ if not .Metadata.revision }}{{ fail "no revision" }}{{ end }}`}
	_, err = template.Parse(spec)
	require.NoError(t, err)
	_, err = template.Parse(spec, template.WithSample(sample))
	assert.ErrorContains(t, err, "text: executing on a sample event")
}

func TestRender(t *testing.T) {
	spec := &template.Spec{
		Format:    "blocks",
		Title:     "{{ .Object.Kind }}/{{ .Object.Name }} in {{ .Cluster }}",
		Text:      "{{ .Message }}",
		Color:     `{{ if eq .Severity "error" }}danger{{ else }}good{{ end }}`,
		IconEmoji: ":flux:",
		IconURL:   "https://example.com/{{ .Controller }}.png",
		Fields: []template.Field{
			{Title: "Revision", Value: "{{ slackLink .Links.Commit (shortRevision .Revision) }}", Short: true},
			{Title: "Alert", Value: "{{ .Alert.Namespace }}/{{ .Alert.Name }} → {{ .Channel }}"},
		},
	}
	tmpl, err := template.Parse(spec)
	require.NoError(t, err)
	d := template.Sample()
	d.Message = `<!channel> "quoted" $HOME` + "\nline two"
	m, err := tmpl.Render(d, template.EscapeSlack)
	require.NoError(t, err)
	assert.Equal(t, &template.Message{
		Format:    "blocks",
		Title:     "Kustomization/my-app-kustomization in production",
		Text:      `&lt;!channel&gt; "quoted" $HOME` + "\nline two",
		Color:     "danger",
		IconEmoji: ":flux:",
		IconURL:   "https://example.com/kustomize-controller.png",
		Fields: []template.Field{
			{Title: "Revision", Value: "<https://github.com/example/fleet-infra/commit/" + sha + "|main@2f3c4d5>", Short: true},
			{Title: "Alert", Value: "flux-system/flux-alerts → #devops-alerts"},
		},
	}, m)
	assert.Same(t, tmpl.Spec(), tmpl.Spec())
	assert.Equal(t, spec, tmpl.Spec())

	// The template keeps its own copy of the spec.
	spec.Fields[0].Title = "changed"
	assert.Equal(t, "Revision", tmpl.Spec().Fields[0].Title)
	m, err = tmpl.Render(d, nil)
	require.NoError(t, err)
	assert.Equal(t, "Revision", m.Fields[0].Title)
	assert.Equal(t, d.Message, m.Text)

	_, err = tmpl.Render(nil, nil)
	assert.Error(t, err)
}

func TestRenderBlocks(t *testing.T) {
	const manifest = `
blocks:
  - type: header
    text: {type: plain_text, text: "{{ .Object.Kind }} {{ .Object.Name }} failed", emoji: true}
  - type: section
    text: {type: mrkdwn, text: "{{ .Message }}"}
    fields:
      - {type: mrkdwn, text: "*Revision*\n{{ .Revision | shortRevision }}"}
  - type: actions
    elements:
      - type: button
        text: {type: plain_text, text: "View commit"}
        url: "{{ .Links.Commit }}"
        value: "{{ .Metadata.nope }}"
  - {type: divider, "{{ key }}": 1.50, flag: false, none: null}
`
	var spec template.Spec
	require.NoError(t, yaml.Unmarshal([]byte(manifest), &spec))
	tmpl, err := template.Parse(&spec)
	require.NoError(t, err)

	d := template.Sample()
	d.Message = "<!channel> \"quotes\" \\ backslash\n$x ${y} \u2028 \x01 \xff"
	m, err := tmpl.Render(d, template.EscapeSlack)
	require.NoError(t, err)
	require.True(t, json.Valid(m.Blocks), string(m.Blocks))
	// Object keys are not templated; YAML sorts them.
	assert.Equal(t, `[{"text":{"emoji":true,"text":"Kustomization my-app-kustomization failed","type":"plain_text"},"type":"header"},`+
		`{"fields":[{"text":"*Revision*\nmain@2f3c4d5","type":"mrkdwn"}],`+
		`"text":{"text":"&lt;!channel&gt; \"quotes\" \\ backslash\n$x ${y} \u2028 \u0001 \ufffd","type":"mrkdwn"},"type":"section"},`+
		`{"elements":[{"text":{"text":"View commit","type":"plain_text"},"type":"button",`+
		`"url":"https://github.com/example/fleet-infra/commit/`+sha+`","value":""}],"type":"actions"},`+
		`{"flag":false,"none":null,"type":"divider","{{ key }}":1.5}]`, string(m.Blocks))

	var decoded []map[string]any
	require.NoError(t, json.Unmarshal(m.Blocks, &decoded))
	assert.Equal(t, "&lt;!channel&gt; \"quotes\" \\ backslash\n$x ${y} \u2028 \x01 \ufffd",
		decoded[1]["text"].(map[string]any)["text"])

	// The same array written as a JSON string (a YAML block scalar).
	raw, err := json.Marshal(string(spec.Blocks))
	require.NoError(t, err)
	tmpl2, err := template.Parse(&template.Spec{Blocks: raw})
	require.NoError(t, err)
	m2, err := tmpl2.Render(d, template.EscapeSlack)
	require.NoError(t, err)
	assert.Equal(t, string(m.Blocks), string(m2.Blocks))
}

func TestParseBlocksNestedToTheLimit(t *testing.T) {
	tmpl, err := template.Parse(&template.Spec{Blocks: json.RawMessage(
		strings.Repeat("[", 63) + `{"text":"{{ .Object.Name }}"}` + strings.Repeat("]", 63))})
	require.NoError(t, err)
	m, err := tmpl.Render(template.Sample(), template.EscapeSlack)
	require.NoError(t, err)
	assert.Contains(t, string(m.Blocks), `{"text":"my-app-kustomization"}`)
}

func TestRenderBlocksKeepsJSONAsWritten(t *testing.T) {
	tmpl, err := template.Parse(&template.Spec{Blocks: json.RawMessage(` [ {"type": "section", "b": 1.50, "a": [true, null, -2e3],
		"text": {"type": "mrkdwn", "text": "{{ .Object.Name }}"}} ] `)})
	require.NoError(t, err)
	m, err := tmpl.Render(template.Sample(), template.EscapeSlack)
	require.NoError(t, err)
	assert.Equal(t, `[{"type":"section","b":1.50,"a":[true,null,-2e3],"text":{"type":"mrkdwn","text":"my-app-kustomization"}}]`,
		string(m.Blocks))
}

// TestRenderCutsLongContent covers the README's promise: long content is
// cut with "…" at a rune and escape boundary, never rejected.
func TestRenderCutsLongContent(t *testing.T) {
	d := template.Sample()
	d.Message = strings.Repeat("m", template.MaxOutput+1)

	tmpl, err := template.Parse(&template.Spec{Title: "{{ .Object.Name }}", Text: "{{ .Message }}"})
	require.NoError(t, err)
	m, err := tmpl.Render(d, nil)
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("m", template.MaxOutput-len(template.TruncateMarker))+template.TruncateMarker, m.Text)

	// Escaping counts, and the cut never splits an entity: 30000 "<" become
	// 120000 bytes, cut after a whole "&lt;".
	d.Message = strings.Repeat("<", 30000)
	m, err = tmpl.Render(d, template.EscapeSlack)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(m.Text), template.MaxOutput)
	assert.True(t, strings.HasSuffix(m.Text, "&lt;"+template.TruncateMarker), m.Text[len(m.Text)-20:])
	m, err = tmpl.Render(d, nil)
	require.NoError(t, err)
	assert.Equal(t, d.Message, m.Text)

	// Nor a rune: "é" is two bytes.
	d.Message = strings.Repeat("é", template.MaxOutput)
	m, err = tmpl.Render(d, template.EscapeSlack)
	require.NoError(t, err)
	assert.True(t, utf8.ValidString(m.Text))
	assert.True(t, strings.HasSuffix(m.Text, "é"+template.TruncateMarker))

	// The "{{ .Message }}\n> {{ .Message }}" with 3 MiB of "&".
	d.Message = strings.Repeat("&", 3<<20)
	tmpl, err = template.Parse(&template.Spec{Text: "{{ .Message }}\n> {{ .Message }}"})
	require.NoError(t, err)
	m, err = tmpl.Render(d, template.EscapeSlack)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(m.Text, "&amp;"+template.TruncateMarker))
	assert.LessOrEqual(t, len(m.Text), template.MaxOutput)

	// The 80 metadata values of 1,000 bytes in one field.
	d = template.Sample()
	for i := range 80 {
		d.Metadata[fmt.Sprintf("key%02d", i)] = strings.Repeat("v", 1000)
	}
	tmpl, err = template.Parse(&template.Spec{Text: "{{ range $k, $v := .Metadata }}{{ $k }}: {{ $v }}\n{{ end }}"})
	require.NoError(t, err)
	m, err = tmpl.Render(d, template.EscapeSlack)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(m.Text), template.MaxOutput)
	assert.True(t, strings.HasSuffix(m.Text, template.TruncateMarker))

	// A Safe value (a link) is cut whole or not at all.
	d.Message = strings.Repeat("x", template.MaxOutput-100)
	tmpl, err = template.Parse(&template.Spec{Text: `{{ .Message }}{{ slackLink "https://example.com/a" (repeat 200 "y") }}`})
	require.NoError(t, err)
	m, err = tmpl.Render(d, template.EscapeSlack)
	require.NoError(t, err)
	assert.Equal(t, d.Message+template.TruncateMarker, m.Text)

	// The total: five fields of 60000 bytes each; the fifth is cut.
	d.Message = strings.Repeat("m", 60000)
	fields := make([]template.Field, 5)
	for i := range fields {
		fields[i] = template.Field{Title: "f", Value: "{{ .Message }}"}
	}
	tmpl, err = template.Parse(&template.Spec{Fields: fields})
	require.NoError(t, err)
	m, err = tmpl.Render(d, nil)
	require.NoError(t, err)
	assert.Equal(t, d.Message, m.Fields[3].Value)
	assert.True(t, strings.HasSuffix(m.Fields[4].Value, template.TruncateMarker))
	checkMessage(t, m)

	// Blocks count towards the total too, as encoded JSON.
	blocks := make([]string, 5)
	for i := range blocks {
		blocks[i] = `{"type":"section","text":{"type":"mrkdwn","text":"{{ .Message }}"}}`
	}
	tmpl, err = template.Parse(&template.Spec{Blocks: json.RawMessage("[" + strings.Join(blocks, ",") + "]")})
	require.NoError(t, err)
	m, err = tmpl.Render(d, nil)
	require.NoError(t, err)
	checkMessage(t, m)
	assert.Contains(t, string(m.Blocks), template.TruncateMarker+`"}}`)

	// Quoted control characters: 20000 bytes, 120000 once quoted.
	big := strings.Repeat("x", 60000)
	tmpl, err = template.Parse(&template.Spec{Title: big, Text: big, Color: big,
		Blocks: json.RawMessage(`[{"type":"section","text":{"type":"mrkdwn","text":"{{ .Message }}"}}]`)})
	require.NoError(t, err)
	d.Message = strings.Repeat("\x01", 20000)
	m, err = tmpl.Render(d, template.EscapeSlack)
	require.NoError(t, err)
	checkMessage(t, m)
	assert.Contains(t, string(m.Blocks), template.TruncateMarker+`"}}`)
}

// TestRenderLimitsCountBlocksAsEncoded checks that MaxTotalOutput bounds the
// whole message: the other strings plus the Blocks JSON as encoded, its
// literal JSON and the quoting of rendered strings included.
func TestRenderLimitsCountBlocksAsEncoded(t *testing.T) {
	big := strings.Repeat("x", 60000)
	section := func(text string) json.RawMessage {
		return json.RawMessage(`[{"type":"section","text":{"type":"mrkdwn","text":"` + text + `"}}]`)
	}
	tests := []struct {
		name    string
		spec    template.Spec
		message string
		field   string
	}{
		{name: "literal blocks after literal strings",
			spec:  template.Spec{Title: big, Text: big, Color: big, IconEmoji: big + "{{ .Cluster }}", Blocks: section(big)},
			field: "blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := template.Sample()
			tmpl, err := template.Parse(&tt.spec, template.WithSample(d))
			if err == nil {
				d.Message = tt.message
				var m *template.Message
				m, err = tmpl.Render(d, template.EscapeSlack)
				if err == nil {
					t.Fatalf("rendered a message of %d bytes", len(m.Title)+len(m.Text)+len(m.Color)+len(m.IconEmoji)+len(m.Blocks))
				}
			}
			var fe *template.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.field, fe.Field)
			assert.ErrorIs(t, err, template.ErrTooLarge)
			assert.ErrorContains(t, err, "message of more than 262144 bytes in all")
		})
	}
}

// TestRenderDoesNotAllocateWhatItRefuses checks that refusing a template
// that would produce hundreds of megabytes costs far less than that.
func TestRenderDoesNotAllocateWhatItRefuses(t *testing.T) {
	for _, text := range []string{
		`{{ repeat 500000000 "x" }}`,
		`{{ printf "%500000000d" 1 }}`,
		`{{ indent 500000000 "x" }}`,
		`{{ randAlpha 2000000 }}`,
		`{{ randBytes 50000000 }}`,
		// Cut, not refused:
		`{{ $x := "ab" }}{{ range until 40 }}{{ $x = cat $x $x $x $x }}{{ end }}`,
		`{{ range until 10000 }}{{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" }}{{ end }}`,
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		out, err := render(t, text)
		runtime.ReadMemStats(&after)
		limit := uint64(16 << 20)
		if err == nil || strings.Contains(text, "cat") {
			// Cut at every step: what it allocates is bounded by the work
			// budget, the size of the arguments it reads.
			assert.LessOrEqual(t, len(out), template.MaxOutput, text)
			limit = 128 << 20
		}
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, limit, text)
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	tmpl, err := template.Parse(&template.Spec{
		Text: "{{ range $k, $v := .Metadata }}{{ $k }}={{ $v }};{{ end }}{{ keys .Metadata }}{{ toJson .Metadata }}",
	})
	require.NoError(t, err)
	d := template.Sample()
	for i := range 50 {
		d.Metadata[fmt.Sprintf("k%02d", i)] = fmt.Sprint(i)
	}
	first, err := tmpl.Render(d, nil)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(first.Text, "k00=0;k01=1;k02=2;"), first.Text)
	for range 20 {
		m, err := tmpl.Render(d, nil)
		require.NoError(t, err)
		require.Equal(t, first.Text, m.Text)
	}
}

// TestRenderConcurrently renders one template from many goroutines with
// different escapers: each call sees only its own.
func TestRenderConcurrently(t *testing.T) {
	tmpl, err := template.Parse(&template.Spec{
		Text:   "{{ .Message }}{{ range .Metadata }}.{{ end }}",
		Blocks: json.RawMessage(`[{"text":"{{ .Message }}"}]`),
	})
	require.NoError(t, err)
	upper := template.Escaper(strings.ToUpper)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			d := template.Sample()
			d.Message = fmt.Sprintf("<m%d>", i)
			esc, want := template.Escaper(nil), d.Message
			switch i % 3 {
			case 1:
				esc, want = template.EscapeSlack, template.EscapeSlack(d.Message)
			case 2:
				esc, want = upper, strings.ToUpper(d.Message)
			}
			for range 50 {
				m, err := tmpl.Render(d, esc)
				if err != nil {
					errs <- err
					return
				}
				if m.Text != want+"." || string(m.Blocks) != `[{"text":"`+want+`"}]` {
					errs <- fmt.Errorf("goroutine %d: got %q and %s, want %q", i, m.Text, m.Blocks, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestRenderLiteralsAreNotEscaped(t *testing.T) {
	tmpl, err := template.Parse(&template.Spec{
		Title:  "<!here> no action",
		Text:   "<!here> {{ .Object.Name }} & co",
		Blocks: json.RawMessage(`[{"text":"<https://example.com|literal>"}]`),
	})
	require.NoError(t, err)
	m, err := tmpl.Render(template.Sample(), template.EscapeSlack)
	require.NoError(t, err)
	assert.Equal(t, "<!here> no action", m.Title)
	assert.Equal(t, "<!here> my-app-kustomization & co", m.Text)
	assert.JSONEq(t, `[{"text":"<https://example.com|literal>"}]`, string(m.Blocks))
}

func TestFieldError(t *testing.T) {
	cause := errors.New("boom")
	err := &template.FieldError{Field: "text", Err: cause}
	assert.Equal(t, "text: boom", err.Error())
	assert.ErrorIs(t, err, cause)
}

func TestSample(t *testing.T) {
	a, b := template.Sample(), template.Sample()
	a.Metadata["x"] = "y"
	assert.NotContains(t, b.Metadata, "x")
	assert.Equal(t, "Kustomization", b.Object.Kind)
	assert.Equal(t, "error", b.Severity)
	assert.Equal(t, "HealthCheckFailed", b.Event.Reason)
	assert.Equal(t, "https://github.com/example/fleet-infra/commit/"+sha, b.Links.Commit)
}

func TestRenderStatic(t *testing.T) {
	tmpl, err := template.Parse(&template.Spec{
		Format: "blocks", IconEmoji: ":flux:",
		Fields: []template.Field{{Title: "a", Value: "b"}},
		Blocks: json.RawMessage(`[{"type":"divider"}]`),
	})
	require.NoError(t, err)
	m, err := tmpl.Render(template.Sample(), template.EscapeSlack)
	require.NoError(t, err)
	assert.Equal(t, &template.Message{
		Format: "blocks", IconEmoji: ":flux:",
		Fields: []template.Field{{Title: "a", Value: "b"}},
		Blocks: json.RawMessage(`[{"type":"divider"}]`),
	}, m)
	// Each call returns its own message.
	m.Fields[0].Title = "changed"
	m.Blocks[0] = '{'
	m2, err := tmpl.Render(template.Sample(), nil)
	require.NoError(t, err)
	assert.Equal(t, "a", m2.Fields[0].Title)
	assert.Equal(t, `[{"type":"divider"}]`, string(m2.Blocks))

	empty, err := template.Parse(&template.Spec{})
	require.NoError(t, err)
	m, err = empty.Render(template.Sample(), nil)
	require.NoError(t, err)
	assert.Equal(t, &template.Message{}, m)
}

// TestEmptyBlocksAreUnset: an empty "blocks:" in YAML decodes as null; like
// an empty string field, it sets nothing.
func TestEmptyBlocksAreUnset(t *testing.T) {
	tests := []struct {
		name, yaml string
		zero       bool
	}{
		{name: "empty value", yaml: "blocks:\n", zero: true},
		{name: "null", yaml: "blocks: null\n", zero: true},
		{name: "empty string", yaml: `blocks: ""` + "\n", zero: true},
		{name: "with text", yaml: "text: '{{ .Message }}'\nblocks:\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var spec template.Spec
			require.NoError(t, yaml.Unmarshal([]byte(tt.yaml), &spec))
			assert.Equal(t, tt.zero, spec.IsZero())
			tmpl, err := template.Parse(&spec)
			require.NoError(t, err)
			m, err := tmpl.Render(template.Sample(), template.EscapeSlack)
			require.NoError(t, err)
			assert.Nil(t, m.Blocks)
		})
	}
}
