// Package event models the events that Flux controllers emit and that
// fluxnotify routes.
//
// [Event] is Flux's own wire type (an alias of
// github.com/fluxcd/pkg/apis/event/v1.Event), so values built by Flux's event
// recorder, by a custom operator, or decoded from the JSON that Flux
// controllers POST to the notification-controller are interchangeable.
//
// [Decode] and [Unmarshal] read both the current v1 JSON and the older
// v1beta1 JSON (which has no action and no relatedObject), refuse bodies
// larger than [MaxSize], and validate what routing relies on: the involved
// object's kind and name, a known [Severity] and a message. [DecodeFlux],
// [UnmarshalFlux] and [ValidateFlux] do the same for flux mode, where any
// severity string is accepted, as Flux's notification-controller accepts it.
//
// [Severity] orders the levels trace < info < warn < error. Flux itself only
// emits trace, info and error; warn is accepted for custom operators and for
// the alert semantics described in the fluxnotify README.
//
// [New] builds an event for an operator that wants to notify like a Flux
// controller, and the metadata helpers ([MetaKey], [Group], [Revision],
// [MergeMetadata]) implement Flux's conventions for event metadata keys.
// [MergeMetadataFlux] is the metadata exactly as Flux's
// notification-controller cleans and merges it, for flux mode.
package event
