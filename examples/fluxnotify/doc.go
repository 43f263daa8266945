// Command fluxnotify tests Flux notification Alerts offline, and serves a
// Flux-compatible event endpoint that delivers to Slack.
//
//	fluxnotify route  -f manifests/ --event event.json [--expect ns/alert,...]
//	fluxnotify render -f manifests/ --event event.json [-o text]
//	fluxnotify send   -f manifests/ --event event.json [--secret ns/name=URL]
//	fluxnotify serve  -f manifests/ --addr 127.0.0.1:9090 [--state file:PATH]
//	fluxnotify test   [--junit FILE] tests/*_test.yaml
//	fluxnotify --version
//
// -f reads a GitOps repository the way Flux reads it (see package gitops):
// a folder with a kustomization.yaml is built with kustomize in process,
// other folders are read recursively, "-" is standard input, and Flux's
// postBuild variables are substituted from --substitute KEY=VALUE and
// --substitute-from FILE.
//
// route and render are dry runs: they read no Secret and use no network, so
// they fit the CI pipeline of a GitOps repository (route --expect exits 1
// when an event does not reach the alerts it should), and so is test, which
// runs suites of alert tests (package alerttest). send delivers one
// event for real. serve is the endpoint Flux controllers post their events
// to (their --events-addr flag), with Prometheus metrics on GET /metrics
// and its state (deduplication, threads, groups) in the store --state names;
// it reloads the manifests on SIGHUP, keeping the version in use of each
// Alert and Provider whose new version does not load or is not valid, and
// on SIGINT or SIGTERM finishes the deliveries within --shutdown-timeout,
// then abandons the rest, exiting once every accepted event is logged.
//
// Exit status: 0 on success, 1 when a delivery failed, an --expect did
// not hold or a test failed, 2 on bad input (flags, manifests, event, a
// suite, or no Alert at all).
//
// Install it from a checkout with "cd examples/fluxnotify && go install .".
package main
