// Package fluxschema restates, as Go types with kubebuilder markers, the
// schema that Flux's notification-controller v1.9 gives Alert and Provider
// under notification.toolkit.fluxcd.io/v1beta3: the fields, and the
// validation markers of each. The tests of the operator generate a CRD from
// it with controller-gen and show what Flux's API server does to
// fluxnotify's additions (it prunes spec.channel and spec.template, and
// refuses a severity list or "warn").
//
// Nothing imports it: it exists for controller-gen. It restates facts read
// from Flux's api/v1beta3 package (field names, JSON names, enums, lengths
// and patterns) and copies none of its code or documentation.
//
// +groupName=notification.toolkit.fluxcd.io
// +versionName=v1beta3
package fluxschema
