package template

import (
	"bytes"
	"encoding/json"
)

// Spec is a message template as users write it in YAML, under spec.template
// of a Provider (the default for every alert that uses the provider) or of an
// Alert (which replaces the provider's template as a whole).
//
// Every string is a Go text/template evaluated against Data. Which fields a
// notifier uses is up to the notifier:
//
//   - Title, Text and Fields are neutral: every notifier may show them. A
//     notifier of a type other than Slack (Teams, Discord, a log file) gets
//     them, rendered as plain text and completed with defaults, from
//     provider.Notification.Message.
//   - Blocks, Color, IconEmoji and IconURL are Slack-only: only the Slack
//     notifier reads them (package slack lays out Block Kit and
//     attachments); other notifiers ignore them. They live here because
//     spec.template is one YAML object for every provider type.
//   - Format names a built-in layout of the notifier; only the Slack
//     notifier has layouts today.
//
// Blocks is a JSON array written as YAML or JSON: each string inside it is
// a template, so values are templated, never raw JSON, and no message can
// break the payload.
//
//	spec:
//	  template:
//	    format: blocks
//	    title: "{{ .Object.Kind }}/{{ .Object.Name }} in {{ .Cluster }}"
//	    text: "{{ .Message }}"
//	    fields:
//	      - title: Revision
//	        value: "{{ .Revision }}"
//	        short: true
type Spec struct {
	// Format picks the notifier's built-in layout used for whatever the
	// template leaves unset. The Slack notifier knows "flux" (the default,
	// Flux's attachment) and "blocks" (Block Kit); the neutral message of
	// other notifiers has no layouts.
	// +optional
	Format string `json:"format,omitempty"`

	// Title is the message title (a Slack attachment title or header, the
	// title of the neutral message of other notifiers).
	// +optional
	Title string `json:"title,omitempty"`

	// Text is the main message text.
	// +optional
	Text string `json:"text,omitempty"`

	// Fields replace the default one-field-per-metadata-key list.
	// +optional
	Fields []Field `json:"fields,omitempty"`

	// Blocks is a Slack Block Kit array (Slack-only), written as YAML or
	// JSON, or as a string holding the JSON array (a YAML block scalar).
	// Each string value in it is a template; object keys, numbers,
	// booleans and nulls are kept as written (in the order written, when
	// given as JSON), and the result is always valid JSON. null (an empty
	// "blocks:" in YAML) and "" mean no blocks.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	Blocks json.RawMessage `json:"blocks,omitempty"`

	// Color is the Slack attachment color ("good", "warning", "danger" or
	// "#rrggbb"); a template like the others. Slack-only.
	// +optional
	Color string `json:"color,omitempty"`

	// IconEmoji is the Slack sender's emoji, for example ":flux:".
	// Slack-only.
	// +optional
	IconEmoji string `json:"iconEmoji,omitempty"`

	// IconURL is the URL of the Slack sender's icon. Slack-only.
	// +optional
	IconURL string `json:"iconURL,omitempty"`
}

// Field is one titled value of a message, templated like the rest.
type Field struct {
	// Title is the field's label.
	Title string `json:"title"`
	// Value is the field's content.
	Value string `json:"value"`
	// Short lays the field out side by side with the next one.
	// +optional
	Short bool `json:"short,omitempty"`
}

// IsZero reports whether s sets nothing, in which case the notifier's default
// message is used.
func (s *Spec) IsZero() bool {
	return s == nil || (s.Format == "" && s.Title == "" && s.Text == "" && len(s.Fields) == 0 &&
		!hasBlocks(s.Blocks) && s.Color == "" && s.IconEmoji == "" && s.IconURL == "")
}

// hasBlocks reports whether raw, a Spec's Blocks, sets any: not empty, null
// or "".
func hasBlocks(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && string(raw) != "null" && string(raw) != `""`
}

// DeepCopyInto copies s into out, sharing no slice with s. It lets the
// Kubernetes objects that embed a Spec (Alert, Provider) be deep-copied.
func (s *Spec) DeepCopyInto(out *Spec) {
	*out = *s
	if s.Fields != nil {
		out.Fields = make([]Field, len(s.Fields))
		copy(out.Fields, s.Fields)
	}
	if s.Blocks != nil {
		out.Blocks = make(json.RawMessage, len(s.Blocks))
		copy(out.Blocks, s.Blocks)
	}
}

// DeepCopy returns a copy of s sharing no slice with it, or nil for nil.
func (s *Spec) DeepCopy() *Spec {
	if s == nil {
		return nil
	}
	out := new(Spec)
	s.DeepCopyInto(out)
	return out
}
