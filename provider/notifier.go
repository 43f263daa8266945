package provider

import (
	"context"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/template"
)

// Notification is one event on its way to one provider because one alert
// matched it. The Slack notifier renders Template itself; a notifier of
// another type builds its payload from the neutral Message.
type Notification struct {
	// Alert is the alert that matched.
	Alert *alert.Alert
	// Provider is the alert's provider.
	Provider *Provider
	// Template is the parsed message template: the alert's, else the
	// provider's; nil means the notifier's default message.
	Template *template.Template
	// Data is what templates see; Data.Event is the event and Data.Channel
	// the resolved channel.
	Data *template.Data
}

// Notifier delivers notifications to one destination. Notify makes exactly
// one attempt: retries belong to the caller (see Deliver), so every notifier
// gets the same retry behaviour. Errors should be classified with *Error so
// Deliver knows which ones are worth retrying, and must never contain a
// secret (webhook URL, token, header value). Notify must return promptly
// once ctx ends: shutdown waits for it. An HTTP notifier leaves the POST,
// the bounded read of the answer, its classification and the redaction to
// PostJSON, and keeps only what is its own: the payload and its headers.
//
// A notifier may also have these methods, which the library calls when
// present:
//
//   - Render(n *Notification) ([]byte, error), the Renderer interface: the
//     exact body Notify would send, built without network, for dry runs
//     (fluxnotify's Router.Route shows it as the route's Payload);
//   - CloseIdleConnections(): release the idle connections the notifier
//     keeps, called when the notifier is no longer used (its provider
//     changed or went away, its credentials rotated, or the Dispatcher
//     shut down); *http.Client has it, so a notifier forwards it to its
//     client.
type Notifier interface {
	Notify(ctx context.Context, n *Notification) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, n *Notification) error

// Notify calls f(ctx, n).
func (f NotifierFunc) Notify(ctx context.Context, n *Notification) error { return f(ctx, n) }

// Renderer is implemented by notifiers that can show, without any network,
// the exact body they would send. Dry runs use it.
type Renderer interface {
	Render(n *Notification) ([]byte, error)
}
