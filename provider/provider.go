package provider

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fluxnotify/fluxnotify/internal/fielderr"

	"github.com/fluxnotify/fluxnotify/template"
)

// Kind is the Kubernetes kind of a Provider.
const Kind = "Provider"

// DefaultTimeout bounds one delivery attempt when spec.timeout is unset, as
// in Flux.
const DefaultTimeout = 15 * time.Second

// Provider says how to reach a destination: Flux's
// notification.toolkit.fluxcd.io Provider, plus a message template.
//
// The same type serves two API groups: Flux's notification.toolkit.fluxcd.io
// (alert.Group), whose schema prunes spec.template, and fluxnotify.io
// (alert.ExtendedGroup), whose schema keeps it.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=fluxnotify
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=".spec.type"
// +kubebuilder:printcolumn:name="Suspended",type=boolean,JSONPath=".spec.suspend"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type Provider struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is what the user wrote.
	Spec Spec `json:"spec"`
}

// Spec holds every field of Flux's ProviderSpec (v1beta1 to v1beta3), plus
// Template.
//
// +kubebuilder:object:generate=true
type Spec struct {
	// Type is the provider type, for example "slack": one of Flux's (see
	// FluxTypes) or a type registered by the user; it selects the notifier
	// in a Registry.
	// +required
	// +kubebuilder:validation:MinLength=1
	Type string `json:"type"`

	// Interval is accepted for compatibility with v1beta2 manifests and
	// ignored.
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// Channel is the default channel for alerts that set none.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Channel string `json:"channel,omitempty"`

	// Username is the sender's name; Slack uses the reporting controller
	// when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Username string `json:"username,omitempty"`

	// Address is where notifications go; what it holds depends on the type:
	// a webhook URL (slack, discord, msteams, generic, ...), a Git
	// repository URL (github, gitlab, ...), a project ID (googlepubsub), a
	// server (nats). A Secret's "address" (or "url") key overrides it.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Address string `json:"address,omitempty"`

	// Timeout bounds one delivery attempt; DefaultTimeout when unset.
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Proxy is the URL of an HTTP/S proxy; a Secret's "proxy" key overrides
	// it.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern="^(http|https)://.*$"
	Proxy string `json:"proxy,omitempty"`

	// ProxySecretRef names a Secret with the proxy's "address" and, if
	// needed, "username" and "password" (Flux v2.6+).
	// +optional
	ProxySecretRef *corev1.LocalObjectReference `json:"proxySecretRef,omitempty"`

	// SecretRef names a Secret, in the provider's namespace, with the
	// address, token, headers, proxy, username or password.
	// +optional
	SecretRef *corev1.LocalObjectReference `json:"secretRef,omitempty"`

	// CertSecretRef names a Secret whose "ca.crt" (or "caFile") key holds
	// the PEM certificate authorities to trust.
	// +optional
	CertSecretRef *corev1.LocalObjectReference `json:"certSecretRef,omitempty"`

	// ServiceAccountName is Flux's object-level workload identity (for
	// azureeventhub, azuredevops and googlepubsub). As in Flux, where the
	// feature is off by default, a Dispatcher refuses to deliver through a
	// provider that sets it, unless created with
	// fluxnotify.WithObjectLevelWorkloadIdentity.
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// CommitStatusExpr is accepted for compatibility with Flux's Git
	// providers and not used by the built-in notifiers.
	// +optional
	CommitStatusExpr string `json:"commitStatusExpr,omitempty"`

	// Suspend stops the provider from delivering anything.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// Template is the message template for every alert that uses this
	// provider; an alert's own template replaces it. Not a Flux field.
	// +optional
	Template *template.Spec `json:"template,omitempty"`
}

// NamespacedName returns "namespace/name", the way errors and results name a
// provider.
func (p *Provider) NamespacedName() string { return p.Namespace + "/" + p.Name }

// GetTimeout returns spec.timeout, or DefaultTimeout when it is unset or not
// positive.
func (p *Provider) GetTimeout() time.Duration {
	if p.Spec.Timeout != nil && p.Spec.Timeout.Duration > 0 {
		return p.Spec.Timeout.Duration
	}
	return DefaultTimeout
}

// MaxLength is the longest spec.address, spec.channel, spec.username and
// spec.proxy that Flux's API server accepts, in characters.
const MaxLength = 2048

// Validate checks the provider as Flux's API server checks a v1beta3
// Provider, and no more: metadata.name and spec.type are required;
// spec.address, spec.channel, spec.username and spec.proxy are at most
// MaxLength characters; spec.proxy starts with http:// or https://;
// spec.timeout and spec.interval are not negative; spec.commitStatusExpr is
// set only for the Git commit-status types (see IsCommitStatusType); the
// Secret references name a Secret.
//
// spec.address is not checked further: what it holds depends on the type
// (a webhook URL for slack, a project ID for googlepubsub, a server for
// nats, ...) and a Secret may replace it; each notifier checks the address
// it is given when it delivers. A value holding a Flux variable that was
// not substituted, such as https://synapse.${SECRET_DOMAIN}, is never an
// error: kustomize-controller replaces it before the API server sees it.
//
// Every problem is returned, each with its field path; the error names the
// provider. URLs are redacted in messages (a webhook URL's path is its
// secret). Validate does not read Secrets and does not check that
// spec.type is known: a Registry does that (see Registry.CheckType).
func (p *Provider) Validate() error {
	errs := p.validate()
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("provider %s: %w", p.NamespacedName(), fielderr.List(errs))
}

// FieldErrors returns the same problems as Validate, as a field.ErrorList.
func (p *Provider) FieldErrors() field.ErrorList { return p.validate() }

func (p *Provider) validate() field.ErrorList {
	var errs field.ErrorList
	if p.Name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), ""))
	}
	spec := field.NewPath("spec")
	if p.Spec.Type == "" {
		errs = append(errs, field.Required(spec.Child("type"), `for example "slack"`))
	}
	if t := p.Spec.Timeout; t != nil && t.Duration < 0 {
		errs = append(errs, field.Invalid(spec.Child("timeout"), t.Duration.String(), "must not be negative"))
	}
	if t := p.Spec.Interval; t != nil && t.Duration < 0 {
		errs = append(errs, field.Invalid(spec.Child("interval"), t.Duration.String(), "must not be negative"))
	}
	for _, f := range []struct{ name, value string }{
		{"address", p.Spec.Address},
		{"channel", p.Spec.Channel},
		{"username", p.Spec.Username},
		{"proxy", p.Spec.Proxy},
	} {
		if n := utf8.RuneCountInString(f.value); n > MaxLength && !unsubstituted(f.value) {
			// Flux's schema counts characters; field.TooLong would say bytes.
			errs = append(errs, &field.Error{Type: field.ErrorTypeTooLong, Field: spec.Child(f.name).String(),
				Detail: fmt.Sprintf("%d characters, may not be more than %d", n, MaxLength)})
		}
	}
	if v := p.Spec.Proxy; v != "" && !unsubstituted(v) && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
		errs = append(errs, field.Invalid(spec.Child("proxy"), RedactURL(v), "must start with http:// or https://"))
	}
	if p.Spec.CommitStatusExpr != "" && !IsCommitStatusType(p.Spec.Type) {
		errs = append(errs, field.Forbidden(spec.Child("commitStatusExpr"),
			"only supported for the 'github', 'gitlab', 'gitea', 'bitbucketserver', 'bitbucket' and 'azuredevops' provider types"))
	}
	for _, ref := range []struct {
		name string
		ref  *corev1.LocalObjectReference
	}{
		{"secretRef", p.Spec.SecretRef},
		{"certSecretRef", p.Spec.CertSecretRef},
		{"proxySecretRef", p.Spec.ProxySecretRef},
	} {
		if ref.ref != nil && ref.ref.Name == "" {
			errs = append(errs, field.Required(spec.Child(ref.name, "name"), "name the Secret, or remove the reference"))
		}
	}
	return errs
}

// unsubstituted reports whether v holds a Flux post-build variable
// ("${NAME}" or "${NAME:=default}") that was not replaced: in a cluster,
// kustomize-controller replaces it before the API server checks the value,
// so it cannot be judged here.
func unsubstituted(v string) bool {
	i := strings.Index(v, "${")
	return i >= 0 && strings.IndexByte(v[i:], '}') > 0
}
