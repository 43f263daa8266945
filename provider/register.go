package provider

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fluxnotify/fluxnotify/alert"
)

// The markers below tell controller-gen (see generate.go) that the Provider
// CRD of this package belongs to alert.ExtendedGroup, version
// alert.ExtendedVersion.

// +groupName=fluxnotify.io
// +versionName=v1alpha1

// ExtendedGroupVersion is fluxnotify.io/v1alpha1, the group and version of
// fluxnotify's own Provider CRD (see alert.ExtendedGroup).
var ExtendedGroupVersion = alert.ExtendedGroupVersion

// AddExtendedToScheme registers Provider and ProviderList under
// ExtendedGroupVersion, for a controller that watches fluxnotify's own
// Providers rather than Flux's. Use it or AddToScheme, not both, in one
// scheme.
func AddExtendedToScheme(s *runtime.Scheme) error { return AddKnownTypes(s, ExtendedGroupVersion) }

// Version is the API version under which AddToScheme registers Provider:
// v1beta3, the only version Flux's current CRDs serve (v1beta1 was removed in
// Flux 2.7 and v1beta2 in 2.9; neither ever had a field v1beta3 lacks).
const Version = alert.Version

// GroupVersion is notification.toolkit.fluxcd.io/v1beta3.
var GroupVersion = schema.GroupVersion{Group: alert.Group, Version: Version}

// SchemeBuilder registers Provider and ProviderList under GroupVersion.
var SchemeBuilder = runtime.NewSchemeBuilder(func(s *runtime.Scheme) error {
	return AddKnownTypes(s, GroupVersion)
})

// AddToScheme registers Provider and ProviderList under GroupVersion, so
// that a controller-runtime client or informer can get, list and watch the
// Providers of a cluster that runs Flux (Flux's group; AddExtendedToScheme
// registers fluxnotify's):
//
//	scheme := runtime.NewScheme()
//	_ = provider.AddToScheme(scheme)
var AddToScheme = SchemeBuilder.AddToScheme

// AddKnownTypes registers Provider and ProviderList under gv, for a cluster
// that serves the notification API under another version than Version, or
// under ExtendedGroupVersion. Register one group and version per scheme: a
// typed client needs a single GroupVersionKind per Go type.
func AddKnownTypes(s *runtime.Scheme, gv schema.GroupVersion) error {
	s.AddKnownTypes(gv, &Provider{}, &ProviderList{})
	metav1.AddToGroupVersion(s, gv)
	return nil
}

// ProviderList is a list of Providers, as the API server returns it.
//
// +kubebuilder:object:root=true
type ProviderList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the Providers.
	Items []Provider `json:"items"`
}
