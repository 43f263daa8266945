package template

import (
	"encoding/json"
	"errors"
)

// Template is a parsed Spec, safe for concurrent use. Parse it once, when
// configuration loads, and render it for every event.
type Template struct {
	spec *Spec
}

// Message is a rendered template: the strings of Spec with every template
// executed. Blocks is the rendered Block Kit array, valid JSON.
type Message struct {
	Format    string
	Title     string
	Text      string
	Color     string
	IconEmoji string
	IconURL   string
	Fields    []Field
	Blocks    json.RawMessage
}

// Parse parses every string of s. An error names the field at fault
// ("text", "fields[1].value", "blocks[0].text.text").
// TODO(issue 4): implement.
func Parse(s *Spec) (*Template, error) {
	return nil, errors.New("template: not implemented")
}

// Spec returns the spec t was parsed from.
func (t *Template) Spec() *Spec { return t.spec }

// Render executes t against d. esc, when not nil, escapes the output of
// every action that is not of type Safe (see EscapeSlack).
// TODO(issue 4): implement.
func (t *Template) Render(d *Data, esc Escaper) (*Message, error) {
	return nil, errors.New("template: not implemented")
}
