// Package outagetest is the outage scenario of the stateful Slack features,
// shared by the tests of the root module (memory and file stores) and of
// examples/fluxnotify (Redis): many Kustomizations fail within the group
// wait, repeat their failures, then recover, through Dispatchers with
// threads, transitions and groups, against a slacktest.Server.
package outagetest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
	"github.com/fluxnotify/fluxnotify/state"
)

// Objects is how many Kustomizations fail.
const Objects = 500

// Repeats is how many error events each failing object sends.
const Repeats = 3

// MaxObjects is spec.delivery.group.maxObjects of the scenario's alert.
const MaxObjects = 50

// WantCalls is the number of Slack calls the scenario makes: the failures
// of the Objects in Objects/MaxObjects messages, their recoveries in as
// many, then one object failing alone (the root of its thread) and
// recovering (a reply in the thread, and chat.update of the root).
const WantCalls = 2*Objects/MaxObjects + 3

// Config is the scenario's configuration: one alert on every
// Kustomization (info and more) with threads (errors broadcast),
// transitions, and groups (wait 30s, interval 5m, MaxObjects), through a
// Slack provider with a bot token posting to srv.
func Config(srv *slacktest.Server) *fluxnotify.Config {
	return &fluxnotify.Config{
		Alerts: []alert.Alert{{
			TypeMeta:   metav1.TypeMeta{APIVersion: alert.Group + "/v1beta3", Kind: alert.Kind},
			ObjectMeta: metav1.ObjectMeta{Namespace: "flux-system", Name: "outage"},
			Spec: alert.Spec{
				ProviderRef:   corev1.LocalObjectReference{Name: "slack"},
				EventSeverity: alert.Threshold("info"),
				EventSources:  []alert.CrossNamespaceObjectReference{{Kind: "Kustomization", Name: "*"}},
				Delivery: &alert.Delivery{
					Thread:      &alert.Thread{Enabled: true, BroadcastErrors: true},
					Transitions: true,
					Group: &alert.Grouping{
						Wait:       metav1.Duration{Duration: 30 * time.Second},
						Interval:   metav1.Duration{Duration: 5 * time.Minute},
						MaxObjects: MaxObjects,
					},
				},
			},
		}},
		Providers: []provider.Provider{{
			TypeMeta:   metav1.TypeMeta{APIVersion: alert.Group + "/v1beta3", Kind: provider.Kind},
			ObjectMeta: metav1.ObjectMeta{Namespace: "flux-system", Name: "slack"},
			Spec: provider.Spec{
				Type: "slack", Channel: "#outages",
				SecretRef: &corev1.LocalObjectReference{Name: "slack-token"},
			},
		}},
		Secrets: []corev1.Secret{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "flux-system", Name: "slack-token"},
			StringData: map[string]string{"token": "xoxb-outage", "address": srv.PostMessageURL()},
		}},
	}
}

// Name is the name of object i.
func Name(i int) string { return fmt.Sprintf("app-%03d", i) }

// Event is an event of object name.
func Event(name, severity, message string) *event.Event {
	return &event.Event{
		InvolvedObject: corev1.ObjectReference{
			APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization", Namespace: "flux-system", Name: name,
		},
		Severity:            severity,
		Timestamp:           metav1.Now(),
		Message:             message,
		Reason:              "HealthCheckFailed",
		ReportingController: "kustomize-controller",
		Metadata:            map[string]string{"kustomize.toolkit.fluxcd.io/revision": "main@sha1:2f3c4d5e"},
	}
}

// Phase sends through the Dispatcher new(i) the events of every object
// i (0 <= i < Objects), Repeats error events each (fail) or one info event
// (recover), with Enqueue, then waits until they are handled and sends the
// groups (Flush stands for the group wait's timer).
func Phase(t *testing.T, dispatchers []*fluxnotify.Dispatcher, fail bool) {
	t.Helper()
	ctx := context.Background()
	for r := range Repeats {
		if !fail && r > 0 {
			break
		}
		for i := range Objects {
			d := dispatchers[(i+r)%len(dispatchers)]
			e := Event(Name(i), "info", "reconciliation succeeded")
			if fail {
				e = Event(Name(i), "error", fmt.Sprintf("health check failed (%d)", r))
			}
			if err := d.Enqueue(ctx, e); err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
		}
	}
	Drain(t, dispatchers)
	for _, d := range dispatchers {
		if err := d.Flush(ctx); err != nil {
			t.Fatalf("Flush: %v", err)
		}
	}
}

// Drain waits until the dispatchers have handled every enqueued event.
func Drain(t *testing.T, dispatchers []*fluxnotify.Dispatcher) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for _, d := range dispatchers {
		for n, _ := d.Pending(); n > 0; n, _ = d.Pending() {
			if time.Now().After(deadline) {
				t.Fatalf("%d events still pending", n)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// Alone makes one more object fail alone, then recover: it gets a thread.
func Alone(t *testing.T, dispatchers []*fluxnotify.Dispatcher) {
	t.Helper()
	ctx := context.Background()
	for i, sev := range []string{"error", "info"} {
		d := dispatchers[i%len(dispatchers)]
		if _, err := d.Dispatch(ctx, Event("lonely", sev, "lonely "+sev)); err != nil {
			t.Fatalf("Dispatch: %v", err)
		}
		if err := d.Flush(ctx); err != nil {
			t.Fatalf("Flush: %v", err)
		}
	}
}

// Observer records the failed Results of the Dispatchers.
type Observer struct {
	mu     sync.Mutex
	failed []fluxnotify.Result
}

// Options are the options that make a Dispatcher of the scenario.
func (o *Observer) Options(s state.Store) []fluxnotify.Option {
	return []fluxnotify.Option{
		fluxnotify.WithStore(s),
		fluxnotify.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		fluxnotify.WithObserver(func(_ context.Context, r fluxnotify.Result) {
			if r.Err != nil {
				o.mu.Lock()
				o.failed = append(o.failed, r)
				o.mu.Unlock()
			}
		}),
	}
}

// Check verifies what Slack received: WantCalls calls, every object named
// as failing then as recovered after Repeats failures, the lonely object in
// a thread whose root shows its recovery, and no failed delivery.
func (o *Observer) Check(t *testing.T, srv *slacktest.Server) {
	t.Helper()
	o.mu.Lock()
	for _, r := range o.failed {
		t.Errorf("delivery failed: %v", r.Err)
	}
	o.mu.Unlock()
	reqs := srv.Requests()
	if len(reqs) != WantCalls {
		t.Errorf("%d Slack calls, want %d", len(reqs), WantCalls)
	}
	var failing, recovered strings.Builder
	for _, r := range srv.Posted() {
		if len(r.Message.Attachments) == 0 {
			continue
		}
		text := r.Message.Attachments[0].Text
		switch {
		case strings.Contains(text, "failing since"):
			failing.WriteString(text)
		case strings.Contains(text, "recovered at"):
			recovered.WriteString(text)
		}
	}
	for i := range Objects {
		obj := "Kustomization/flux-system/" + Name(i)
		if !strings.Contains(failing.String(), obj+": failing since") {
			t.Errorf("%s is not named as failing", obj)
		}
		if !regexp.MustCompile(regexp.QuoteMeta(obj) + fmt.Sprintf(`: recovered at [^\n]* after %d failures`, Repeats)).MatchString(recovered.String()) {
			t.Errorf("%s is not named as recovered after %d failures", obj, Repeats)
		}
	}
	var root string
	for _, r := range srv.Posted() {
		if strings.Contains(r.Message.Text, "Kustomization/flux-system/lonely") {
			root = r.TS
		}
	}
	if root == "" {
		t.Fatalf("the lonely object has no thread")
	}
	if n := len(srv.Replies(root)); n != 1 {
		t.Errorf("%d replies in the lonely object's thread, want 1 (its recovery)", n)
	}
	if u := srv.Updates(root); len(u) != 1 || !strings.Contains(u[0].Message.Text, "recovered at") {
		t.Errorf("the root of the lonely object's thread does not show its recovery: %+v", u)
	}
}
