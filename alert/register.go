package alert

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

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
// of a cluster that runs Flux:
//
//	scheme := runtime.NewScheme()
//	_ = alert.AddToScheme(scheme)
var AddToScheme = SchemeBuilder.AddToScheme

// AddKnownTypes registers Alert and AlertList under gv, for a cluster that
// serves the notification API under another version than Version. Register
// one version per scheme: a typed client needs a single version per Go type.
func AddKnownTypes(s *runtime.Scheme, gv schema.GroupVersion) error {
	s.AddKnownTypes(gv, &Alert{}, &AlertList{})
	metav1.AddToGroupVersion(s, gv)
	return nil
}

// AlertList is a list of Alerts, as the API server returns it.
type AlertList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the Alerts.
	Items []Alert `json:"items"`
}
