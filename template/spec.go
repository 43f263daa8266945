package template

import (
	"bytes"
	"encoding/json"
)

// Spec is a message template as users write it in YAML, under spec.template
// of a Provider (the default for every alert that uses the provider) or of an
// Alert (which replaces the provider's template as a whole).
//
// Every string is a Go text/template evaluated against Data. Blocks is a
// Slack Block Kit array written as YAML or JSON: each string inside it is a
// template, so values are templated, never raw JSON, and no message can break
// the payload. Which fields a notifier uses is up to the notifier; the Slack
// notifier uses all of them.
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
	// Flux's attachment) and "blocks" (Block Kit).
	// +optional
	Format string `json:"format,omitempty"`

	// Title is the message title (a Slack attachment title or header).
	// +optional
	Title string `json:"title,omitempty"`

	// Text is the main message text.
	// +optional
	Text string `json:"text,omitempty"`

	// Fields replace the default one-field-per-metadata-key list.
	// +optional
	Fields []Field `json:"fields,omitempty"`

	// Blocks is a Slack Block Kit array, written as YAML or JSON, or as a
	// string holding the JSON array (a YAML block scalar). Each string value
	// in it is a template; object keys, numbers, booleans and nulls are kept
	// as written (in the order written, when given as JSON), and the result
	// is always valid JSON. null (an empty "blocks:" in YAML) and "" mean
	// no blocks.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	Blocks json.RawMessage `json:"blocks,omitempty"`

	// Color is the attachment color ("good", "warning", "danger" or
	// "#rrggbb"); a template like the others.
	// +optional
	Color string `json:"color,omitempty"`

	// IconEmoji is the sender's emoji, for example ":flux:".
	// +optional
	IconEmoji string `json:"iconEmoji,omitempty"`

	// IconURL is the URL of the sender's icon.
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
