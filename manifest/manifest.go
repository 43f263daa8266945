package manifest

import (
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/provider"
)

// Config is a set of Alert, Provider and Secret objects, as loaded from
// manifests (LoadFiles, Load, a Loader) or handed in by a controller.
// Package fluxnotify names it fluxnotify.Config.
//
// Every object has a namespace: a manifest without metadata.namespace is in
// "default", as with kubectl.
type Config struct {
	// Alerts are the notification.toolkit.fluxcd.io Alerts, in the order
	// they were read.
	Alerts []alert.Alert
	// Providers are the notification.toolkit.fluxcd.io Providers, in the
	// order they were read.
	Providers []provider.Provider
	// Secrets are the v1 Secrets, in the order they were read; data values
	// are already decoded from base64.
	Secrets []corev1.Secret
	// Skipped lists the documents that loading read and left out on
	// purpose (objects of other kinds, documents that are not Kubernetes
	// objects, SOPS-encrypted objects, files that are not regular files),
	// each with the reason, for a verbose listing. A Config built by hand
	// leaves it empty.
	Skipped []Skipped
	// Warnings are problems that do not stop an object from loading but
	// probably change what it does (an API version that current Flux no
	// longer serves, a source kind that differs from a Flux kind only in
	// case).
	Warnings []*Error
}

// SecretGetter returns a provider.SecretGetter over c.Secrets, for
// provider.Resolve.
func (c *Config) SecretGetter() provider.SecretGetter {
	return provider.StaticSecrets(c.Secrets...)
}

// Provider returns the Provider namespace/name of c.
func (c *Config) Provider(namespace, name string) (*provider.Provider, bool) {
	for i := range c.Providers {
		if p := &c.Providers[i]; p.Namespace == namespace && p.Name == name {
			return p, true
		}
	}
	return nil, false
}

// Skipped is one document or file that loading left out on purpose.
type Skipped struct {
	// File is the file name, or the name given to Load.
	File string
	// Document is the 1-based number of the document in File (empty
	// documents are not counted); 0 for the whole file.
	Document int
	// Line is the 1-based line where the object starts; 0 when unknown.
	Line int
	// Object names the object as "Kind namespace/name" when it has one.
	Object string
	// Reason says why it was left out, for example "SOPS-encrypted: ..."
	// or "not a Kubernetes object (no apiVersion or kind)".
	Reason string
}

// String reads "file:line: Kind ns/name: reason", leaving out the parts
// that are not known.
func (s Skipped) String() string {
	var b strings.Builder
	b.WriteString(s.File)
	writePosition(&b, s.Document, s.Line, 0)
	if s.Object != "" {
		b.WriteString(": ")
		b.WriteString(s.Object)
	}
	b.WriteString(": ")
	b.WriteString(s.Reason)
	return b.String()
}

// Errors that an *Error wraps, for errors.Is. Every problem found in a
// stream wraps one of them; a problem reading a file wraps the operating
// system's error instead (such as fs.ErrNotExist), and a failed
// Loader.Transform its own error.
var (
	// ErrSyntax marks a document that is not valid YAML or JSON.
	ErrSyntax = errors.New("syntax error")
	// ErrTooLarge marks a stream larger than MaxStreamSize, or a document
	// whose aliases expand to too many values (a "billion laughs").
	ErrTooLarge = errors.New("too large")
	// ErrUnknownField marks a field that an Alert or Provider does not
	// have, typically a typo such as spec.eventSeverty. The object is
	// loaded without it.
	ErrUnknownField = errors.New("unknown field")
	// ErrDuplicateKey marks a key written twice in one YAML mapping or JSON
	// object. The last value is kept, as kubectl keeps it.
	ErrDuplicateKey = errors.New("duplicate key")
	// ErrInvalidValue marks a value that does not decode into its field: a
	// wrong type (a string where a list is expected), a bad duration, bad
	// base64. The object is left out.
	ErrInvalidValue = errors.New("invalid value")
	// ErrInvalid marks a problem that alert.Alert.Validate or
	// provider.Provider.Validate finds, or a required field that is
	// missing; the error also wraps the *field.Error. The object is
	// loaded.
	ErrInvalid = errors.New("invalid object")
	// ErrUnsupportedVersion marks an Alert or Provider of an API version
	// that Flux does not serve (notification.toolkit.fluxcd.io/v1, which
	// has Receiver only; v1alpha1; the old group notification.fluxcd.io).
	ErrUnsupportedVersion = errors.New("unsupported API version")
	// ErrRemovedVersion marks, in Config.Warnings, an Alert or Provider of
	// an API version that Flux served once and no longer serves
	// (v1beta1 since Flux 2.7, v1beta2 since Flux 2.9). The object loads:
	// its fields are those of v1beta3.
	ErrRemovedVersion = errors.New("API version no longer served by Flux")
	// ErrExtendedField marks, in Config.Warnings, a field of a
	// notification.toolkit.fluxcd.io Alert or Provider that only fluxnotify
	// reads: spec.channel, spec.delivery and spec.reasons of an Alert,
	// spec.template, a severity list or a level other than info and error,
	// a glob in an event source, a Provider type that is not one of Flux's.
	// The object loads with it, but in a cluster Flux's API server drops
	// the field (channel, template, delivery, reasons) or refuses the
	// object (severity, a glob kind, a type of your own), and Flux compares
	// a glob name or namespace as written;
	// apiVersion fluxnotify.io/v1alpha1 keeps them (see alert.ExtendedGroup).
	ErrExtendedField = errors.New("fluxnotify extension in Flux's API group")
	// ErrUnknownKind marks a kind of notification.toolkit.fluxcd.io that
	// Flux does not have, such as "Alret".
	ErrUnknownKind = errors.New("unknown kind")
	// ErrNotObject marks an item of a List that is not a mapping.
	ErrNotObject = errors.New("not an object")
	// ErrDuplicateObject marks a second object of the same kind, namespace
	// and name. The first one is kept.
	ErrDuplicateObject = errors.New("duplicate object")
	// ErrProviderNotFound marks an Alert whose spec.providerRef names no
	// Provider in the alert's namespace.
	ErrProviderNotFound = errors.New("provider not found")
)

// Error is one problem found while loading manifests. It says where the
// problem is as precisely as it is known; the zero value of a location
// field means "not known" or "not about one".
type Error struct {
	// File is the file name, or the name given to Load.
	File string
	// Document is the 1-based number of the YAML document (or JSON value)
	// in File, empty documents not counted; 0 when the problem concerns the
	// whole file.
	Document int
	// Line is the 1-based line of the field at fault, or of the object or
	// document when the problem is not about one field; 0 when unknown.
	Line int
	// Column is the 1-based column (in characters) that goes with Line; 0
	// when unknown.
	Column int
	// Object names the object, as "Kind namespace/name"; empty when the
	// document could not be read that far.
	Object string
	// Field is the path of the field at fault within the document, such as
	// "spec.eventSources[1].name" (or "items[2].spec.type" inside a List);
	// empty when the problem is not about one field.
	Field string
	// Err is the problem itself; it wraps one of the Err* variables.
	Err error
}

// Error reads "file:line:column: Kind ns/name: field: problem" (the form
// editors and CI annotations understand), or "file: document N: ..." when
// the line is not known, leaving out the parts that are not known.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	writePosition(&b, e.Document, e.Line, e.Column)
	if e.Object != "" {
		b.WriteString(": ")
		b.WriteString(e.Object)
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("invalid")
	}
	return b.String()
}

func writePosition(b *strings.Builder, doc, line, col int) {
	switch {
	case line > 0:
		fmt.Fprintf(b, ":%d", line)
		if col > 0 {
			fmt.Fprintf(b, ":%d", col)
		}
	case doc > 0:
		fmt.Fprintf(b, ": document %d", doc)
	}
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// Errors returns every *Error in err, the error of LoadFiles, Load or
// Loader.Config, in the order of the files and lines they concern. It
// returns nil when err holds none.
func Errors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if le, ok := err.(*Error); ok {
			out = append(out, le)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// kindError is an error that errors.Is matches to a sentinel without
// showing the sentinel's text: its message is the cause's own.
type kindError struct {
	kind error
	msg  string
	err  error
}

func (e *kindError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return e.err.Error()
}
func (e *kindError) Unwrap() error        { return e.err }
func (e *kindError) Is(target error) bool { return target == e.kind }
