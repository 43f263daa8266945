// Package webhook is a bespoke fluxnotify notifier, compatible with the
// "generic" and "generic-hmac" providers of Flux's notification-controller:
// it POSTs the event as JSON to the provider's address.
//
// What is sent is what Flux sends: the event, with its metadata merged as
// for every other notifier (Flux's RFC-0008 order: the object's
// event.toolkit.fluxcd.io annotations, the alert's eventMetadata and
// summary, then the controller's keys, prefixes stripped), the header
// "Gotk-Component: <reporting controller>", and the headers of the
// provider's Secret ("headers" key). The generic-hmac type also signs the
// body with the Secret's "token":
//
//	X-Signature: sha256=<hex HMAC-SHA256 of the body>
//
// Receivers check it with Verify.
//
// Register adds both types to a provider.Registry, after which Providers
// use them from YAML like any built-in type:
//
//	apiVersion: notification.toolkit.fluxcd.io/v1beta3
//	kind: Provider
//	metadata:
//	  name: audit
//	  namespace: flux-system
//	spec:
//	  type: generic-hmac
//	  secretRef:
//	    name: audit-webhook # keys: address, token, headers
//
// The package is an example of a notifier written outside fluxnotify: it
// classifies failures with provider.Error (so provider.Deliver retries the
// right ones), redacts its secrets from every error, and passes the
// provider/providertest conformance kit.
package webhook
