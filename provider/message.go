package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/fluxnotify/fluxnotify/template"
)

// Message is the neutral form of a notification, for notifiers of types
// other than Slack (Teams, Discord, a log file): a title, a text, titled
// fields and links, all plain text, with no markup escaped. Slack-only
// parts of a template (blocks, color, icons) are not in it: they belong to
// the Slack notifier. Build it with Notification.Message.
type Message struct {
	// Title names what the event is about: the template's title, else the
	// involved object as Flux's Slack author line writes it,
	// "kustomization/my-app.flux-system" (kind in lower case).
	Title string
	// Text is the main text: the template's text, else the event's message.
	Text string
	// Fields are titled values: the template's fields, else one per key of
	// the merged metadata, sorted by key. Nil when there are none.
	Fields []MessageField
	// Links are the URLs known for the event, commit first then dashboard;
	// nil when none is configured.
	Links []Link
}

// MessageField is one titled value of a Message.
type MessageField struct {
	// Title is the field's label, for example "revision".
	Title string
	// Value is the field's content.
	Value string
	// Short is a layout hint: the field may sit side by side with the next.
	Short bool
}

// Link is a URL a Message points to, with the text to show for it.
type Link struct {
	// Text is what to show: the short revision for a commit ("main@2f3c4d5"),
	// "Dashboard" for the dashboard.
	Text string
	// URL is the address.
	URL string
}

// Message returns the neutral message of n, for notifiers that do not
// speak Slack. When n has a template (the alert's, else the provider's),
// its title, text and fields are rendered under ctx, as plain text and
// within the template's work budget (see template.Template.RenderContext),
// and each part the template leaves empty takes its default: the object as
// title, the event's message as text, the merged metadata as fields. The
// template's Slack-only parts (blocks, color, icons) are ignored. Links
// come from n.Data.Links (commit, then dashboard).
//
// Errors name the template field that failed and wrap its cause, for
// example a *template.FieldError wrapping template.ErrWorkBudget or ctx's
// error.
func (n *Notification) Message(ctx context.Context) (*Message, error) {
	if n == nil || n.Data == nil {
		return nil, errors.New("provider: notification without data")
	}
	d := n.Data
	m := &Message{}
	if n.Template != nil {
		r, err := n.Template.RenderContext(ctx, d, nil)
		if err != nil {
			return nil, fmt.Errorf("rendering the template: %w", err)
		}
		m.Title, m.Text = r.Title, r.Text
		for _, f := range r.Fields {
			m.Fields = append(m.Fields, MessageField{Title: f.Title, Value: f.Value, Short: f.Short})
		}
	}
	if m.Title == "" {
		m.Title = objectTitle(d.Object)
	}
	if m.Text == "" {
		m.Text = d.Message
	}
	if len(m.Fields) == 0 {
		m.Fields = metadataFields(d.Metadata)
	}
	if u := d.Links.Commit; u != "" {
		text := template.ShortRevision(d.Revision)
		if text == "" {
			text = "Commit"
		}
		m.Links = append(m.Links, Link{Text: text, URL: u})
	}
	if u := d.Links.Dashboard; u != "" {
		m.Links = append(m.Links, Link{Text: "Dashboard", URL: u})
	}
	return m, nil
}

// objectTitle is Flux's Slack author line: "kind/name.namespace", the kind
// in lower case; without a namespace, "kind/name".
func objectTitle(o template.Object) string {
	s := strings.ToLower(o.Kind) + "/" + o.Name
	if o.Namespace != "" {
		s += "." + o.Namespace
	}
	return s
}

// metadataFields returns one short field per metadata key, sorted by key,
// or nil for no metadata.
func metadataFields(md map[string]string) []MessageField {
	if len(md) == 0 {
		return nil
	}
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]MessageField, 0, len(keys))
	for _, k := range keys {
		out = append(out, MessageField{Title: k, Value: md[k], Short: true})
	}
	return out
}
