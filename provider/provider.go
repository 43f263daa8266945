package provider

import (
	"fmt"
	"net/url"
	"time"

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
type Provider struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is what the user wrote.
	Spec Spec `json:"spec"`
}

// Spec holds every field of Flux's ProviderSpec (v1beta1 to v1), plus
// Template.
type Spec struct {
	// Type is the provider type, for example "slack"; it selects the
	// notifier in a Registry.
	// +required
	Type string `json:"type"`

	// Interval is accepted for compatibility with v1beta2 manifests and
	// ignored.
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// Channel is the default channel for alerts that set none.
	// +optional
	Channel string `json:"channel,omitempty"`

	// Username is the sender's name; Slack uses the reporting controller
	// when unset.
	// +optional
	Username string `json:"username,omitempty"`

	// Address is the destination URL; a Secret's "address" (or "url") key
	// overrides it.
	// +optional
	Address string `json:"address,omitempty"`

	// Timeout bounds one delivery attempt; DefaultTimeout when unset.
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Proxy is the URL of an HTTP/S proxy; a Secret's "proxy" key overrides
	// it.
	// +optional
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

	// ServiceAccountName is accepted for compatibility with Flux (workload
	// identity) and not used by the built-in notifiers.
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

// Validate checks the provider's structure: metadata.name, spec.type,
// spec.timeout, the references it names and that spec.address and
// spec.proxy, when set, are absolute URLs. Every problem is returned, each
// with its field path; the error names the provider. URLs are redacted in
// messages (a webhook URL's path is its secret). Validate does not read
// Secrets and does not check that spec.type is registered: a Registry does
// that when it builds the notifier.
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
	errs = append(errs, validateURL(spec.Child("address"), p.Spec.Address)...)
	errs = append(errs, validateURL(spec.Child("proxy"), p.Spec.Proxy)...)
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

// validateURL checks that v, when set, is an absolute URL. The value shown
// in the error is redacted.
func validateURL(p *field.Path, v string) field.ErrorList {
	if v == "" {
		return nil
	}
	// Any scheme is accepted (a custom notifier may write to file:///...),
	// but http(s) URLs need a host.
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || ((u.Scheme == "http" || u.Scheme == "https") && u.Host == "") {
		return field.ErrorList{field.Invalid(p, RedactURL(v), "must be an absolute URL such as https://example.com/...")}
	}
	return nil
}
