package template

import (
	"time"

	"github.com/fluxnotify/fluxnotify/event"
)

// Data is what a template sees: the event and everything fluxnotify knows
// about where it is going. Templates use the fields directly
// ({{ .Object.Name }}, {{ .Metadata.revision }}, {{ .Links.Commit }}).
type Data struct {
	// Event is the event as received. Its metadata is the raw, prefixed one;
	// prefer Metadata.
	Event *event.Event

	// Object is the involved object.
	Object Object

	// Severity is the canonical level: trace, info, warn or error.
	Severity string
	// Message is the event's message.
	Message string
	// Reason is the event's reason, for example "HealthCheckFailed".
	Reason string
	// Action is the event's action (v1 events only).
	Action string
	// Controller is the reporting controller, for example
	// "kustomize-controller".
	Controller string
	// Timestamp is when the event was recorded.
	Timestamp time.Time

	// Metadata is the merged metadata (see event.MergeMetadata). Ranging
	// over it visits keys in sorted order, so output is deterministic.
	Metadata map[string]string
	// Revision is the source revision, for example "main@sha1:2f3c...".
	Revision string

	// Alert is the alert that matched.
	Alert Ref
	// Provider is the provider that delivers.
	Provider ProviderRef
	// Channel is the resolved channel (alert > provider > "", the webhook's
	// default).
	Channel string

	// Cluster is the cluster name the user configured, if any.
	Cluster string
	// Links are URLs built from the configured repository and dashboard.
	Links Links
}

// Object identifies the involved object.
type Object struct {
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
}

// Ref names a namespaced object.
type Ref struct {
	Name      string
	Namespace string
}

// ProviderRef names the provider and its type.
type ProviderRef struct {
	Name      string
	Namespace string
	Type      string
}

// Links are URLs a message can point to; each is empty when unknown.
type Links struct {
	// Repository is the Git repository's web URL, as configured.
	Repository string
	// Commit is the URL of the event's revision in Repository.
	Commit string
	// Dashboard is the URL of the object in a dashboard, as configured.
	Dashboard string
}
