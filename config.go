package fluxnotify

import (
	"errors"
	"io"

	"github.com/fluxnotify/fluxnotify/manifest"
)

// Config is a set of Alert, Provider and Secret objects, as loaded from
// manifests (LoadFiles, Load, manifest.Loader) or handed in by a
// controller. It is defined in package manifest, which loads it; see
// manifest.Config for its fields (Alerts, Providers, Secrets, Skipped,
// Warnings) and methods.
type Config = manifest.Config

// Skipped is one document or file that loading left out on purpose (an
// object of another kind, a document that is not a Kubernetes object, a
// SOPS-encrypted Secret, a file that is not a regular file); see
// manifest.Skipped.
type Skipped = manifest.Skipped

// LoadError is one problem found while loading manifests, with its file,
// document, line, column, object and field; see manifest.Error.
type LoadError = manifest.Error

// Errors that a *LoadError wraps, for errors.Is; package manifest
// documents them all (ErrSyntax, ErrDuplicateKey, ErrInvalidValue,
// ErrInvalid, ErrUnsupportedVersion, ...).
var (
	// ErrUnknownField marks a field that an Alert or Provider does not have,
	// typically a typo such as spec.eventSeverty.
	ErrUnknownField = manifest.ErrUnknownField
	// ErrDuplicateObject marks a second object of the same kind, namespace
	// and name. The first one is kept.
	ErrDuplicateObject = manifest.ErrDuplicateObject
	// ErrProviderNotFound marks an Alert whose spec.providerRef names no
	// Provider in the alert's namespace.
	ErrProviderNotFound = manifest.ErrProviderNotFound
)

// LoadErrors returns every *LoadError in err, the error of LoadFiles or
// Load, in the order of the files and lines they concern. It returns nil
// when err holds none.
func LoadErrors(err error) []*LoadError { return manifest.Errors(err) }

// LoadFiles loads every manifest in paths: files, and folders read
// recursively for .yaml, .yml and .json files (see manifest.Loader.AddPath
// for the exact rules). A file may hold several YAML documents, one JSON
// value, a stream of JSON values, or a List (as kubectl get -o yaml prints
// it).
//
// Alerts and Providers of notification.toolkit.fluxcd.io v1beta3 are
// loaded, and so are those of v1beta1 and v1beta2, which Flux no longer
// serves (each gets a warning in Config.Warnings); v1 (which Flux has for
// Receiver only) and the old group notification.fluxcd.io are errors. v1
// Secrets are loaded; SOPS-encrypted ones, objects of other kinds, and
// documents that are not Kubernetes objects (a Taskfile, a dashboard, a
// Helm template) are skipped and listed in Config.Skipped.
//
// Alerts and Providers of fluxnotify.io/v1alpha1, fluxnotify's own group,
// load too. Under Flux's group, a field only fluxnotify reads (an Alert's
// spec.channel, spec.template, spec.delivery, spec.reasons, a severity
// list, a glob) gets a warning,
// manifest.ErrExtendedField: Flux's API server would drop it or refuse the
// object.
//
// Loading is strict where mistakes are silent otherwise: an unknown field
// in an Alert or Provider (a status, as kubectl prints it, is ignored), a
// key written twice, an unknown kind of notification.toolkit.fluxcd.io,
// two objects of the same kind, namespace and name, an Alert whose
// spec.providerRef names no Provider in its namespace, and every problem
// that alert.Alert.Validate and provider.Provider.Validate find. Secrets
// that Providers reference are not required: only delivery needs them.
//
// One bad object never hides the others. The error joins one *LoadError
// per problem, each naming the file, line, column, object and field (see
// LoadErrors). On error the Config still holds every object that decoded,
// including objects that failed validation or had unknown fields; a
// duplicate is left out (the first object wins), and so is an object with
// a value of the wrong type. The Config is nil only when nothing could be
// read.
func LoadFiles(paths ...string) (*Config, error) {
	if len(paths) == 0 {
		return nil, errors.New("fluxnotify: no manifest path given")
	}
	return manifest.LoadFiles(paths...)
}

// Load loads the manifests of one YAML or JSON stream, with the rules of
// LoadFiles; name stands for the stream in errors (a file name, or
// "stdin"). The Config is nil only when r cannot be read.
func Load(r io.Reader, name string) (*Config, error) {
	return manifest.Load(r, name)
}
