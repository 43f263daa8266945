// Package appconfig is the sample reconciler of the operator example: the
// pattern a custom operator copies to notify like a Flux controller.
//
// It checks ConfigMaps labelled fluxnotify.example/validate=true: every key
// ending in ".json" must hold valid JSON. When a ConfigMap is invalid, it
// sends an error event through fluxnotify (on every failed reconcile, as
// Flux controllers do; the Dispatcher drops repeats within its
// deduplication window); when a ConfigMap that had failed becomes valid, it
// sends one info event saying it recovered. It remembers the last outcome
// in an annotation, as a Flux controller remembers it in its Ready
// condition.
//
// The events go through the same Alerts and Providers as Flux's own, so
// the Alert that takes them is written like any other:
//
//	spec:
//	  providerRef:
//	    name: slack
//	  eventSeverity: info
//	  eventSources:
//	    - kind: ConfigMap
//	      name: "*"
//	      matchLabels:
//	        fluxnotify.example/validate: "true"
package appconfig
