package fluxnotify_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
	"github.com/fluxnotify/fluxnotify/state"
)

// threadManifests are a Slack Provider with a bot token and an Alert that
// keeps one thread per Kustomization, broadcasting errors, and sends only
// changes of state.
const threadManifests = `
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {name: slack-bot, namespace: flux-system}
spec:
  type: slack
  channel: "#alerts"
  secretRef: {name: slack-bot}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: on-call, namespace: flux-system}
spec:
  providerRef: {name: slack-bot}
  eventSeverity: info
  eventSources: [{kind: Kustomization, name: "*"}]
  delivery:
    thread: {enabled: true, broadcastErrors: true}
    transitions: true
`

// Threads, transitions and a store: the first failure of an object starts
// its thread, repeats are counted, the recovery replies in the thread and
// updates the root message.
func ExampleWithStore() {
	srv := slacktest.NewServer()
	defer srv.Close()
	cfg, err := fluxnotify.Load(strings.NewReader(threadManifests+`---
apiVersion: v1
kind: Secret
metadata: {name: slack-bot, namespace: flux-system}
stringData: {token: xoxb-example, address: "`+srv.PostMessageURL()+`"}
`), "threads.yaml")
	if err != nil {
		log.Fatal(err)
	}
	store := state.NewMemory() // or state.Open(ctx, "redis://redis:6379/0") for replicas
	defer store.Close()
	d, err := fluxnotify.New(cfg, fluxnotify.WithStore(store), fluxnotify.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	app := corev1.ObjectReference{APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization", Namespace: "flux-system", Name: "app"}
	for i, sev := range []event.Severity{event.SeverityError, event.SeverityError, event.SeverityError, event.SeverityInfo} {
		res, err := d.Dispatch(context.Background(), event.New(app, sev, "HealthCheckFailed", fmt.Sprint("event ", i)))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("event %d (%s): deferred %t\n", i, sev, res[0].Deferred)
	}
	if err := d.Shutdown(context.Background()); err != nil {
		log.Fatal(err)
	}
	root := srv.Posted()[0]
	fmt.Println("roots:", len(srv.Posted()), "replies:", len(srv.Replies(root.TS)))
	last := srv.Updates(root.TS)[0].Message.Text
	fmt.Println(last[:strings.Index(last, " at ")])
	fmt.Println(strings.Contains(last, "after 3 failures"))
	// Output:
	// event 0 (error): deferred false
	// event 1 (error): deferred true
	// event 2 (error): deferred true
	// event 3 (info): deferred false
	// roots: 1 replies: 1
	// :large_green_circle: *Kustomization/flux-system/app* recovered
	// true
}
