package providertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/provider"
)

// Message is the message of the event the kit delivers. What arrives must
// contain it verbatim; it has no character that JSON, Slack mrkdwn or a URL
// would escape.
const Message = "providertest health check failed after 10s"

// HeaderName is the header the kit's default Credentials set, with a secret
// value.
const HeaderName = "X-Providertest-Auth"

// RetryAfter is what the kit's server asks for when it answers 429.
const RetryAfter = 7 * time.Second

// DefaultGuard is the default of Harness.Guard.
const DefaultGuard = 20 * time.Second

// Harness connects the kit to the notifier under test.
type Harness struct {
	// New builds the notifier under test (required). It has the signature
	// of a provider.Factory, so a registered factory can be used as is.
	New provider.Factory

	// Provider is the Provider handed to New; the kit sets its name and
	// namespace when empty. Optional.
	Provider *provider.Provider

	// Credentials builds the credentials for the kit's server at baseURL
	// ("http://127.0.0.1:port") from the secrets the kit chose; put them
	// where the notifier keeps its secrets, since the leak checks look for
	// them. By default the address is baseURL + "/hooks/" + s.Path, with
	// s.Token as the token and s.Header under HeaderName. Optional.
	Credentials func(baseURL string, s Secrets) provider.Credentials

	// Respond writes the server's answer to a successful delivery. By
	// default: 200 with the body "ok", as a Slack incoming webhook answers.
	// Optional.
	Respond http.HandlerFunc

	// Inspect checks what arrived for one delivery of n, for example that
	// the body is the JSON the destination expects. For a Local notifier,
	// Request.Body is the entry that arrived. Optional.
	Inspect func(r Request, n *provider.Notification) error

	// Local describes the destination of a notifier that does not speak
	// HTTP. Optional.
	Local *Local

	// Guard bounds the wait for a Notify that does not return, so that a
	// notifier that ignores cancellation fails instead of hanging the test;
	// DefaultGuard when zero. It is not a measure of speed.
	Guard time.Duration
}

// Local is the destination of a notifier that does not speak HTTP, such as
// a file.
type Local struct {
	// Address returns a new, empty destination, handed to the notifier as
	// Credentials.Address (for example a file in a temporary folder).
	Address func() string
	// Received returns what arrived at address: one entry per notification.
	Received func(address string) ([]string, error)
}

// Secrets are the secret values the kit hands to the notifier. No error the
// notifier returns may contain any of them.
type Secrets struct {
	// Path is the secret part of the webhook URL path.
	Path string
	// Token is the token.
	Token string
	// Header is the value of the secret header.
	Header string
}

func (s Secrets) values() []string { return []string{s.Path, s.Token, s.Header} }

// Request is one request the kit's server received.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the URL path as received, including any secret part.
	Path string
	// Header holds the request's headers.
	Header http.Header
	// Body is the request's body (at most 4 MiB of it).
	Body []byte
}

// validate checks the harness itself.
func (h Harness) validate() error {
	if h.New == nil {
		return errors.New("providertest: Harness.New is nil")
	}
	if h.Local != nil && (h.Local.Address == nil || h.Local.Received == nil) {
		return errors.New("providertest: Harness.Local needs Address and Received")
	}
	return nil
}

// Run runs every case that applies to h as a subtest of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if err := h.validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases(h) {
		t.Run(c.name, func(t *testing.T) {
			if err := c.run(newEnv(h)); err != nil {
				t.Error(err)
			}
		})
	}
}

// Check runs every case that applies to h and returns every failure, each
// naming its case; nil when the notifier conforms.
func Check(h Harness) error {
	if err := h.validate(); err != nil {
		return err
	}
	var errs []error
	for _, c := range cases(h) {
		if err := c.run(newEnv(h)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.name, err))
		}
	}
	return errors.Join(errs...)
}

type testCase struct {
	name string
	run  func(*env) error
}

func cases(h Harness) []testCase {
	all := []testCase{
		{"Delivers", delivers},
		{"ConcurrentUse", concurrent},
		{"CanceledBeforeRequest", canceledBefore},
		{"DryRunCredentials", dryRun},
	}
	if h.Local != nil {
		return all
	}
	return append(all,
		testCase{"CanceledDuringRequest", canceledDuring},
		testCase{"ServerErrorIsRetryable", statusCase(http.StatusInternalServerError, true)},
		testCase{"RateLimitIsRetryable", statusCase(http.StatusTooManyRequests, true)},
		testCase{"BadRequestIsPermanent", statusCase(http.StatusBadRequest, false)},
		testCase{"NotFoundIsPermanent", statusCase(http.StatusNotFound, false)},
		testCase{"UnreachableIsRetryable", unreachable},
		testCase{"EchoedSecretsAreRedacted", echoed},
	)
}

// env is one case's destination and secrets.
type env struct {
	h       Harness
	secrets Secrets
}

func newEnv(h Harness) *env {
	return &env{h: h, secrets: Secrets{
		Path:   "T0KIT/B0KIT/" + randomHex(),
		Token:  "xoxb-kit-" + randomHex(),
		Header: "kit-header-" + randomHex(),
	}}
}

func randomHex() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// destination is where one case delivers: the kit's server or a Local one.
type destination struct {
	creds    provider.Credentials
	received func() ([]Request, error)
	close    func()
}

// serve starts a loopback server answering with respond (the harness's
// success answer when nil).
func (e *env) serve(respond http.HandlerFunc) *destination {
	if respond == nil {
		respond = e.h.Respond
	}
	if respond == nil {
		respond = func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "ok")
		}
	}
	var mu sync.Mutex
	var got []Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		mu.Lock()
		got = append(got, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		mu.Unlock()
		respond(w, r)
	}))
	return &destination{
		creds: e.credentials(srv.URL),
		received: func() ([]Request, error) {
			mu.Lock()
			defer mu.Unlock()
			return append([]Request(nil), got...), nil
		},
		close: srv.Close,
	}
}

func (e *env) credentials(baseURL string) provider.Credentials {
	if e.h.Credentials != nil {
		return e.h.Credentials(baseURL, e.secrets)
	}
	return provider.Credentials{
		Address: baseURL + "/hooks/" + e.secrets.Path,
		Token:   e.secrets.Token,
		Headers: map[string]string{HeaderName: e.secrets.Header},
	}
}

// dest returns the case's destination: Local, or a server answering with
// the harness's success answer.
func (e *env) dest() *destination {
	if l := e.h.Local; l != nil {
		addr := l.Address()
		c := e.credentials("")
		c.Address = addr
		return &destination{
			creds: c,
			received: func() ([]Request, error) {
				entries, err := l.Received(addr)
				out := make([]Request, len(entries))
				for i, s := range entries {
					out[i] = Request{Body: []byte(s)}
				}
				return out, err
			},
			close: func() {},
		}
	}
	return e.serve(nil)
}

func (e *env) provider() *provider.Provider {
	p := &provider.Provider{}
	if e.h.Provider != nil {
		p = e.h.Provider.DeepCopy()
	}
	if p.Name == "" {
		p.Name = "providertest"
	}
	if p.Namespace == "" {
		p.Namespace = "flux-system"
	}
	if p.Spec.Type == "" {
		p.Spec.Type = "providertest"
	}
	return p
}

func (e *env) notifier(c provider.Credentials) (provider.Notifier, *provider.Provider, error) {
	p := e.provider()
	n, err := e.h.New(p, c)
	if err != nil {
		return nil, nil, fmt.Errorf("New: %w", e.redactErr(err, c))
	}
	if n == nil {
		return nil, nil, errors.New("New returned a nil Notifier and no error")
	}
	return n, p, nil
}

// notification is the kit's notification: a Kustomization error with Flux
// metadata, matched by an alert with a summary.
func notification(p *provider.Provider) *provider.Notification {
	e := event.New(
		corev1.ObjectReference{
			APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization",
			Name: "apps", Namespace: "flux-system",
		},
		event.SeverityError, "HealthCheckFailed", Message,
		event.WithController("kustomize-controller"),
		event.WithTimestamp(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
		event.WithRevision("main@sha1:0123456789abcdef0123456789abcdef01234567"),
	)
	a := &alert.Alert{
		ObjectMeta: metav1.ObjectMeta{Name: "providertest", Namespace: "flux-system"},
		Spec: alert.Spec{
			ProviderRef:  corev1.LocalObjectReference{Name: p.Name},
			EventSources: []alert.CrossNamespaceObjectReference{{Kind: "Kustomization", Name: "*"}},
			Summary:      "providertest",
		},
	}
	return provider.NewNotification(e, a, p, nil, provider.Context{Cluster: "providertest"})
}

func (e *env) guard() time.Duration {
	if e.h.Guard > 0 {
		return e.h.Guard
	}
	return DefaultGuard
}

// wait runs f and waits for it, at most the guard.
func (e *env) wait(f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	t := time.NewTimer(e.guard())
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("Notify did not return within %s", e.guard())
	}
}

// leak returns an error when the text of err shows one of the kit's
// secrets. The rest of an address (scheme, host, a non-secret API path such
// as /api/chat.postMessage) may be shown.
func (e *env) leak(err error) error {
	if err == nil {
		return nil
	}
	text := err.Error() + "\n" + fmt.Sprintf("%v %+v %s", err, err, err)
	for _, s := range e.secrets.values() {
		if s != "" && strings.Contains(text, s) {
			return fmt.Errorf("the error shows a secret: %s", provider.Redact(err.Error(), e.secrets.values()...))
		}
	}
	return nil
}

// redactErr keeps the kit's own report free of the secrets too.
func (e *env) redactErr(err error, c provider.Credentials) error {
	if err == nil {
		return nil
	}
	return errors.New(provider.Redact(err.Error(), append(e.secrets.values(), c.Secrets()...)...))
}

func delivers(e *env) error {
	d := e.dest()
	defer d.close()
	n, p, err := e.notifier(d.creds)
	if err != nil {
		return err
	}
	note := notification(p)
	before, err := snapshot(note)
	if err != nil {
		return err
	}
	if err := e.wait(func() error { return n.Notify(context.Background(), note) }); err != nil {
		return fmt.Errorf("Notify: %w", e.redactErr(err, d.creds))
	}
	after, err := snapshot(note)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(before, after) {
		return errors.New("Notify modified the Notification: it is shared, and must be read only")
	}
	got, err := d.received()
	if err != nil {
		return fmt.Errorf("reading what arrived: %w", err)
	}
	if len(got) != 1 {
		return fmt.Errorf("one Notify delivered %d times, want exactly once", len(got))
	}
	if !strings.Contains(string(got[0].Body), Message) {
		return fmt.Errorf("what arrived does not contain the event's message %q:\n%s", Message, e.redactErr(errors.New(string(got[0].Body)), d.creds))
	}
	if e.h.Inspect != nil {
		if err := e.h.Inspect(got[0], note); err != nil {
			return fmt.Errorf("Inspect: %w", err)
		}
	}
	if r, ok := n.(provider.Renderer); ok && e.h.Local == nil {
		body, err := r.Render(note)
		if err != nil {
			return fmt.Errorf("Render: %w", e.redactErr(err, d.creds))
		}
		if string(body) != string(got[0].Body) {
			return fmt.Errorf("Render and Notify disagree:\nrendered:  %s\ndelivered: %s", body, got[0].Body)
		}
	}
	return nil
}

// snapshot captures what a notifier could modify in place.
func snapshot(n *provider.Notification) (string, error) {
	b, err := json.Marshal(struct {
		Event    *event.Event
		Metadata map[string]string
		Channel  string
		Alert    *alert.Alert
		Provider *provider.Provider
	}{n.Data.Event, n.Data.Metadata, n.Data.Channel, n.Alert, n.Provider})
	return string(b), err
}

func concurrent(e *env) error {
	const workers = 8
	d := e.dest()
	defer d.close()
	n, p, err := e.notifier(d.creds)
	if err != nil {
		return err
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			errs[i] = e.wait(func() error { return n.Notify(context.Background(), notification(p)) })
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("Notify: %w", e.redactErr(err, d.creds))
	}
	got, err := d.received()
	if err != nil {
		return fmt.Errorf("reading what arrived: %w", err)
	}
	if len(got) != workers {
		return fmt.Errorf("%d concurrent Notify calls delivered %d times", workers, len(got))
	}
	return nil
}

// canceled checks the error of a canceled Notify.
func (e *env) canceled(err error, c provider.Credentials) error {
	if err == nil {
		return errors.New("Notify with a canceled context returned nil")
	}
	if lerr := e.leak(err); lerr != nil {
		return lerr
	}
	var pe *provider.Error
	if errors.Is(err, context.Canceled) || (errors.As(err, &pe) && !pe.Retryable) {
		return nil
	}
	return fmt.Errorf("a canceled Notify returned %q: want an error that satisfies errors.Is(err, context.Canceled), or a permanent *provider.Error", e.redactErr(err, c))
}

func canceledBefore(e *env) error {
	d := e.dest()
	defer d.close()
	n, p, err := e.notifier(d.creds)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = e.wait(func() error { return n.Notify(ctx, notification(p)) })
	if err := e.canceled(err, d.creds); err != nil {
		return err
	}
	got, err := d.received()
	if err != nil {
		return fmt.Errorf("reading what arrived: %w", err)
	}
	if len(got) != 0 {
		return fmt.Errorf("Notify with a canceled context delivered %d times, want none", len(got))
	}
	return nil
}

func canceledDuring(e *env) error {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	d := e.serve(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default: // a further request must not block the server's Close
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	defer d.close()
	defer close(release)
	n, p, err := e.notifier(d.creds)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- n.Notify(ctx, notification(p)) }()
	select {
	case <-arrived:
	case err := <-done:
		return fmt.Errorf("Notify returned before its request arrived: %v", e.redactErr(err, d.creds))
	case <-time.After(e.guard()):
		return fmt.Errorf("no request arrived within %s", e.guard())
	}
	cancel()
	select {
	case err := <-done:
		return e.canceled(err, d.creds)
	case <-time.After(e.guard()):
		return fmt.Errorf("Notify did not return within %s of its context being canceled", e.guard())
	}
}

func statusCase(status int, retryable bool) func(*env) error {
	return func(e *env) error {
		d := e.serve(func(w http.ResponseWriter, _ *http.Request) {
			if status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", fmt.Sprint(int(RetryAfter/time.Second)))
			}
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_"))
		})
		defer d.close()
		n, p, err := e.notifier(d.creds)
		if err != nil {
			return err
		}
		err = e.wait(func() error { return n.Notify(context.Background(), notification(p)) })
		if err == nil {
			return fmt.Errorf("Notify returned nil for HTTP %d", status)
		}
		if lerr := e.leak(err); lerr != nil {
			return lerr
		}
		var pe *provider.Error
		if !errors.As(err, &pe) {
			return fmt.Errorf("HTTP %d gave %q: want a *provider.Error", status, e.redactErr(err, d.creds))
		}
		if pe.StatusCode != status {
			return fmt.Errorf("HTTP %d gave a *provider.Error with StatusCode %d", status, pe.StatusCode)
		}
		if pe.Retryable != retryable || provider.IsRetryable(err) != retryable {
			return fmt.Errorf("HTTP %d gave Retryable=%t, want %t", status, pe.Retryable, retryable)
		}
		if status == http.StatusTooManyRequests && pe.RetryAfter != RetryAfter {
			return fmt.Errorf("HTTP 429 with Retry-After: %d gave RetryAfter %s, want %s", int(RetryAfter/time.Second), pe.RetryAfter, RetryAfter)
		}
		if got, _ := d.received(); len(got) != 1 {
			return fmt.Errorf("one Notify made %d requests, want exactly one (retries belong to provider.Deliver)", len(got))
		}
		return nil
	}
}

// echoed answers with a short plain-text error that repeats the request's
// secrets, as some servers do ("no hook at /hooks/..."): the notifier must
// not pass them on in its error, even as the destination's error code.
func echoed(e *env) error {
	d := e.serve(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNotFound)
		_, _ = fmt.Fprintf(w, "no hook at %s (auth %s %s)", r.URL.Path, r.Header.Get("Authorization"), r.Header.Get(HeaderName))
	})
	defer d.close()
	n, p, err := e.notifier(d.creds)
	if err != nil {
		return err
	}
	err = e.wait(func() error { return n.Notify(context.Background(), notification(p)) })
	if err == nil {
		return errors.New("Notify returned nil for HTTP 404")
	}
	return e.leak(err)
}

func unreachable(e *env) error {
	d := e.serve(nil)
	d.close() // nothing listens at the address any more
	n, p, err := e.notifier(d.creds)
	if err != nil {
		return err
	}
	err = e.wait(func() error { return n.Notify(context.Background(), notification(p)) })
	if err == nil {
		return errors.New("Notify to an unreachable server returned nil")
	}
	if lerr := e.leak(err); lerr != nil {
		return lerr
	}
	if !provider.IsRetryable(err) {
		return fmt.Errorf("an unreachable server gave a permanent error %q: want a retryable one", e.redactErr(err, d.creds))
	}
	return nil
}

func dryRun(e *env) error {
	n, p, err := e.notifier(provider.Credentials{})
	if err != nil {
		return fmt.Errorf("with zero Credentials (a dry run): %w: a factory must succeed and leave the error to Notify", err)
	}
	err = e.wait(func() error { return n.Notify(context.Background(), notification(p)) })
	if err == nil {
		return errors.New("Notify with zero Credentials returned nil")
	}
	if provider.IsRetryable(err) {
		return fmt.Errorf("Notify with zero Credentials gave a retryable error %q: a missing address is permanent", err)
	}
	return nil
}
