// Package fluxnotify routes and delivers GitOps notifications the way Flux's
// notification-controller does, outside it and beyond it.
//
// Flux controllers emit events (a Kustomization failed, a HelmRelease
// upgraded). A Provider says how to reach a destination (type slack, a
// channel, a Secret holding the webhook URL); an Alert says what to send
// there (which event sources, which severities, which channel). This package
// loads those objects and ties the pipeline together. Data flows one way,
// and no stage calls back into one above it:
//
//	event endpoint (Handler) ─► dedup ─► Enqueue: queue ─► workers ─┐
//	Go caller ─► Dispatch, or Enqueue (dedup if asked) ─────────────┤
//	                                                                ▼
//	                  Router: match ─► delivery rules ─► metadata ─► template ─► routes
//	                                                                │
//	                                                                ▼
//	        Dispatcher: concurrency, timeouts, retries ─► notifier (slack, …) ─► log, observers
//
// [LoadFiles] and [Load] (those of package manifest, whose Loader reads
// several sources at once) read Alert, Provider and Secret manifests (YAML or
// JSON, files or folders), strictly: every problem is reported with its
// file, document, object and field, and never hides the valid objects.
//
// A [Router], built from a [Config] with [NewRouter], is the policy-free
// part: [Router.Route] says which alerts match an event, where each message
// would go and what it would say (the [provider.Notification] and the
// exact payload), why every other alert did not match, and which alerts
// Flux's delivery rules skip (provider.Skip). It starts no
// goroutine, keeps no state, logs nothing, needs no Secret and no network.
//
// A [Dispatcher] ([NewDispatcher] over a Router, or [New] for both) is the
// delivery policy, as http.Client is to its Transport:
// [Dispatcher.Dispatch] delivers now, with retries, timeouts and bounded
// concurrency, and reports one [Result] per matched alert;
// [Dispatcher.Enqueue] hands the event to a fixed pool of workers through a
// queue bounded in events and bytes; [Dispatcher.Handler] is an event
// endpoint compatible with Flux's controllers (--events-addr), which
// deduplicates as Flux does, then enqueues; [Dispatcher.Update] swaps the
// configuration while events flow (with [WithKeepLastGood], an object
// whose new version is not valid keeps the one in use);
// [Dispatcher.Shutdown] drains and
// [Dispatcher.Close] stops now, and both return only once every accepted
// event has ended, delivered, failed or abandoned. [WithObserver] and
// [WithEventObserver] see every outcome, for metrics and audit trails.
//
// Deduplication is a stage in front of the Dispatcher: the event endpoint
// has it, Go callers ask for it with [WithCallerDedup]. An accepted event
// is remembered at once, and forgotten again when it matched no alert or
// none of its deliveries succeeded, so that it is new when it comes back.
//
// State that outlives one event lives in a store ([WithStore]: memory, a
// file, or Redis shared by replicas; package state): deduplication keys,
// and for alerts with spec.delivery, one Slack thread per object whose root
// shows the object's state, transitions (only first failures and
// recoveries are sent; repeats are counted, [Result.Deferred]) and groups
// that send an outage as one message per alert ([Dispatcher.Flush]). An
// alert's spec.reasons filters events by reason after matching.
//
// The packages below do one step each: manifest (loading), event (the Flux
// wire format), alert and provider (the objects, Secrets, the Notifier interface and the
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
// Router and assert on Route; to test the messages too, build a Dispatcher
// and assert on what a Slack sink received (package slack/slacktest, a
// loopback server in the style of net/http/httptest) after Dispatch. Authors of notifiers check theirs with
// package provider/providertest.
package fluxnotify
