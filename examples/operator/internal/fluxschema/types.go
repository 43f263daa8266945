package fluxschema

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LocalObjectReference names an object in the same namespace, as Flux's
// meta.LocalObjectReference.
type LocalObjectReference struct {
	// Name of the object.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`
}

// CrossNamespaceObjectReference is an event source, as Flux's v1 type of
// that name.
type CrossNamespaceObjectReference struct {
	// APIVersion of the object.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the object: one of Flux's kinds.
	// +kubebuilder:validation:Enum=Bucket;GitRepository;Kustomization;HelmRelease;HelmChart;HelmRepository;ImageRepository;ImagePolicy;ImageUpdateAutomation;OCIRepository;ArtifactGenerator;ExternalArtifact
	// +required
	Kind string `json:"kind"`

	// Name of the object, or "*".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Namespace of the object.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// MatchLabels the object must carry.
	// +optional
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}

// AlertSpec is the spec of Flux's v1beta3 Alert.
type AlertSpec struct {
	// ProviderRef names the Provider.
	// +required
	ProviderRef LocalObjectReference `json:"providerRef"`

	// EventSeverity is one level, info or error.
	// +kubebuilder:validation:Enum=info;error
	// +kubebuilder:default:=info
	// +optional
	EventSeverity string `json:"eventSeverity,omitempty"`

	// EventSources are the objects whose events the Alert takes.
	// +required
	EventSources []CrossNamespaceObjectReference `json:"eventSources"`

	// InclusionList holds regular expressions an event's message must match.
	// +optional
	InclusionList []string `json:"inclusionList,omitempty"`

	// EventMetadata is added to every event.
	// +optional
	EventMetadata map[string]string `json:"eventMetadata,omitempty"`

	// ExclusionList holds regular expressions that drop an event.
	// +optional
	ExclusionList []string `json:"exclusionList,omitempty"`

	// Summary is a short description.
	// +kubebuilder:validation:MaxLength:=255
	// +optional
	Summary string `json:"summary,omitempty"`

	// Suspend stops the Alert.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// Alert is Flux's v1beta3 Alert.
//
// +kubebuilder:object:root=true
type Alert struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec of the Alert.
	Spec AlertSpec `json:"spec,omitempty"`
}

// ProviderSpec is the spec of Flux's v1beta3 Provider.
//
// +kubebuilder:validation:XValidation:rule="self.type == 'github' || self.type == 'gitlab' || self.type == 'gitea' || self.type == 'bitbucketserver' || self.type == 'bitbucket' || self.type == 'azuredevops' || !has(self.commitStatusExpr)", message="spec.commitStatusExpr needs a Git provider type"
type ProviderSpec struct {
	// Type is one of Flux's provider types.
	// +kubebuilder:validation:Enum=slack;discord;msteams;rocket;generic;generic-hmac;github;gitlab;gitea;giteapullrequestcomment;bitbucketserver;bitbucket;azuredevops;googlechat;googlepubsub;webex;sentry;azureeventhub;telegram;lark;matrix;opsgenie;alertmanager;grafana;githubdispatch;githubpullrequestcomment;gitlabmergerequestcomment;pagerduty;datadog;nats;zulip;otel;zoom;incident.io
	// +required
	Type string `json:"type"`

	// Interval is ignored.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// Channel is the default channel.
	// +kubebuilder:validation:MaxLength:=2048
	// +optional
	Channel string `json:"channel,omitempty"`

	// Username is the sender's name.
	// +kubebuilder:validation:MaxLength:=2048
	// +optional
	Username string `json:"username,omitempty"`

	// Address is where notifications go.
	// +kubebuilder:validation:MaxLength:=2048
	// +optional
	Address string `json:"address,omitempty"`

	// Timeout bounds one delivery.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Proxy is an HTTP/S proxy URL.
	// +kubebuilder:validation:Pattern="^(http|https)://.*$"
	// +kubebuilder:validation:MaxLength:=2048
	// +optional
	Proxy string `json:"proxy,omitempty"`

	// ProxySecretRef names the proxy's Secret.
	// +optional
	ProxySecretRef *LocalObjectReference `json:"proxySecretRef,omitempty"`

	// SecretRef names the Secret of the address and token.
	// +optional
	SecretRef *LocalObjectReference `json:"secretRef,omitempty"`

	// ServiceAccountName is the workload identity.
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// CertSecretRef names the Secret of the CA certificates.
	// +optional
	CertSecretRef *LocalObjectReference `json:"certSecretRef,omitempty"`

	// Suspend stops the Provider.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// CommitStatusExpr is a CEL expression for commit statuses.
	// +optional
	CommitStatusExpr string `json:"commitStatusExpr,omitempty"`
}

// Provider is Flux's v1beta3 Provider.
//
// +kubebuilder:object:root=true
type Provider struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec of the Provider.
	Spec ProviderSpec `json:"spec,omitempty"`
}
