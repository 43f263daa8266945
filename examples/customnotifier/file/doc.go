// Package file is a small bespoke fluxnotify notifier that writes one line
// per notification to a file, or to standard output: a log of what was
// sent, a destination for CI jobs that test alerts, or the simplest
// example of a provider type.
//
// The provider's address is a file URL, a path, or "-" for standard
// output; the file is created if needed and appended to. spec.address must
// be a URL with a host (file://localhost/var/log/flux.log); a plain path or
// "-" can come from the Secret's "address" key. The line is the rendered
// template's text when the alert or the provider has a template
// (spec.template.text, or title), so the templates written for Slack work
// here too; otherwise it is
//
//	<timestamp> <severity> <kind>/<namespace>/<name> <reason>: <message> [key=value ...]
//
// with the merged metadata sorted by key. Line breaks in a message are
// written as "\n", so a line is always one notification.
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
