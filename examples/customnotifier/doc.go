// Command customnotifier routes one Flux event through Alert and Provider
// manifests whose Providers use bespoke types: "generic" and
// "generic-hmac" (package webhook, compatible with Flux's providers of the
// same names) and "file" (package file), next to the built-in "slack".
//
// Usage:
//
//	customnotifier [-mode extended|flux] [-event event.json] manifest-or-folder...
//
// The event is read from -event, or from standard input ("-", the
// default). Each delivery is reported on standard output; the exit status
// is 1 when one failed. It shows the three steps of adding a provider type:
// write a provider.Notifier, register its factory by name in a
// provider.Registry, and hand the registry to the Dispatcher.
package main
