package slacktest_test

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"

	corev1 "k8s.io/api/core/v1"
)

// A Slack that is rate limited once: the delivery waits (Retry-After,
// capped by the policy) and succeeds on the second attempt.
func ExampleNewServer() {
	srv := slacktest.NewServer()
	defer srv.Close()
	srv.Respond(1, slacktest.TooManyRequests("1"))

	p := &provider.Provider{
		ObjectMeta: metav1.ObjectMeta{Name: "slack", Namespace: "flux-system"},
		Spec:       provider.Spec{Type: slack.Type},
	}
	notifier, err := slack.New(p, provider.Credentials{Address: srv.WebhookURL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer notifier.CloseIdleConnections()

	e := event.New(corev1.ObjectReference{Kind: "HelmRelease", Namespace: "apps", Name: "podinfo"},
		event.SeverityInfo, "UpgradeSucceeded", "Helm upgrade succeeded", event.WithController("helm-controller"))
	policy := provider.RetryPolicy{Retries: 3, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond}
	res, err := provider.Deliver(context.Background(), notifier, provider.NewNotification(e, nil, p, nil, provider.Context{}), policy, 0)
	fmt.Println("attempts:", res.Attempts, "error:", err)

	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.Path, r.Message.Attachments[0].AuthorName, r.Message.Attachments[0].Color)
	}
	fmt.Println("connections:", srv.Connections())
	// Output:
	// attempts: 2 error: <nil>
	// POST /services/T000/B000/XXX helmrelease/podinfo.apps good
	// POST /services/T000/B000/XXX helmrelease/podinfo.apps good
	// connections: 1
}
