package alert

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The markers below tell controller-gen (see generate.go) that the Alert CRD
// of this package belongs to ExtendedGroup, version ExtendedVersion.

// +groupName=fluxnotify.io
// +versionName=v1alpha1

// ExtendedGroup is the API group of fluxnotify's own Alert and Provider: the
// group of the CRDs in config/crd, whose schema keeps the fields Flux's
// schema lacks or refuses (spec.channel, spec.template, severity lists,
// "warn", globs). Flux's own group is Group.
const ExtendedGroup = "fluxnotify.io"

// ExtendedVersion is the API version of ExtendedGroup: v1alpha1, because
// the extended fields may still change.
const ExtendedVersion = "v1alpha1"

// ExtendedGroupVersion is fluxnotify.io/v1alpha1.
var ExtendedGroupVersion = schema.GroupVersion{Group: ExtendedGroup, Version: ExtendedVersion}

// AddExtendedToScheme registers Alert and AlertList under
// ExtendedGroupVersion, for a controller that watches fluxnotify's own
// Alerts (the CRDs in config/crd) rather than Flux's. Use it or
// AddToScheme, not both, in one scheme.
func AddExtendedToScheme(s *runtime.Scheme) error { return AddKnownTypes(s, ExtendedGroupVersion) }

// Version is the API version under which AddToScheme registers Alert:
// v1beta3, the only version Flux's current CRDs serve (v1beta1 was removed in
// Flux 2.7 and v1beta2 in 2.9; neither ever had a field v1beta3 lacks).
const Version = "v1beta3"

// GroupVersion is notification.toolkit.fluxcd.io/v1beta3.
var GroupVersion = schema.GroupVersion{Group: Group, Version: Version}

// SchemeBuilder registers Alert and AlertList under GroupVersion.
var SchemeBuilder = runtime.NewSchemeBuilder(func(s *runtime.Scheme) error {
	return AddKnownTypes(s, GroupVersion)
})

// AddToScheme registers Alert and AlertList under GroupVersion, so that a
// controller-runtime client or informer can get, list and watch the Alerts
// of a cluster that runs Flux (Flux's group; AddExtendedToScheme registers
// fluxnotify's):
//
//	scheme := runtime.NewScheme()
//	_ = alert.AddToScheme(scheme)
var AddToScheme = SchemeBuilder.AddToScheme

// AddKnownTypes registers Alert and AlertList under gv, for a cluster that
// serves the notification API under another version than Version, or
// under ExtendedGroupVersion. Register one group and version per scheme: a
// typed client needs a single GroupVersionKind per Go type.
func AddKnownTypes(s *runtime.Scheme, gv schema.GroupVersion) error {
	s.AddKnownTypes(gv, &Alert{}, &AlertList{})
	metav1.AddToGroupVersion(s, gv)
	return nil
}

// AlertList is a list of Alerts, as the API server returns it.
//
// +kubebuilder:object:root=true
type AlertList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the Alerts.
	Items []Alert `json:"items"`
}
