// Package fluxnotify routes and delivers GitOps notifications the way Flux's
// notification-controller does, outside it and beyond it.
//
// Flux controllers emit events (a Kustomization failed, a HelmRelease
// upgraded). A Provider says how to reach a destination (type slack, a
// channel, a Secret holding the webhook URL); an Alert says what to send
// there (which event sources, which severities, which channel). This package
// loads those objects ([LoadFiles]) and ties the pipeline together:
//
//	event ──► match ──► metadata merge, dedup ──► template ──► provider
//
// The packages below do one step each: event (the Flux wire format), alert
// and provider (the objects), match (which alerts an event matches, and why
// not), template (messages users can change) and slack (delivery to Slack).
package fluxnotify
