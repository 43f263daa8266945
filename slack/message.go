package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/template"
)

// The message formats. A template's spec.template.format picks one; the
// parts a template leaves unset come from it.
const (
	// FormatFlux is Flux's own Slack message: one attachment, colored
	// "danger" for errors and "good" otherwise, with the object as author,
	// the event's message as text and one field per metadata key (sorted by
	// key, where Flux's order is random). It is the default.
	FormatFlux = "flux"
	// FormatBlocks is a Block Kit message: a header, the message, the
	// metadata as fields, a context line (severity, reason, controller,
	// time, cluster) and buttons to the commit and the dashboard when their
	// links are known.
	FormatBlocks = "blocks"
)

// payload is the JSON body posted to a webhook or to chat.postMessage. It
// is encoded with our own top-level types because slack.WebhookMessage
// always sends replace_original and delete_original, and slack.Attachment
// sends "blocks":null; fields and blocks are slack-go's types.
type payload struct {
	Channel     string       `json:"channel,omitempty"`
	Username    string       `json:"username,omitempty"`
	IconEmoji   string       `json:"icon_emoji,omitempty"`
	IconURL     string       `json:"icon_url,omitempty"`
	Text        string       `json:"text,omitempty"`
	Blocks      any          `json:"blocks,omitempty"` // []slack.Block or json.RawMessage
	Attachments []attachment `json:"attachments,omitempty"`
}

// attachment is a Slack attachment (the "secondary content" of a message).
type attachment struct {
	Color      string                  `json:"color,omitempty"`
	Fallback   string                  `json:"fallback,omitempty"`
	AuthorName string                  `json:"author_name,omitempty"`
	Title      string                  `json:"title,omitempty"`
	Text       string                  `json:"text,omitempty"`
	MrkdwnIn   []string                `json:"mrkdwn_in,omitempty"`
	Fields     []slack.AttachmentField `json:"fields,omitempty"`
	Blocks     any                     `json:"blocks,omitempty"` // json.RawMessage or []slack.Block
}

var (
	mrkdwnText       = []string{"text"}
	mrkdwnTextFields = []string{"text", "fields"}
)

// parts are the pieces of a message, from a template or from the event.
// Every string is already escaped for Slack.
type parts struct {
	title     string // header (blocks) or attachment title (flux)
	titleSet  bool   // the template chose the title
	textSet   bool   // the template chose the text
	author    string // "kind/name.namespace"
	text      string
	color     string
	iconEmoji string
	iconURL   string
	fields    []template.Field
	custom    bool // fields come from a template
	blocks    json.RawMessage
	colorSet  bool // the template chose the color
}

// build makes the payload of n. Rendering a template stops once ctx is
// done.
func (nt *Notifier) build(ctx context.Context, n *provider.Notification) (*payload, error) {
	if n == nil || n.Data == nil {
		return nil, errors.New("notification without data")
	}
	d := n.Data
	format := nt.providerFormat
	var msg *template.Message
	if n.Template != nil {
		m, err := renderTemplate(ctx, n.Template, d)
		if err != nil {
			var fe *template.FieldError
			if errors.As(err, &fe) { // "spec.template.text: ..."
				return nil, fmt.Errorf("%s: spec.template.%w", templateOwner(n), err)
			}
			return nil, fmt.Errorf("%s: spec.template: %w", templateOwner(n), err)
		}
		msg = m
		format = m.Format
		if format == "" && n.Template.Spec() != nil {
			format = n.Template.Spec().Format
		}
	}
	if format == "" {
		format = nt.defaultFormat
	}
	if !validFormat(format) {
		return nil, fmt.Errorf("%s: spec.template.format: unknown format %q (want %q or %q)", templateOwner(n), format, FormatFlux, FormatBlocks)
	}

	p := defaultParts(d, msg)
	if nt.flavor == TypeRocket { // Flux's Rocket.Chat colors
		p.color = "#0076D7"
		if d.Severity == "error" {
			p.color = "#FF0000"
		}
	}
	if msg != nil {
		if err := p.apply(msg); err != nil {
			return nil, fmt.Errorf("%s: spec.template.%w", templateOwner(n), err)
		}
	}

	out := &payload{
		Channel:   d.Channel,
		Username:  nt.username,
		IconEmoji: cut(p.iconEmoji, maxHeader),
	}
	if out.Username == "" && nt.flavor != TypeRocket { // Flux's Rocket.Chat payload has no default
		out.Username = d.Controller
	}
	if nt.flavor == TypeDiscord { // Flux sends Discord no channel
		out.Channel = ""
	}
	out.Username = cut(out.Username, maxHeader)
	if linkable(p.iconURL) {
		out.IconURL = p.iconURL
	}

	switch {
	case len(p.blocks) > 0:
		blocksMessage(out, p, p.blocks)
	case format == FormatBlocks:
		blocksMessage(out, p, defaultBlocks(d, p))
	default:
		fluxMessage(out, p)
		if nt.flavor != Type {
			// Flux's Discord and Rocket.Chat attachments have no fallback.
			out.Attachments[0].Fallback = ""
		}
	}
	return out, nil
}

// renderTemplate renders t on d. When the output would exceed the
// template's bounds because the event is very long (a message of
// megabytes, thousands of metadata entries), it renders again on a
// shortened copy of d, so that a long event makes a cut message, not a lost
// one.
func renderTemplate(ctx context.Context, t *template.Template, d *template.Data) (*template.Message, error) {
	m, err := t.RenderContext(ctx, d, template.EscapeSlack)
	if err == nil || !(errors.Is(err, template.ErrTooLarge) || errors.Is(err, template.ErrTooManyIterations)) {
		return m, err
	}
	short, ok := shorten(d)
	if !ok {
		return nil, err // the template itself is too big
	}
	return t.RenderContext(ctx, short, template.EscapeSlack)
}

// Bounds of shorten: escaped, the message stays under template.MaxOutput.
const (
	shortMessage  = 10000
	shortMetadata = 100
)

// shorten returns a copy of d with the message cut to shortMessage
// characters, at most shortMetadata metadata entries (the first keys in
// order) and values cut to maxFieldText; it reports false when d was
// already that short.
func shorten(d *template.Data) (*template.Data, bool) {
	cp := *d
	changed := false
	if c := cut(d.Message, shortMessage); c != d.Message {
		cp.Message, changed = c, true
	}
	if d.Event != nil {
		e := *d.Event
		if c := cut(e.Message, shortMessage); c != e.Message {
			e.Message, changed = c, true
		}
		e.Metadata = nil // the merged metadata is in Metadata
		cp.Event = &e
	}
	if len(d.Metadata) > 0 {
		keys := slices.Sorted(maps.Keys(d.Metadata))
		if len(keys) > shortMetadata {
			keys, changed = keys[:shortMetadata], true
		}
		cp.Metadata = make(map[string]string, len(keys))
		for _, k := range keys {
			v := cut(d.Metadata[k], maxFieldText)
			changed = changed || v != d.Metadata[k]
			cp.Metadata[cut(k, maxHeader)] = v
		}
	}
	return &cp, changed
}

// templateOwner names the object whose spec.template is in use, and the
// other one of the pair: "alert flux-system/a (provider flux-system/slack)"
// or "provider flux-system/slack (alert flux-system/a)".
func templateOwner(n *provider.Notification) string {
	a, p := n.Alert, n.Provider
	var alertName, providerName string
	if a != nil {
		alertName = "alert " + a.Namespace + "/" + a.Name
	}
	if p != nil {
		providerName = "provider " + p.NamespacedName()
	}
	switch {
	case a != nil && !a.Spec.Template.IsZero() && p != nil:
		return alertName + " (" + providerName + ")"
	case a != nil && !a.Spec.Template.IsZero():
		return alertName
	case p != nil && a != nil:
		return providerName + " (" + alertName + ")"
	case p != nil:
		return providerName
	}
	return "template"
}

func validFormat(f string) bool { return f == FormatFlux || f == FormatBlocks }

// defaultParts are the parts of the default message of d, escaped. The
// text and fields that msg, a rendered template (or nil), replaces are
// left out: apply sets them.
func defaultParts(d *template.Data, msg *template.Message) parts {
	o := d.Object
	kind, name, ns := template.EscapeSlack(o.Kind), template.EscapeSlack(o.Name), template.EscapeSlack(o.Namespace)
	p := parts{
		author: strings.ToLower(kind) + "/" + name + "." + ns,
		color:  "good",
	}
	if msg == nil || msg.Text == "" {
		p.text = template.EscapeSlack(d.Message)
	}
	if msg == nil || len(msg.Fields) == 0 {
		p.fields = metadataFields(d.Metadata)
	}
	switch d.Severity {
	case "error":
		p.color = "danger"
	case "warn": // Flux never sends warn; custom operators may
		p.color = "warning"
	}
	if ns != "" {
		p.title = kind + " " + ns + "/" + name
	} else {
		p.title = kind + " " + name
	}
	return p
}

// apply overrides p with whatever m sets.
func (p *parts) apply(m *template.Message) error {
	if m.Title != "" {
		p.title, p.titleSet = m.Title, true
	}
	if m.Text != "" {
		p.text, p.textSet = m.Text, true
	}
	if m.Color != "" {
		p.color, p.colorSet = m.Color, true
	}
	// Icons are not mrkdwn: template.Render leaves them unescaped.
	p.iconEmoji, p.iconURL = m.IconEmoji, m.IconURL
	if len(m.Fields) > 0 {
		p.fields, p.custom = m.Fields, true
	}
	if b := bytes.TrimSpace(m.Blocks); len(b) > 0 && !bytes.Equal(b, []byte("null")) && !bytes.Equal(b, []byte("[]")) {
		limited, err := limitBlocks(b)
		if err != nil {
			return fmt.Errorf("blocks: %w", err)
		}
		p.blocks = limited
	}
	return nil
}

// summary is the plain-text summary Slack shows in notifications: the
// template's text alone when it sets one (it usually names the object),
// else "prefix: text", where a template's title replaces prefix.
func (p *parts) summary(prefix string) string {
	switch {
	case p.textSet:
		return cut(p.text, maxFallback)
	case p.titleSet:
		prefix = p.title
	}
	return cut(prefix+": "+p.text, maxFallback)
}

// fluxMessage lays p out as Flux does: one attachment.
func fluxMessage(out *payload, p parts) {
	a := attachment{
		Color:      cut(p.color, maxHeader),
		Fallback:   p.summary(p.author),
		AuthorName: cut(p.author, maxHeader),
		Text:       cut(p.text, maxText),
		MrkdwnIn:   mrkdwnText,
	}
	if p.titleSet { // Flux's attachment has no title
		a.Title = cut(p.title, maxFieldText)
	}
	if p.custom {
		a.MrkdwnIn = mrkdwnTextFields
	}
	a.Fields = attachmentFields(p)
	out.Attachments = []attachment{a}
}

// attachmentFields returns the fields of a flux message: the template's,
// else one per metadata key, sorted by key.
func attachmentFields(p parts) []slack.AttachmentField {
	n := len(p.fields)
	if n == 0 {
		return nil
	}
	out := make([]slack.AttachmentField, 0, min(n, maxAttachmentFields))
	total := 0
	for i, f := range p.fields {
		title, value := cut(f.Title, maxFieldText), cut(f.Value, maxFieldText)
		total += utf8.RuneCountInString(title) + utf8.RuneCountInString(value)
		if len(out) == maxAttachmentFields-1 && i < n-1 || total > maxFieldsText {
			out = append(out, slack.AttachmentField{Title: marker, Value: strconv.Itoa(n-i) + " more"})
			break
		}
		out = append(out, slack.AttachmentField{Title: title, Value: value, Short: f.Short})
	}
	return out
}

// metadataFields returns one field per metadata key, sorted by key, escaped.
func metadataFields(md map[string]string) []template.Field {
	if len(md) == 0 {
		return nil
	}
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]template.Field, len(keys))
	for i, k := range keys {
		out[i] = template.Field{Title: template.EscapeSlack(k), Value: template.EscapeSlack(md[k])}
	}
	return out
}

// blocksMessage lays p out as a Block Kit message with blocks. The text is
// the notification's summary; a color chosen by the template puts the
// blocks in an attachment, which shows it.
func blocksMessage(out *payload, p parts, blocks any) {
	summary := p.summary(p.title)
	if p.colorSet {
		out.Text = summary
		out.Attachments = []attachment{{Color: cut(p.color, maxHeader), Fallback: summary, Blocks: blocks}}
		return
	}
	out.Text = summary
	out.Blocks = blocks
}
