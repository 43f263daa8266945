package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
)

// manifests are the usual manifests of Slack alerts for Flux (a copy of
// testdata/manifests/slack-example.yaml at the repository's root): a
// Namespace, a Kustomization, the Slack Provider, an Alert that sends the
// errors of every Kustomization and HelmRelease, and the Secret holding the
// webhook URL.
//
//go:embed slack-example.yaml
var manifests []byte

func main() {
	os.Exit(run(context.Background(), os.Stdout, os.Getenv))
}

// The manifests' Kustomization, as kustomize-controller reports it.
var kustomization = corev1.ObjectReference{
	APIVersion: "kustomize.toolkit.fluxcd.io/v1",
	Kind:       "Kustomization",
	Namespace:  "flux-system",
	Name:       "my-app-kustomization",
}

// events are what kustomize-controller emits for that Kustomization:
// its health check of my-app-deployment fails, then a later reconciliation
// succeeds.
func events() []*event.Event {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	opts := func(t time.Time) []event.Option {
		return []event.Option{
			event.WithController("kustomize-controller"),
			event.WithRevision("main@sha1:2f3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c"),
			event.WithTimestamp(t),
		}
	}
	return []*event.Event{
		event.New(kustomization, event.SeverityError, "HealthCheckFailed",
			"Health check failed after 2m0s: timeout waiting for: [Deployment/my-app/my-app-deployment status: 'InProgress']",
			opts(at)...),
		event.New(kustomization, event.SeverityInfo, "ReconciliationSucceeded",
			"Reconciliation finished in 1.2s, next run in 10m0s",
			opts(at.Add(10*time.Minute))...),
	}
}

// run is the whole program; getenv reads SLACK_WEBHOOK_URL. It returns the
// exit status.
func run(ctx context.Context, stdout io.Writer, getenv func(string) string) int {
	p := printer{w: stdout}
	if err := quickstart(ctx, &p, getenv("SLACK_WEBHOOK_URL")); err != nil {
		p.printf("\nquickstart failed: %v\n", err)
		return 1
	}
	return 0
}

func quickstart(ctx context.Context, p *printer, webhookURL string) error {
	cfg, err := fluxnotify.Load(bytes.NewReader(manifests), "slack-example.yaml")
	if err != nil {
		return fmt.Errorf("loading slack-example.yaml: %w", err)
	}
	p.printf("Loaded slack-example.yaml: %d Alert, %d Provider, %d Secret (the Namespace and the Kustomization are not notification objects).\n",
		len(cfg.Alerts), len(cfg.Providers), len(cfg.Secrets))
	for _, a := range cfg.Alerts {
		var sources []string
		for _, s := range a.Spec.EventSources {
			sources = append(sources, s.Kind+"/"+s.Name)
		}
		p.printf("  Alert %s: eventSeverity %s, sources %s, provider %s\n",
			a.NamespacedName(), a.Spec.EventSeverity, strings.Join(sources, " "), a.Spec.ProviderRef.Name)
	}
	if len(cfg.Secrets) != 1 {
		return fmt.Errorf("slack-example.yaml should have one Secret, found %d", len(cfg.Secrets))
	}

	// Point the manifests' Secret (key "url") at a Slack sink on 127.0.0.1, or
	// at the real webhook.
	var sink *slacktest.Server
	secret := &cfg.Secrets[0]
	if secret.StringData == nil {
		secret.StringData = map[string]string{}
	}
	if webhookURL != "" {
		secret.StringData["url"] = webhookURL
		p.printf("Slack: the webhook of SLACK_WEBHOOK_URL.\n")
	} else {
		sink = slacktest.NewServer()
		defer sink.Close()
		secret.StringData["url"] = sink.WebhookURL()
		p.printf("Slack: a local sink on 127.0.0.1 standing in for hooks.slack.com (set SLACK_WEBHOOK_URL to post to Slack).\n")
	}

	d, err := fluxnotify.New(cfg, fluxnotify.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return err
	}
	defer d.Shutdown(context.Background())

	for i, e := range events() {
		o := e.InvolvedObject
		p.printf("\n%d. %s %s/%s reports %s: %s\n   %q\n", i+1, o.Kind, o.Namespace, o.Name, e.Severity, e.Reason, e.Message)
		routing, err := d.Route(ctx, e)
		if err != nil {
			return err
		}
		for _, u := range routing.Unmatched {
			p.printf("   Not sent through alert %s: %s.\n", u.Alert, u.Reason)
		}
		if len(routing.Routes) == 0 {
			p.printf("   A success is not sent unless an Alert asks for eventSeverity: info (the alert takes errors only).\n")
			continue
		}
		for _, r := range routing.Routes {
			channel := r.Channel
			if channel == "" {
				channel = "the webhook's default channel"
			}
			p.printf("   Matched alert %s: provider %s (type %s), to %s.\n", r.Alert, r.Provider, r.Type, channel)
		}

		before := 0
		if sink != nil {
			before = sink.Len()
		}
		results, err := d.Dispatch(ctx, e)
		for _, r := range results {
			if r.Delivered() {
				p.printf("   Delivered in %d attempt(s).\n", r.Attempts)
			} else {
				p.printf("   Not delivered: %v\n", r.Err)
			}
		}
		if err != nil {
			return err
		}
		if sink == nil {
			for _, r := range routing.Routes {
				p.printf("   Posted to Slack:\n%s\n", indent(r.Payload))
			}
			continue
		}
		for _, req := range sink.Requests()[before:] {
			p.printf("   Slack received this payload:\n%s\n", indent(req.Body))
		}
	}
	if sink != nil {
		p.printf("\nSlack received %d message(s) in all.\n", sink.Len())
	}
	return p.err
}

// indent formats a JSON body for reading, indented under the step.
func indent(body []byte) string {
	var b bytes.Buffer
	if err := json.Indent(&b, body, "   ", "  "); err != nil {
		return "   " + string(body)
	}
	return "   " + b.String()
}

// printer writes to w and remembers the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}
