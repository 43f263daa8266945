// Package fluxnotify routes and delivers GitOps notifications the way Flux's
// notification-controller does, outside it and beyond it.
//
// Flux controllers emit events (a Kustomization failed, a HelmRelease
// upgraded). A Provider says how to reach a destination (type slack, a
// channel, a Secret holding the webhook URL); an Alert says what to send
// there (which event sources, which severities, which channel). This package
// loads those objects and ties the pipeline together:
//
//	event ──► match ──► metadata merge, dedup ──► template ──► provider
//
// [LoadFiles] and [Load] read Alert, Provider and Secret manifests (YAML or
// JSON, files or folders), strictly: every problem is reported with its
// file, document, object and field, and never hides the valid objects.
//
// A [Dispatcher] is built from a [Config] with [New]. [Dispatcher.Route] is
// a dry run that needs no Secrets and no network: which alerts match an
// event, where each message would go and what it would say, and why every
// other alert did not match, and which alerts Flux's delivery rules skip
// (provider.Skip). [Dispatcher.Dispatch] delivers, with retries,
// deduplication and bounded concurrency, and reports one [Result] per matched
// alert. [Dispatcher.Handler] is an event endpoint compatible with Flux's
// controllers (--events-addr), and [Dispatcher.Update] swaps the
// configuration while events flow.
//
// The packages below do one step each: event (the Flux wire format), alert
// and provider (the objects, Secrets, the Notifier interface and the
// registry of provider types), match (which alerts an event matches, in
// extended or flux mode), template (messages users can change) and slack
// (delivery to Slack, and to Discord and Rocket.Chat as Flux does). Every
// provider type of Flux loads and routes; a type without a registered
// notifier is reported as such when delivering, not as a configuration
// error.
//
// # Testing
//
// To test the alerts of a GitOps repository, load its manifests, build a
// Dispatcher and assert on Route, or on what a Slack sink received
// (package slack/slacktest, a loopback server in the style of
// net/http/httptest) after Dispatch. Authors of notifiers check theirs with
// package provider/providertest.
package fluxnotify
