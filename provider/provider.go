package provider

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
