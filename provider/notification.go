package provider

import (
	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/template"
)

// Context is what a Notification knows beyond the event, the alert and the
// provider: settings of the whole deployment.
type Context struct {
	// Cluster is the cluster's name, shown by templates.
	Cluster string
	// RepositoryURL is the Git repository's web URL, for commit links.
	RepositoryURL string
	// DashboardURL is a dashboard URL pattern with "{kind}", "{name}" and
	// "{namespace}" placeholders.
	DashboardURL string
	// Flux selects flux mode: the metadata is cleaned and merged exactly as
	// Flux's notification-controller does (event.MergeMetadataFlux), and
	// the severity is shown as the event wrote it.
	Flux bool
}

// Channel returns the channel a notification goes to: the alert's
// spec.channel, else the provider's spec.channel, else "" (the webhook's
// default channel).
func Channel(a *alert.Alert, p *Provider) string {
	if a != nil && a.Spec.Channel != "" {
		return a.Spec.Channel
	}
	if p != nil {
		return p.Spec.Channel
	}
	return ""
}

// NewNotification prepares e for delivery through p because a matched:
// it resolves the channel, merges the metadata in Flux's order
// (event.MergeMetadata with the alert's eventMetadata and summary, or
// event.MergeMetadataFlux when c.Flux is set), and
// fills the template data. tmpl is the parsed template to use, or nil for
// the notifier's default message. e is not modified.
func NewNotification(e *event.Event, a *alert.Alert, p *Provider, tmpl *template.Template, c Context) *Notification {
	var eventMetadata map[string]string
	var summary string
	if a != nil {
		eventMetadata, summary = a.Spec.EventMetadata, a.Spec.Summary
	}
	obj := template.Object{
		APIVersion: e.InvolvedObject.APIVersion,
		Kind:       e.InvolvedObject.Kind,
		Name:       e.InvolvedObject.Name,
		Namespace:  e.InvolvedObject.Namespace,
	}
	revision, _ := event.Revision(e)
	severity := e.Severity
	var metadata map[string]string
	if c.Flux {
		metadata = event.MergeMetadataFlux(e, eventMetadata, summary)
	} else {
		if s, err := event.ParseSeverity(severity); err == nil {
			severity = s.String()
		}
		metadata = event.MergeMetadata(e, eventMetadata, summary)
	}
	d := &template.Data{
		Event:      e,
		Object:     obj,
		Severity:   severity,
		Message:    e.Message,
		Reason:     e.Reason,
		Action:     e.Action,
		Controller: e.ReportingController,
		Timestamp:  e.Timestamp.Time,
		Metadata:   metadata,
		Revision:   revision,
		Channel:    Channel(a, p),
		Cluster:    c.Cluster,
		Links:      template.NewLinks(c.RepositoryURL, c.DashboardURL, obj, revision),
	}
	if a != nil {
		d.Alert = template.Ref{Name: a.Name, Namespace: a.Namespace}
	}
	if p != nil {
		d.Provider = template.ProviderRef{Name: p.Name, Namespace: p.Namespace, Type: p.Spec.Type}
	}
	return &Notification{Alert: a, Provider: p, Template: tmpl, Data: d}
}
