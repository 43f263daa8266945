package fluxnotify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
)

// exampleManifests are a Slack Provider and its Secret, an Alert that sends
// the errors of every Kustomization and HelmRelease to #devops-alerts, and a
// second alert that sends every Kustomization event, info included, to a
// channel of its own through the same provider.
const exampleManifests = `
apiVersion: notification.toolkit.fluxcd.io/v1beta1
kind: Provider
metadata:
  name: slack
  namespace: flux-system
spec:
  type: slack
  secretRef:
    name: slack-url
---
apiVersion: notification.toolkit.fluxcd.io/v1beta1
kind: Alert
metadata:
  name: flux-alerts
  namespace: flux-system
spec:
  eventSeverity: error
  eventSources:
    - kind: Kustomization
      name: "*"
    - kind: HelmRelease
      name: "*"
  providerRef:
    name: slack
  channel: "#devops-alerts"
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: gitops-updates
  namespace: flux-system
spec:
  eventSeverity: info
  eventSources:
    - kind: Kustomization
      name: "*"
  providerRef:
    name: slack
  channel: "#gitops-updates"
---
apiVersion: v1
kind: Secret
metadata:
  name: slack-url
  namespace: flux-system
stringData:
  url: "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
`

var kustomization = corev1.ObjectReference{
	APIVersion: "kustomize.toolkit.fluxcd.io/v1",
	Kind:       "Kustomization",
	Namespace:  "flux-system",
	Name:       "my-app-kustomization",
}

// healthCheckFailed is a Kustomization whose health check timed out.
func healthCheckFailed() *event.Event {
	return event.New(kustomization, event.SeverityError, "HealthCheckFailed",
		"Health check failed after 2m0s: timeout waiting for: [Deployment/my-app/my-app-deployment status: 'InProgress']",
		event.WithController("kustomize-controller"), event.WithRevision("main@sha1:2f3c4d5e6f7a"))
}

func reconciled() *event.Event {
	return event.New(kustomization, event.SeverityInfo, "ReconciliationSucceeded",
		"Reconciliation finished in 1.2s, next run in 10m0s",
		event.WithController("kustomize-controller"), event.WithRevision("main@sha1:2f3c4d5e6f7a"))
}

// Route is a dry run: which alerts take an event, where each would send it,
// and why the others do not. A Router needs no Secret and no network, and
// starts no goroutine: it is all a test of alerts needs.
func ExampleRouter_Route() {
	cfg, err := fluxnotify.Load(strings.NewReader(exampleManifests), "example.yaml")
	if err != nil {
		log.Fatal(err)
	}
	r, err := fluxnotify.NewRouter(cfg)
	if err != nil {
		log.Fatal(err)
	}

	for _, e := range []*event.Event{healthCheckFailed(), reconciled()} {
		routing, err := r.Route(context.Background(), e)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s (%s):\n", e.Reason, e.Severity)
		for _, r := range routing.Routes {
			fmt.Printf("  %s -> %s (%s) %s\n", r.Alert, r.Provider, r.Type, r.Channel)
		}
		for _, u := range routing.Unmatched {
			fmt.Printf("  not %s: %s\n", u.Alert, u.Reason)
		}
	}
	// Output:
	// HealthCheckFailed (error):
	//   flux-system/flux-alerts -> flux-system/slack (slack) #devops-alerts
	//   flux-system/gitops-updates -> flux-system/slack (slack) #gitops-updates
	// ReconciliationSucceeded (info):
	//   flux-system/gitops-updates -> flux-system/slack (slack) #gitops-updates
	//   not flux-system/flux-alerts: severity info is below error
}

// Dispatch delivers an event to every alert it matches and reports each
// delivery. Here Slack is a local sink (slacktest), so the example runs
// offline. With WithCallerDedup, Dispatch drops an event already delivered
// within the deduplication window, as the event endpoint does.
func ExampleDispatcher_Dispatch() {
	sink := slacktest.NewServer()
	defer sink.Close()

	cfg, err := fluxnotify.Load(strings.NewReader(exampleManifests), "example.yaml")
	if err != nil {
		log.Fatal(err)
	}
	cfg.Secrets[0].StringData["url"] = sink.WebhookURL() // instead of hooks.slack.com

	d, err := fluxnotify.New(cfg, fluxnotify.WithLogger(slog.New(slog.DiscardHandler)), fluxnotify.WithCallerDedup())
	if err != nil {
		log.Fatal(err)
	}
	defer d.Shutdown(context.Background())

	results, err := d.Dispatch(context.Background(), healthCheckFailed())
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		fmt.Printf("%s: delivered to %s in %d attempt(s)\n", r.Alert, r.Channel, r.Attempts)
	}
	for _, m := range sink.Messages() {
		if m.Channel != "#devops-alerts" {
			continue
		}
		a := m.Attachments[0]
		fmt.Printf("%s from %s: %s %s\n%s\n", m.Channel, m.Username, a.Color, a.AuthorName, a.Text)
	}

	// The same event again, within the deduplication window.
	_, err = d.Dispatch(context.Background(), healthCheckFailed())
	fmt.Println(err)
	// Output:
	// flux-system/flux-alerts: delivered to #devops-alerts in 1 attempt(s)
	// flux-system/gitops-updates: delivered to #gitops-updates in 1 attempt(s)
	// #devops-alerts from kustomize-controller: danger kustomization/my-app-kustomization.flux-system
	// Health check failed after 2m0s: timeout waiting for: [Deployment/my-app/my-app-deployment status: 'InProgress']
	// duplicate event within the deduplication window
}

// Enqueue hands events to the Dispatcher's workers and returns at once; the
// queue is bounded (WithMaxPending, WithMaxPendingBytes), and Shutdown
// returns once every accepted event has ended, each outcome logged and
// observed.
func ExampleDispatcher_Enqueue() {
	sink := slacktest.NewServer()
	defer sink.Close()
	cfg, err := fluxnotify.Load(strings.NewReader(exampleManifests), "example.yaml")
	if err != nil {
		log.Fatal(err)
	}
	cfg.Secrets[0].StringData["url"] = sink.WebhookURL()
	d, err := fluxnotify.New(cfg, fluxnotify.WithLogger(slog.New(slog.DiscardHandler)), fluxnotify.WithMaxPending(100))
	if err != nil {
		log.Fatal(err)
	}

	for _, e := range []*event.Event{healthCheckFailed(), reconciled()} {
		if err := d.Enqueue(context.Background(), e); err != nil {
			log.Fatal(err) // ErrQueueFull when 100 events are pending
		}
	}
	if err := d.Shutdown(context.Background()); err != nil { // drains the queue
		log.Fatal(err)
	}
	fmt.Println("messages received by Slack:", sink.Len())
	fmt.Println(d.Enqueue(context.Background(), reconciled()))
	// Output:
	// messages received by Slack: 3
	// dispatcher is closed
}

// An observer sees the outcome of every delivery, those of Enqueue and the
// event endpoint included: the place for metrics or an audit trail.
func ExampleWithObserver() {
	sink := slacktest.NewServer()
	defer sink.Close()
	sink.Respond(1, slacktest.Error(http.StatusNotFound, "channel_not_found"))
	cfg, err := fluxnotify.Load(strings.NewReader(exampleManifests), "example.yaml")
	if err != nil {
		log.Fatal(err)
	}
	cfg.Secrets[0].StringData["url"] = sink.WebhookURL()

	var mu sync.Mutex
	var outcomes []string
	observe := func(_ context.Context, r fluxnotify.Result) {
		outcome := "delivered"
		var pe *provider.Error
		if errors.As(r.Err, &pe) {
			outcome = fmt.Sprintf("failed (%d %s)", pe.StatusCode, pe.Code)
		}
		mu.Lock()
		defer mu.Unlock()
		outcomes = append(outcomes, fmt.Sprintf("%s via %s: %s", r.Alert, r.Type, outcome))
	}
	d, err := fluxnotify.New(cfg, fluxnotify.WithLogger(slog.New(slog.DiscardHandler)), fluxnotify.WithObserver(observe))
	if err != nil {
		log.Fatal(err)
	}
	if err := d.Enqueue(context.Background(), reconciled()); err != nil {
		log.Fatal(err)
	}
	if err := d.Shutdown(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Join(outcomes, "\n"))
	// Output:
	// flux-system/gitops-updates via slack: failed (404 channel_not_found)
}

// Handler is the endpoint Flux controllers post their events to (their
// --events-addr flag): it deduplicates, then Enqueues. It answers at once
// and delivers in the background; Shutdown waits for those deliveries.
func ExampleDispatcher_Handler() {
	sink := slacktest.NewServer()
	defer sink.Close()
	cfg, err := fluxnotify.Load(strings.NewReader(exampleManifests), "example.yaml")
	if err != nil {
		log.Fatal(err)
	}
	cfg.Secrets[0].StringData["url"] = sink.WebhookURL()
	d, err := fluxnotify.New(cfg, fluxnotify.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}

	srv := httptest.NewServer(d.Handler()) // in production: an http.Server on :9090
	defer srv.Close()
	body, err := json.Marshal(healthCheckFailed())
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range []string{string(body), string(body), `{"involvedObject": {}}`} {
		resp, err := http.Post(srv.URL+"/", "application/json", strings.NewReader(b))
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
	}

	if err := d.Shutdown(context.Background()); err != nil { // waits for the delivery
		log.Fatal(err)
	}
	fmt.Println("messages received by Slack:", sink.Len())
	// Output:
	// 202 Accepted
	// 429 Too Many Requests
	// 400 Bad Request
	// messages received by Slack: 2
}

// Flux's delivery rules apply after matching. kustomize-controller sends a
// commit-status update after every successful reconciliation: Flux posts it
// as a commit status to GitHub and never to Slack. A github Provider is
// valid configuration even without a notifier registered for its type: it
// routes, marked Notifier false, and Dispatch reports it as failed.
func ExampleDispatcher_Route_deliveryRules() {
	const manifests = `
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {name: slack, namespace: flux-system}
spec: {type: slack, channel: "#flux"}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {name: github, namespace: flux-system}
spec: {type: github, address: "https://github.com/example/fleet"}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: to-slack, namespace: flux-system}
spec:
  providerRef: {name: slack}
  eventSeverity: info
  eventSources: [{kind: Kustomization, name: "*"}]
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: to-github, namespace: flux-system}
spec:
  providerRef: {name: github}
  eventSeverity: info
  eventSources: [{kind: Kustomization, name: "*"}]
`
	cfg, err := fluxnotify.Load(strings.NewReader(manifests), "example.yaml")
	if err != nil {
		log.Fatal(err)
	}
	d, err := fluxnotify.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Shutdown(context.Background())

	e := reconciled()
	e.Metadata["kustomize.toolkit.fluxcd.io/revision"] = "main@sha1:2f3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c"
	e.Metadata["kustomize.toolkit.fluxcd.io/commit_status"] = "update"
	routing, err := d.Route(context.Background(), e)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range routing.Routes {
		var skip *provider.SkipError
		switch {
		case errors.As(r.Err, &skip):
			fmt.Printf("%s: skipped (%s)\n", r.Alert, skip.Rule)
		case errors.Is(r.Err, provider.ErrNoNotifier):
			fmt.Printf("%s: routed, notifier %t\n", r.Alert, r.Notifier)
		default:
			fmt.Printf("%s: sent to %s\n", r.Alert, r.Channel)
		}
	}
	// Output:
	// flux-system/to-slack: skipped (commit-status-update)
	// flux-system/to-github: routed, notifier false
}
