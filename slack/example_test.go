package slack_test

import (
	"context"
	"fmt"
	"time"

	slackgo "github.com/slack-go/slack"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
	"github.com/fluxnotify/fluxnotify/template"
)

// failedKustomization is a Kustomization whose health check failed.
func failedKustomization() *event.Event {
	return event.New(
		corev1.ObjectReference{
			APIVersion: "kustomize.toolkit.fluxcd.io/v1",
			Kind:       "Kustomization",
			Namespace:  "flux-system",
			Name:       "my-app-kustomization",
		},
		event.SeverityError,
		"HealthCheckFailed",
		"Health check failed after 5m0s: timeout waiting for: [Deployment/my-app/my-app-deployment status: 'InProgress']",
		event.WithController("kustomize-controller"),
		event.WithRevision("main@sha1:2f3c5e7a9b1d4f6e8a0c2b4d6f8e0a1c3b5d7f9e"),
		event.WithTimestamp(time.Date(2026, 11, 26, 0, 35, 0, 0, time.UTC)),
	)
}

// Send a failing Kustomization to an incoming webhook, here a
// slacktest sink, in Flux's format.
func ExampleNew() {
	srv := slacktest.NewServer()
	defer srv.Close()

	p := &provider.Provider{
		ObjectMeta: metav1.ObjectMeta{Name: "slack", Namespace: "flux-system"},
		Spec:       provider.Spec{Type: slack.Type},
	}
	// In a cluster, provider.Resolve reads the address from the Secret.
	notifier, err := slack.New(p, provider.Credentials{Address: srv.WebhookURL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer notifier.CloseIdleConnections()

	a := &alert.Alert{
		ObjectMeta: metav1.ObjectMeta{Name: "flux-alerts", Namespace: "flux-system"},
		Spec:       alert.Spec{Channel: "#devops-alerts"},
	}
	n := provider.NewNotification(failedKustomization(), a, p, nil, provider.Context{})
	res, err := provider.Deliver(context.Background(), notifier, n, provider.DefaultRetryPolicy(), p.GetTimeout())
	fmt.Println("attempts:", res.Attempts, "error:", err)

	msg := srv.Messages()[0]
	fmt.Println(msg.Channel, msg.Username)
	att := msg.Attachments[0]
	fmt.Println(att.Color, att.AuthorName)
	fmt.Println(att.Text)
	for _, f := range att.Fields {
		fmt.Printf("%s: %s\n", f.Title, f.Value)
	}
	// Output:
	// attempts: 1 error: <nil>
	// #devops-alerts kustomize-controller
	// danger kustomization/my-app-kustomization.flux-system
	// Health check failed after 5m0s: timeout waiting for: [Deployment/my-app/my-app-deployment status: 'InProgress']
	// revision: main@sha1:2f3c5e7a9b1d4f6e8a0c2b4d6f8e0a1c3b5d7f9e
}

// A custom template, as written under an alert's or a provider's
// spec.template, with a link to the commit. Values are templated and
// escaped: the event's "<!channel>" reaches Slack as text.
func Example_customTemplate() {
	srv := slacktest.NewServer()
	defer srv.Close()

	var spec template.Spec
	if err := yaml.Unmarshal([]byte(`
format: blocks
title: '{{ .Object.Kind }} {{ .Object.Name }} failed in {{ .Cluster }}'
text: '{{ .Message }}'
fields:
  - title: Revision
    value: '{{ slackLink .Links.Commit (shortRevision .Revision) }}'
`), &spec); err != nil {
		fmt.Println(err)
		return
	}
	tmpl, err := template.Parse(&spec) // once, when the configuration loads
	if err != nil {
		fmt.Println(err)
		return
	}

	p := &provider.Provider{
		ObjectMeta: metav1.ObjectMeta{Name: "slack", Namespace: "flux-system"},
		Spec:       provider.Spec{Type: slack.Type, Channel: "#gitops-updates"},
	}
	notifier, err := slack.New(p, provider.Credentials{Address: srv.WebhookURL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer notifier.CloseIdleConnections()

	e := failedKustomization()
	e.Message = "<!channel> rollout stuck"
	n := provider.NewNotification(e, nil, p, tmpl, provider.Context{
		Cluster:       "production",
		RepositoryURL: "https://github.com/example/fleet",
	})
	if err := notifier.Notify(context.Background(), n); err != nil {
		fmt.Println(err)
		return
	}

	msg := srv.Messages()[0]
	fmt.Println(msg.Channel)
	for _, b := range msg.Blocks.BlockSet {
		switch b := b.(type) {
		case *slackgo.HeaderBlock:
			fmt.Println("header: ", b.Text.Text)
		case *slackgo.SectionBlock:
			if b.Text != nil {
				fmt.Println("section:", b.Text.Text)
			}
			for _, f := range b.Fields {
				fmt.Printf("field:   %q\n", f.Text)
			}
		}
	}
	// Output:
	// #gitops-updates
	// header:  Kustomization my-app-kustomization failed in production
	// section: &lt;!channel&gt; rollout stuck
	// field:   "*Revision*\n<https://github.com/example/fleet/commit/2f3c5e7a9b1d4f6e8a0c2b4d6f8e0a1c3b5d7f9e|main@2f3c5e7>"
}

// Render shows the exact body without any network, as a dry run does; a
// notifier built without credentials renders but does not send.
func ExampleNotifier_Render() {
	r := provider.NewRegistry()
	if err := slack.Register(r); err != nil {
		fmt.Println(err)
		return
	}
	p := &provider.Provider{
		ObjectMeta: metav1.ObjectMeta{Name: "slack", Namespace: "flux-system"},
		Spec:       provider.Spec{Type: slack.Type, Username: "Flux"},
	}
	notifier, err := r.New(p, provider.Credentials{})
	if err != nil {
		fmt.Println(err)
		return
	}
	e := failedKustomization()
	e.Metadata = nil
	body, err := notifier.(provider.Renderer).Render(provider.NewNotification(e, nil, p, nil, provider.Context{}))
	fmt.Println(string(body), err)

	err = notifier.Notify(context.Background(), provider.NewNotification(e, nil, p, nil, provider.Context{}))
	fmt.Println(err)
	// Output:
	// {"username":"Flux","attachments":[{"color":"danger","fallback":"kustomization/my-app-kustomization.flux-system: Health check failed after 5m0s: timeout waiting for: [Deployment/my-app/my-app-deployment status: 'InProgress']","author_name":"kustomization/my-app-kustomization.flux-system","text":"Health check failed after 5m0s: timeout waiting for: [Deployment/my-app/my-app-deployment status: 'InProgress']","mrkdwn_in":["text"]}]} <nil>
	// slack unconfigured: no webhook address nor bot token: set spec.secretRef (key "address", "url" or "token") or spec.address
}
