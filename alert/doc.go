// Package alert models Flux's Alert: which events to send, and through
// which provider.
//
// [Alert] has Flux's shape (metav1.TypeMeta, metav1.ObjectMeta and a [Spec]
// with the fields of every notification.toolkit.fluxcd.io version from
// v1beta1 to v1beta3), so manifests written for Flux load unchanged and code
// written against Flux's types reads the same:
//
//	a.Spec.ProviderRef.Name
//	a.Spec.EventSources[i].Kind, .Name, .Namespace, .MatchLabels
//	a.Spec.InclusionList, a.Spec.ExclusionList, a.Spec.EventMetadata
//
// fluxnotify adds Spec.Channel (send this alert's events to another channel
// than the provider's), Spec.Template (this alert's own message),
// Spec.Delivery (a Slack thread per object, only changes of state, groups
// during outages: see [Delivery]) and Spec.Reasons (include or exclude
// events by reason: see [Reasons]); the last two in extended mode only.
//
// # API groups
//
// The same Alert serves two API groups. Flux's, notification.toolkit.fluxcd.io
// ([Group], [GroupVersion], [AddToScheme]), is the one Flux's CRDs define:
// their schema drops Channel, Template, Delivery and Reasons and refuses a
// severity list or a level other than info and error. fluxnotify's own, fluxnotify.io/v1alpha1
// ([ExtendedGroup], [ExtendedGroupVersion], [AddExtendedToScheme]), has
// CRDs of its own (config/crd at the root of the repository) that keep
// every field. controller-gen generates them, and this package's deep
// copy, from the kubebuilder markers on the types: run `go generate ./...`
// at the root after changing a type.
//
// # Severity
//
// spec.eventSeverity is an [EventSeverity]: a single level is a threshold
// ("info" takes info, warn and error), a list takes exactly the listed
// levels (["error", "warn"]). Both forms decode from YAML and JSON and
// encode back the way they were written. [Threshold] and [Exactly] build
// them in Go.
//
// # Validation
//
// [Alert.Validate] checks what does not depend on the matching mode: the
// name, spec.providerRef, every severity, every event source's kind and
// name, and that the inclusion and exclusion expressions compile. It
// returns every problem at once, each with its field path
// (spec.eventSources[1].name), and [Alert.FieldErrors] returns them as a
// field.ErrorList for tools. Glob syntax and cross-namespace rules are
// checked by package match, which knows the mode.
//
// [Alert.Lint] checks what depends on the mode. In flux mode it refuses
// what Flux's API server refuses (the markers of Flux's Alert CRD):
// eventSeverity other than exactly info or error, a summary over 255
// characters, a source kind outside [FluxKinds] ("kustomization": did you
// mean Kustomization?), a source name or namespace over 253 characters. In
// extended mode, where a kind may be any operator's, a kind that differs
// from a Flux kind only in case is a warning. Package match applies the
// flux-mode errors when it compiles alerts; loading reports the warnings.
package alert
