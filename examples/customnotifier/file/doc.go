// Package file is a small bespoke fluxnotify notifier that writes one line
// per notification to a file, or to standard output: a log of what was
// sent, a destination for CI jobs that test alerts, or the simplest
// example of a provider type.
//
// The provider's address is a file URL, a path, or "-" for standard
// output; the file is created if needed and appended to. spec.address must
// be a URL with a host (file://localhost/var/log/flux.log); a plain path or
// "-" can come from the Secret's "address" key. The line is the
// notification's neutral message (provider.Notification.Message):
//
//	<timestamp> <severity> <title>: <text> [<field>=<value> ...] [<url> ...]
//
// The title, text and fields are the template's when the alert or the
// provider has one (spec.template.title, text and fields, so the templates
// written for Slack work here too; its Slack-only parts are ignored), and
// otherwise, or for what the template leaves unset, the object as Flux's
// Slack author line writes it ("kustomization/my-app.flux-system"), the
// event's message and one field per key of the merged metadata, sorted by
// key. The URLs are the commit and dashboard links, when configured.
// Line breaks are written as "\n", so a line is always one notification.
//
//	apiVersion: fluxnotify.io/v1alpha1
//	kind: Provider
//	metadata:
//	  name: audit-log
//	  namespace: flux-system
//	spec:
//	  type: file
//	  address: file://localhost/var/log/flux-notifications.log
package file
