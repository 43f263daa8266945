// Package manifest loads Flux notification objects (Alerts, Providers and
// the Secrets they reference) from Kubernetes manifests: files, folders,
// and YAML or JSON streams such as the output of kustomize build, with
// [LoadFiles], [Load] and, for several sources at once, a [Loader]. Package
// fluxnotify's LoadFiles and Load call these, and fluxnotify.Config is an
// alias of this package's Config.
//
// # What is read
//
// A stream holds YAML documents separated by "---", one JSON value, a
// stream of JSON values, or Lists ("kind: List" with items, as kubectl get
// -o yaml prints them). Alerts and Providers of
// notification.toolkit.fluxcd.io v1beta3 load; so do v1beta1 and v1beta2,
// which repositories still hold although Flux no longer serves them (each
// gets a warning, ErrRemovedVersion, in Config.Warnings). v1, which Flux
// has for Receiver only, and the pre-2020 group notification.fluxcd.io are
// errors (ErrUnsupportedVersion). v1 Secrets load, their data decoded from
// base64.
//
// Alerts and Providers of fluxnotify.io/v1alpha1 (alert.ExtendedGroup,
// fluxnotify's own CRDs) load too, with the same fields. The fields only
// fluxnotify reads (spec.channel, spec.delivery and spec.reasons of an
// Alert, spec.template, a severity list or a level other than info and
// error, a glob in an event source, a Provider type of the user's own) load
// under either group; under Flux's, each gets a warning,
// ErrExtendedField, at its line and column: in a cluster Flux's API server
// would drop it or refuse the object.
//
// Everything else is left out and listed in Config.Skipped with the
// reason: objects of other kinds (Namespaces, Kustomizations, Receivers),
// documents that are not Kubernetes objects (a Taskfile, a Grafana
// dashboard, package.json, a list of JSON patches), a document that does
// not parse and contains "{{" (a Helm or Go template), the templates
// folder of a Helm chart, SOPS-encrypted objects (their values cannot be
// read; a SOPS-encrypted Provider still satisfies the Alerts that
// reference it), and files in folders that are not regular files (a named
// pipe would block the reader forever).
//
// # Decoding
//
// A stream is parsed once into go.yaml.in/yaml/v3 nodes (JSON into the
// same nodes, with its own positions; after a YAML syntax error the rest
// is parsed again document by document, so that one broken document
// never hides the others), and each object is decoded from its nodes in
// one pass, with Kubernetes' rules: field names from json tags,
// case-sensitive; json.Unmarshaler types (durations, times) read their
// value as JSON. YAML is read as YAML 1.2, as kustomize reads it, plus
// YAML 1.1's merge key: in "<<: *src" followed by "kind: HelmRelease" the
// key written in the mapping wins, and neither is a duplicate. The decoder
// follows aliases itself within a budget, so that a document whose aliases
// expand exponentially is refused (ErrTooLarge) rather than exhausting
// memory; a stream is at most MaxStreamSize bytes.
//
// # Problems
//
// Loading is strict where a mistake would be silent otherwise. Every
// problem is an *Error with the file, the document, the line and column of
// the field at fault, the object ("Alert flux-system/on-call") and the
// field path ("spec.eventSources[1].name"), and wraps one of the Err
// variables for errors.Is: a syntax error, an unknown field with a
// did-you-mean, a key written twice, a value of the wrong type, a
// validation problem (which also wraps the *field.Error), an unsupported
// version or unknown kind, a duplicate object, an Alert whose providerRef
// names no Provider of its namespace. One bad object never hides the
// others: Config holds every object that decoded, and a syntax error in
// one YAML document does not stop the documents after it. Messages never
// quote the value of a Secret.
//
// The YAML parser's own message is shown as it is for a syntax error; the
// Error's line is where the broken document starts (the parser reports no
// structured position, and its message may name the line before the one
// at fault).
//
// # Several sources
//
// A Loader reads several sources into one Config, so that references and
// duplicates are checked across all of them: AddPath for files and
// folders, AddReader for standard input, AddBytes for the output of an
// in-process kustomize build. Its Transform hook rewrites each stream
// before it is parsed, where Flux's postBuild substitution goes.
package manifest
