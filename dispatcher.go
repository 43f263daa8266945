package fluxnotify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack"
	"github.com/fluxnotify/fluxnotify/template"
)

// ErrDuplicate is returned by Dispatch, without delivering anything, for an
// event already seen within the deduplication window (see WithDedupWindow).
// The event endpoint answers it with 429 Too Many Requests, as Flux does.
var ErrDuplicate = errors.New("duplicate event within the deduplication window")

// ErrSuspended is wrapped by the Err of a Result (or Route) whose provider
// has spec.suspend set: the alert matched, and nothing was sent on purpose.
var ErrSuspended = errors.New("provider is suspended")

// ErrWorkloadIdentity is wrapped by the Err of a Result (or Route) whose
// provider sets spec.serviceAccountName while object-level workload
// identity is off: the default, as in Flux, where it is a feature gate.
// Nothing is sent, and it counts as a failure; see
// WithObjectLevelWorkloadIdentity.
var ErrWorkloadIdentity = errors.New("spec.serviceAccountName needs object-level workload identity, which is off (see WithObjectLevelWorkloadIdentity)")

// ErrClosed is returned by Dispatch after Close, and answered with 503 by
// the event endpoint.
var ErrClosed = errors.New("dispatcher is closed")

// DefaultConcurrency is how many deliveries run at once, across all events,
// when no WithConcurrency option is given.
const DefaultConcurrency = 64

// DefaultMaxPending is how many events the event endpoint holds accepted
// but not yet delivered when no WithMaxPending option is given.
const DefaultMaxPending = 10_000

// Option configures a Dispatcher. Options are checked once, by New.
type Option func(*options)

type options struct {
	mode          match.Mode
	secrets       provider.SecretGetter
	labeler       match.Labeler
	registry      *provider.Registry
	logger        *slog.Logger
	dedupWindow   time.Duration
	dedupCapacity int
	pctx          provider.Context
	concurrency   int
	maxPending    int
	retry         provider.RetryPolicy
	noCrossNS     bool
	workloadID    bool
}

// WithMode selects the matching semantics: match.Extended (the default) or
// match.Flux, which reproduces Flux's notification-controller exactly.
func WithMode(m match.Mode) Option { return func(o *options) { o.mode = m } }

// WithSecrets sets where provider Secrets are read at delivery time; a
// controller passes a getter backed by the cluster. By default the Secrets
// of the Config are used (and follow it through Update).
func WithSecrets(s provider.SecretGetter) Option { return func(o *options) { o.secrets = s } }

// WithLabeler sets the label lookup of event sources' matchLabels. Without
// it, alerts that need labels do not match, and Route says why.
func WithLabeler(l match.Labeler) Option { return func(o *options) { o.labeler = l } }

// WithRegistry sets the provider types the Dispatcher knows. By default it
// is a registry with slack, discord and rocket registered (slack.Register);
// to add your own types to them, create a registry, call slack.Register on
// it, then register yours. One of Flux's types that the registry lacks
// still routes (see New).
func WithRegistry(r *provider.Registry) Option { return func(o *options) { o.registry = r } }

// WithLogger sets the logger of deliveries (successes at Info, failures at
// Error) and configuration problems. The default is slog.Default(). Secrets
// never appear in what is logged.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithDedupWindow sets how long an event is remembered to drop duplicates
// (DefaultDedupWindow by default, as in Flux). Zero turns deduplication off.
func WithDedupWindow(d time.Duration) Option { return func(o *options) { o.dedupWindow = d } }

// WithDedupCapacity bounds how many distinct events deduplication remembers
// (DefaultDedupCapacity by default); when full, the oldest is forgotten
// first, so memory stays bounded whatever arrives.
func WithDedupCapacity(n int) Option { return func(o *options) { o.dedupCapacity = n } }

// WithCluster sets the cluster name that templates show as .Cluster.
func WithCluster(name string) Option { return func(o *options) { o.pctx.Cluster = name } }

// WithLinks sets the Git repository web URL (for commit links) and a
// dashboard URL pattern with "{kind}", "{namespace}" and "{name}"
// placeholders, which templates show as .Links.
func WithLinks(repositoryURL, dashboardURL string) Option {
	return func(o *options) { o.pctx.RepositoryURL, o.pctx.DashboardURL = repositoryURL, dashboardURL }
}

// WithConcurrency bounds how many deliveries run at once, across all events
// (DefaultConcurrency by default).
func WithConcurrency(n int) Option { return func(o *options) { o.concurrency = n } }

// WithMaxPending bounds how many events the event endpoint (Handler) holds
// accepted but not yet delivered (DefaultMaxPending by default); beyond it
// the endpoint answers 503, which Flux's event recorder retries.
func WithMaxPending(n int) Option { return func(o *options) { o.maxPending = n } }

// WithRetryPolicy sets the retries of each delivery (Flux's by default: 4
// retries, waits from 2 to 30 seconds; see provider.DefaultRetryPolicy).
func WithRetryPolicy(p provider.RetryPolicy) Option { return func(o *options) { o.retry = p } }

// WithNoCrossNamespaceRefs restricts every alert to events from its own
// namespace, like Flux's --no-cross-namespace-refs flag.
func WithNoCrossNamespaceRefs() Option { return func(o *options) { o.noCrossNS = true } }

// WithObjectLevelWorkloadIdentity lets providers that set
// spec.serviceAccountName deliver, like Flux's ObjectLevelWorkloadIdentity
// feature gate; it is off by default, as in Flux, and such providers then
// fail with ErrWorkloadIdentity. The built-in notifiers do not use the
// service account; a registered notifier may.
func WithObjectLevelWorkloadIdentity() Option { return func(o *options) { o.workloadID = true } }

// Dispatcher routes events to the alerts they match and delivers them
// through the alerts' providers:
//
//	cfg, err := fluxnotify.LoadFiles("notifications/")
//	d, err := fluxnotify.New(cfg, fluxnotify.WithCluster("prod-eu"))
//	defer d.Close(ctx)
//	routing, err := d.Route(ctx, ev)   // dry run: who would get ev, and why not
//	results, err := d.Dispatch(ctx, ev) // deliver, one Result per matched alert
//	http.ListenAndServe(":9090", d.Handler()) // or receive events from Flux
//
// It is safe for concurrent use; its configuration can be replaced with
// Update while events flow.
type Dispatcher struct {
	opts  options
	dedup *dedup
	sem   chan struct{}
	log   *slog.Logger

	state    atomic.Pointer[state]
	updateMu sync.Mutex    // serializes Update
	gen      atomic.Uint64 // generations of provider specs

	notifierMu sync.Mutex
	notifiers  map[objKey]*cachedNotifier

	mu      sync.RWMutex // guards closed against wg.Add
	closed  bool
	wg      sync.WaitGroup // deliveries in flight
	pending atomic.Int64   // events accepted by the Handler, not yet delivered
	base    context.Context
	cancel  context.CancelFunc
}

// objKey names a namespaced object without allocating.
type objKey struct{ namespace, name string }

func (k objKey) String() string { return k.namespace + "/" + k.name }

// state is one compiled configuration. It is never modified once built.
type state struct {
	matcher   *match.Matcher
	secrets   provider.SecretGetter
	routes    map[objKey]*route
	providers map[objKey]*providerState
	invalid   []Unmatched // alerts the matcher left out, with the reason
}

// route is where one valid alert delivers.
type route struct {
	alert *alert.Alert
	ref   objKey         // the provider it names
	prov  *providerState // nil when the provider does not exist
	tmpl  *template.Template
	err   error // why this alert cannot deliver, or nil
}

type providerState struct {
	p *provider.Provider
	// gen changes when the provider's spec does, to tell when a cached
	// notifier is stale; it stays the same across Updates that keep it.
	gen     uint64
	tmpl    *template.Template
	typeErr error // the type is unknown: neither Flux's nor registered
	tmplErr error // the template does not parse

	// noNotifier wraps provider.ErrNoNotifier for a Flux type that no
	// registered notifier delivers: not a configuration problem.
	noNotifier error
}

type cachedNotifier struct {
	gen   uint64
	creds provider.Credentials
	n     provider.Notifier
}

// New compiles cfg into a Dispatcher: it compiles the alerts' matcher and
// parses every template once.
//
// One bad object never stops the others. New returns a working Dispatcher
// together with a joined error that lists every configuration problem,
// each naming the object and the field (an invalid alert, an alert whose
// provider does not exist, a template that does not parse, an unknown
// provider type, wrapping provider.ErrUnknownType); the alerts concerned
// are reported by Route, and by Dispatch as failed Results, while the rest
// deliver. New returns a nil
// Dispatcher only when an option is invalid. A nil cfg is an empty
// configuration.
//
// A provider of one of Flux's types that no registered notifier delivers
// (see provider.FluxTypes) is not a problem: its alerts route, Route marks
// them with Notifier false, and Dispatch reports them as failed Results
// wrapping provider.ErrNoNotifier while the other alerts deliver.
//
// Call Close when done, to wait for deliveries in flight.
func New(cfg *Config, opts ...Option) (*Dispatcher, error) {
	o := options{
		dedupWindow: DefaultDedupWindow,
		concurrency: DefaultConcurrency,
		maxPending:  DefaultMaxPending,
	}
	for _, opt := range opts {
		opt(&o)
	}
	var bad []error
	if o.concurrency <= 0 {
		bad = append(bad, fmt.Errorf("fluxnotify: WithConcurrency(%d): must be at least 1", o.concurrency))
	}
	if o.maxPending <= 0 {
		bad = append(bad, fmt.Errorf("fluxnotify: WithMaxPending(%d): must be at least 1", o.maxPending))
	}
	if o.dedupWindow < 0 {
		bad = append(bad, fmt.Errorf("fluxnotify: WithDedupWindow(%s): must not be negative", o.dedupWindow))
	}
	if o.mode != match.Extended && o.mode != match.Flux {
		bad = append(bad, fmt.Errorf("fluxnotify: WithMode(%s): want match.Extended or match.Flux", o.mode))
	}
	if o.dedupCapacity < 0 {
		bad = append(bad, fmt.Errorf("fluxnotify: WithDedupCapacity(%d): must not be negative", o.dedupCapacity))
	}
	if len(bad) > 0 {
		return nil, errors.Join(bad...)
	}
	if o.registry == nil {
		o.registry = defaultRegistry()
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	o.pctx.Flux = o.mode == match.Flux // metadata cleaned as Flux cleans it
	d := &Dispatcher{
		opts:      o,
		sem:       make(chan struct{}, o.concurrency),
		log:       o.logger,
		notifiers: make(map[objKey]*cachedNotifier),
	}
	if o.dedupWindow > 0 {
		d.dedup = newDedup(o.dedupWindow, o.dedupCapacity)
		d.dedup.flux = o.mode == match.Flux // Flux's eventKeyFunc
	}
	d.base, d.cancel = context.WithCancel(context.Background())
	st, err := d.compile(cfg)
	d.state.Store(st)
	return d, err
}

// Update replaces the configuration atomically: events already being
// routed finish with the configuration they started with, the next ones
// use cfg. Like New, it keeps every valid part of cfg and returns the
// problems of the rest. A controller watching Alert, Provider and Secret
// objects calls it on every change.
func (d *Dispatcher) Update(cfg *Config) error {
	d.updateMu.Lock()
	defer d.updateMu.Unlock()
	st, err := d.compile(cfg)
	d.state.Store(st)
	// Drop the notifiers of providers that are gone or changed, so their
	// connections are not kept for nothing.
	d.notifierMu.Lock()
	for k, c := range d.notifiers {
		if ps, ok := st.providers[k]; !ok || ps.gen != c.gen {
			closeIdle(c.n)
			delete(d.notifiers, k)
		}
	}
	d.notifierMu.Unlock()
	return err
}

// compile builds the state of cfg and the joined error of its problems.
func (d *Dispatcher) compile(cfg *Config) (*state, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	prev := d.state.Load() // nil in New
	var problems []error
	st := &state{
		routes:    make(map[objKey]*route, len(cfg.Alerts)),
		providers: make(map[objKey]*providerState, len(cfg.Providers)),
		secrets:   d.opts.secrets,
	}
	if st.secrets == nil {
		// Copies, so that the state does not change if the caller reuses cfg.
		secrets := make([]corev1.Secret, len(cfg.Secrets))
		for i := range cfg.Secrets {
			cfg.Secrets[i].DeepCopyInto(&secrets[i])
		}
		st.secrets = provider.StaticSecrets(secrets...)
	}

	for i := range cfg.Providers {
		p := cfg.Providers[i].DeepCopy()
		k := objKey{p.Namespace, p.Name}
		if _, dup := st.providers[k]; dup {
			problems = append(problems, fmt.Errorf("provider %s: defined more than once; the first definition is used", k))
			continue
		}
		ps := &providerState{p: p, gen: d.gen.Add(1)}
		if prev != nil {
			if old := prev.providers[k]; old != nil && reflect.DeepEqual(old.p.Spec, p.Spec) {
				ps.gen = old.gen
			}
		}
		if err := d.opts.registry.CheckType(p.Spec.Type); errors.Is(err, provider.ErrNoNotifier) {
			ps.noNotifier = fmt.Errorf("provider %s: %w", k, err)
		} else if err != nil {
			ps.typeErr = fmt.Errorf("provider %s: %w", k, err)
		}
		if !p.Spec.Template.IsZero() {
			var err error
			if ps.tmpl, err = template.Parse(p.Spec.Template); err != nil {
				ps.tmplErr = templateError("provider", k, err)
			}
		}
		for _, err := range []error{ps.typeErr, ps.tmplErr} {
			if err != nil {
				problems = append(problems, err)
			}
		}
		st.providers[k] = ps
	}

	mopts := []match.Option{match.WithMode(d.opts.mode)}
	if d.opts.labeler != nil {
		mopts = append(mopts, match.WithLabeler(d.opts.labeler))
	}
	if d.opts.noCrossNS {
		mopts = append(mopts, match.WithNoCrossNamespaceRefs())
	}
	m, err := match.Compile(cfg.Alerts, mopts...)
	if m == nil { // the contract says never, but a nil matcher must not panic later
		m, _ = match.Compile(nil, mopts...)
	}
	st.matcher = m
	if err != nil {
		problems = append(problems, err)
	}

	st.invalid = invalidAlerts(err)
	for _, a := range m.Alerts() {
		k := objKey{a.Namespace, a.Name}
		if _, dup := st.routes[k]; dup {
			problems = append(problems, fmt.Errorf("alert %s: defined more than once; the first definition is used", k))
			continue
		}
		r := &route{alert: a, ref: objKey{a.Namespace, a.Spec.ProviderRef.Name}}
		r.prov = st.providers[r.ref]
		switch {
		case r.prov == nil:
			r.err = fmt.Errorf("alert %s: spec.providerRef.name: %w: no Provider %q in namespace %s", k, ErrProviderNotFound, a.Spec.ProviderRef.Name, a.Namespace)
			problems = append(problems, r.err)
		case r.prov.typeErr != nil:
			r.err = fmt.Errorf("alert %s: %w", k, r.prov.typeErr)
		case !a.Spec.Template.IsZero():
			// The alert's template replaces the provider's as a whole.
			if r.tmpl, err = template.Parse(a.Spec.Template); err != nil {
				r.err = templateError("alert", k, err)
				problems = append(problems, r.err)
			}
		case r.prov.tmplErr != nil:
			r.err = fmt.Errorf("alert %s: %w", k, r.prov.tmplErr)
		default:
			r.tmpl = r.prov.tmpl
		}
		st.routes[k] = r
	}
	return st, errors.Join(problems...)
}

// templateError names the object and the template's field at fault:
// "alert flux-system/x: spec.template.fields[1].value: ...".
func templateError(kind string, k objKey, err error) error {
	var fe *template.FieldError
	if errors.As(err, &fe) {
		return fmt.Errorf("%s %s: spec.template.%s: %w", kind, k, fe.Field, fe.Err)
	}
	return fmt.Errorf("%s %s: spec.template: %w", kind, k, err)
}

// invalidAlerts lists the alerts that match.Compile left out, each with its
// problems, in input order.
func invalidAlerts(err error) []Unmatched {
	var errs []*match.AlertError
	var walk func(error)
	walk = func(err error) {
		if ae, ok := err.(*match.AlertError); ok {
			errs = append(errs, ae)
			return
		}
		if u, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range u.Unwrap() {
				walk(e)
			}
			return
		}
		if e := errors.Unwrap(err); e != nil {
			walk(e)
		}
	}
	walk(err)
	slices.SortStableFunc(errs, func(a, b *match.AlertError) int { return a.Index - b.Index })
	out := make([]Unmatched, 0, len(errs))
	for _, ae := range errs {
		reasons := make([]string, len(ae.Fields))
		for i, fe := range ae.Fields {
			reasons[i] = fe.Error()
		}
		out = append(out, Unmatched{
			Alert:  objKey{ae.Namespace, ae.Name}.String(),
			Reason: "invalid: " + strings.Join(reasons, "; "),
		})
	}
	return out
}

// Routing is the outcome of a dry run (Route) for one event.
type Routing struct {
	// Routes are the alerts the event matches, in configuration order.
	Routes []Route
	// Unmatched are the other alerts, each with the reason, invalid alerts
	// last.
	Unmatched []Unmatched
}

// Route is one alert an event matches and what would be sent for it.
type Route struct {
	// Alert is the alert, as "namespace/name".
	Alert string `json:"alert"`
	// Provider is the alert's provider, as "namespace/name".
	Provider string `json:"provider"`
	// Type is the provider's type, for example "slack".
	Type string `json:"type"`
	// Channel is the resolved channel (the alert's, else the provider's,
	// else "" for the webhook's default).
	Channel string `json:"channel"`
	// Notifier reports whether a registered notifier delivers the
	// provider's type. It is false for one of Flux's types that none
	// delivers (Err then wraps provider.ErrNoNotifier, unless a rule skips
	// the event or the provider is suspended), and when the provider is
	// missing or its type unknown.
	Notifier bool `json:"notifier"`
	// Payload is the exact body that would be sent, when the provider's
	// notifier can render offline (see provider.Renderer); a body that is
	// not JSON (a custom notifier's plain text) is given as a JSON string.
	Payload json.RawMessage `json:"payload,omitempty"`
	// Err is why nothing would be sent, or why the payload could not be
	// rendered. It wraps ErrSuspended for a suspended provider,
	// provider.ErrSkipped (through a *provider.SkipError that names the
	// rule) when one of Flux's delivery rules skips the event (see
	// provider.Skip), ErrWorkloadIdentity, or provider.ErrNoNotifier.
	Err error `json:"-"`
}

// Unmatched is an alert that an event does not match.
type Unmatched struct {
	// Alert is the alert, as "namespace/name".
	Alert string `json:"alert"`
	// Reason says why, in words: "severity info is below error", "alert is
	// suspended", or the validation error of an invalid alert.
	Reason string `json:"reason"`
}

// Route is a dry run: it tells which alerts e matches, the provider,
// channel and exact payload of each, and why every other alert does not
// match. A matched alert that would send nothing is listed with the reason
// in its Err: a suspended provider, one of Flux's delivery rules that skips
// the event (provider.Skip), spec.serviceAccountName, or a type without a
// notifier (Notifier false). It reads no Secret and uses no network, so it
// answers "why did no Slack message arrive?" and tests alerts in CI. It fails only for an
// invalid event (wrapping event.ErrInvalid).
func (d *Dispatcher) Route(ctx context.Context, e *event.Event) (*Routing, error) {
	if err := d.validateEvent(e); err != nil {
		return nil, err
	}
	st := d.state.Load()
	out := &Routing{}
	for _, a := range st.matcher.Match(ctx, e) {
		r := st.routes[objKey{a.Namespace, a.Name}]
		if r == nil {
			continue // a duplicate definition; the first one routes
		}
		rt := Route{Alert: a.NamespacedName(), Provider: r.ref.String(), Err: r.err}
		if r.prov != nil {
			p := r.prov.p
			rt.Type, rt.Channel = p.Spec.Type, provider.Channel(a, p)
			rt.Notifier = r.prov.typeErr == nil && r.prov.noNotifier == nil
		}
		if r.err == nil && !r.prov.p.Spec.Suspend {
			if rt.Err = d.hold(e, r); rt.Err == nil {
				rt.Payload, rt.Err = d.render(e, r)
			}
		}
		if r.err == nil && r.prov.p.Spec.Suspend {
			// Flux checks suspension first; the payload is shown all the
			// same when a notifier can render it.
			if rt.Notifier {
				rt.Payload, rt.Err = d.render(e, r)
			}
			if rt.Err != nil { // say both: suspended, and broken
				rt.Err = fmt.Errorf("provider %s: %w; %w", r.ref, ErrSuspended, rt.Err)
			} else {
				rt.Err = fmt.Errorf("provider %s: %w", r.ref, ErrSuspended)
			}
		}
		out.Routes = append(out.Routes, rt)
	}
	for _, m := range st.matcher.Explain(ctx, e) {
		out.Unmatched = append(out.Unmatched, Unmatched{Alert: m.Alert.NamespacedName(), Reason: m.Reason})
	}
	out.Unmatched = append(out.Unmatched, st.invalid...)
	return out, nil
}

// render returns the body that r's notifier would send for e, built with
// zero Credentials.
func (d *Dispatcher) render(e *event.Event, r *route) (json.RawMessage, error) {
	n, err := d.opts.registry.New(r.prov.p, provider.Credentials{})
	if err != nil {
		return nil, fmt.Errorf("alert %s: %w", r.alert.NamespacedName(), err)
	}
	defer closeIdle(n)
	rd, ok := n.(provider.Renderer)
	if !ok {
		return nil, nil
	}
	body, err := rd.Render(d.notification(e, r))
	if err != nil {
		return nil, fmt.Errorf("alert %s: rendering for provider %s: %w", r.alert.NamespacedName(), r.ref, err)
	}
	if !json.Valid(body) {
		// Not JSON (a custom notifier's plain text): keep it readable.
		body, _ = json.Marshal(string(body))
	}
	return body, nil
}

// hold returns why e, once matched, is not delivered through r (a route
// without configuration error whose provider is not suspended), in Flux's
// order: a delivery rule that skips it (wrapping provider.ErrSkipped), a
// spec.serviceAccountName while workload identity is off
// (ErrWorkloadIdentity), a rule of Flux's notifiers, or no notifier for
// the type (provider.ErrNoNotifier). It returns nil to deliver.
func (d *Dispatcher) hold(e *event.Event, r *route) error {
	alertName, p := r.alert.NamespacedName(), r.prov.p
	rule := provider.Skip(e, r.alert, p)
	if rule != provider.NoSkip && !rule.ByNotifier() {
		return fmt.Errorf("alert %s: provider %s: %w", alertName, r.ref, &provider.SkipError{Rule: rule})
	}
	if p.Spec.ServiceAccountName != "" && !d.opts.workloadID {
		return fmt.Errorf("alert %s: provider %s: %w", alertName, r.ref, ErrWorkloadIdentity)
	}
	if rule != provider.NoSkip {
		return fmt.Errorf("alert %s: provider %s: %w", alertName, r.ref, &provider.SkipError{Rule: rule})
	}
	if r.prov.noNotifier != nil {
		return fmt.Errorf("alert %s: %w", alertName, r.prov.noNotifier)
	}
	return nil
}

func (d *Dispatcher) notification(e *event.Event, r *route) *provider.Notification {
	return provider.NewNotification(e, r.alert, r.prov.p, r.tmpl, d.opts.pctx)
}

// Result is the outcome of one delivery: one event, one matched alert.
type Result struct {
	// Alert is the alert that matched, as "namespace/name".
	Alert string
	// Provider is the alert's provider, as "namespace/name".
	Provider string
	// Type is the provider's type, for example "slack".
	Type string
	// Channel is the resolved channel ("" for the webhook's default).
	Channel string
	// Attempts is how many times the notifier was called (0 when the
	// delivery was skipped or could not start).
	Attempts int
	// Duration is the time spent delivering, retries included.
	Duration time.Duration
	// Err is nil when the event was delivered. Otherwise it says why not,
	// naming the alert and provider: it wraps ErrSuspended when the
	// provider is suspended, or provider.ErrSkipped (through a
	// *provider.SkipError naming the rule) when one of Flux's delivery
	// rules skips the event (in both cases nothing was sent, on purpose,
	// and it is not a failure); otherwise it is a failure: a configuration
	// problem (provider not found, template, unknown type wrapping
	// provider.ErrUnknownType, Secret), a type that no registered notifier
	// delivers (provider.ErrNoNotifier), spec.serviceAccountName without
	// workload identity (ErrWorkloadIdentity), or the last delivery failure
	// (a *provider.Error when the destination answered).
	Err error
}

// Delivered reports whether the event reached the destination.
func (r Result) Delivered() bool { return r.Err == nil }

// Dispatch delivers e to the provider of every alert it matches,
// concurrently (bounded by WithConcurrency), each attempt bounded by the
// provider's spec.timeout and failures retried (WithRetryPolicy). Secrets
// are read at delivery time.
//
// It returns one Result per matched alert, in configuration order, once
// every delivery has ended: nothing is dropped silently. The error is nil
// when every matched alert was delivered, its provider is suspended or
// one of Flux's delivery rules skipped it (see provider.Skip);
// otherwise it joins the Err of every failed Result. Dispatch returns no
// Result and an error for an invalid event (event.ErrInvalid), a duplicate
// within the deduplication window (ErrDuplicate) and after Close
// (ErrClosed). As in Flux, an event is remembered for deduplication before
// it is delivered, whatever the outcome: retrying a failed delivery is the
// job of the retry policy, not of the caller.
func (d *Dispatcher) Dispatch(ctx context.Context, e *event.Event) ([]Result, error) {
	if err := d.validateEvent(e); err != nil {
		return nil, err
	}
	if err := d.begin(e, false); err != nil {
		return nil, err
	}
	defer d.wg.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(d.base, cancel)
	defer stop()
	results := d.deliver(ctx, e)
	return results, failures(results)
}

// failures joins the errors of results that failed.
func failures(results []Result) error {
	var errs []error
	for _, r := range results {
		if r.Err != nil && !errors.Is(r.Err, ErrSuspended) && !errors.Is(r.Err, provider.ErrSkipped) {
			errs = append(errs, r.Err)
		}
	}
	return errors.Join(errs...)
}

// errBusy means too many events are pending; the endpoint answers 503.
var errBusy = errors.New("too many events pending delivery")

// begin registers one event for delivery: it refuses it after Close, when
// async and too many are pending, or when it is a duplicate. On success the
// caller must call d.wg.Done (and, when async, d.pending.Add(-1)).
func (d *Dispatcher) begin(e *event.Event, async bool) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return ErrClosed
	}
	if async && d.pending.Add(1) > int64(d.opts.maxPending) {
		d.pending.Add(-1)
		return errBusy
	}
	if !d.dedup.admit(e) {
		if async {
			d.pending.Add(-1)
		}
		return ErrDuplicate
	}
	d.wg.Add(1)
	return nil
}

// deliver delivers e to every alert it matches and returns the results in
// match order.
func (d *Dispatcher) deliver(ctx context.Context, e *event.Event) []Result {
	st := d.state.Load()
	var buf [8]*alert.Alert
	matched := st.matcher.AppendMatches(ctx, buf[:0], e)
	routes := make([]*route, 0, len(matched))
	for _, a := range matched {
		if r := st.routes[objKey{a.Namespace, a.Name}]; r != nil {
			routes = append(routes, r)
		}
	}
	results := make([]Result, len(routes))
	if len(routes) == 1 { // the common case: no goroutine needed
		results[0] = d.deliverOne(ctx, st, e, routes[0])
		return results
	}
	var wg sync.WaitGroup
	for i, r := range routes {
		wg.Go(func() { results[i] = d.deliverOne(ctx, st, e, r) })
	}
	wg.Wait()
	return results
}

// deliverOne delivers e for one alert, and logs the outcome.
func (d *Dispatcher) deliverOne(ctx context.Context, st *state, e *event.Event, r *route) (res Result) {
	alertName := r.alert.NamespacedName()
	res = Result{Alert: alertName, Provider: r.ref.String()}
	defer func() { d.logResult(e, res) }()
	if r.prov != nil {
		res.Type, res.Channel = r.prov.p.Spec.Type, provider.Channel(r.alert, r.prov.p)
	}
	if r.err != nil {
		res.Err = r.err
		return res
	}
	p := r.prov.p
	if p.Spec.Suspend {
		res.Err = fmt.Errorf("alert %s: provider %s: %w", alertName, r.ref, ErrSuspended)
		return res
	}
	if err := d.hold(e, r); err != nil {
		res.Err = err
		return res
	}
	if ctx.Err() == nil {
		select {
		case d.sem <- struct{}{}:
			defer func() { <-d.sem }()
		case <-ctx.Done():
		}
	}
	if err := ctx.Err(); err != nil {
		res.Err = fmt.Errorf("alert %s: provider %s: not delivered: %w", alertName, r.ref, err)
		return res
	}
	start := time.Now()
	n, err := d.notifier(ctx, st, r.prov)
	if err != nil {
		res.Err = fmt.Errorf("alert %s: %w", alertName, err)
		res.Duration = time.Since(start)
		return res
	}
	dr, err := provider.Deliver(ctx, n, d.notification(e, r), d.opts.retry, p.GetTimeout())
	res.Attempts, res.Duration = dr.Attempts, dr.Duration
	if err != nil {
		res.Err = fmt.Errorf("alert %s: provider %s: %w", alertName, r.ref, err)
	}
	return res
}

func (d *Dispatcher) logResult(e *event.Event, r Result) {
	level, msg := slog.LevelInfo, "event delivered"
	switch {
	case r.Err == nil:
	case errors.Is(r.Err, ErrSuspended):
		msg = "event not delivered: provider suspended"
	case errors.Is(r.Err, provider.ErrSkipped):
		msg = "event not delivered: skipped by Flux's delivery rules"
	default:
		level, msg = slog.LevelError, "event delivery failed"
	}
	ctx := context.Background()
	if !d.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("alert", r.Alert),
		slog.String("provider", r.Provider),
		slog.String("type", r.Type),
		slog.String("channel", r.Channel),
		slog.String("object", e.InvolvedObject.Kind+"/"+e.InvolvedObject.Namespace+"/"+e.InvolvedObject.Name),
		slog.String("severity", e.Severity),
		slog.Int("attempts", r.Attempts),
		slog.Duration("duration", r.Duration),
	}
	if r.Err != nil {
		attrs = append(attrs, slog.Any("error", r.Err))
	}
	d.log.LogAttrs(ctx, level, msg, attrs...)
}

// notifier returns the notifier of ps with its current credentials, reusing
// the cached one (and its HTTP connections) while the provider's spec and
// credentials stay the same.
func (d *Dispatcher) notifier(ctx context.Context, st *state, ps *providerState) (provider.Notifier, error) {
	creds, err := provider.Resolve(ctx, ps.p, st.secrets)
	if err != nil {
		return nil, err
	}
	k := objKey{ps.p.Namespace, ps.p.Name}
	d.notifierMu.Lock()
	defer d.notifierMu.Unlock()
	if c := d.notifiers[k]; c != nil && c.gen == ps.gen && sameCredentials(c.creds, creds) {
		return c.n, nil
	}
	n, err := d.opts.registry.New(ps.p, creds)
	if err != nil {
		return nil, err
	}
	if old := d.notifiers[k]; old != nil {
		closeIdle(old.n)
	}
	d.notifiers[k] = &cachedNotifier{gen: ps.gen, creds: creds, n: n}
	return n, nil
}

func sameCredentials(a, b provider.Credentials) bool {
	return a.Address == b.Address && a.Token == b.Token && a.Username == b.Username &&
		a.Password == b.Password && a.Proxy == b.Proxy && maps.Equal(a.Headers, b.Headers) &&
		string(a.CAData) == string(b.CAData)
}

// closeIdle releases the idle connections of a notifier that is no longer
// used, when it offers a way to.
func closeIdle(n provider.Notifier) {
	if c, ok := n.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// Close stops accepting events (Dispatch then returns ErrClosed, the event
// endpoint answers 503) and waits for deliveries in flight, including those
// the event endpoint accepted, to end. If ctx ends first, Close cancels the
// deliveries still running and returns ctx's error; they then end promptly
// and report their failure, and the notifiers' idle connections are closed
// once they have. Calling Close again waits again.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	done := make(chan struct{})
	go func() {
		d.wg.Wait()
		// Also when ctx ended first: the cancelled deliveries end, and their
		// notifiers' connections are released then.
		d.cancel()
		d.notifierMu.Lock()
		for k, c := range d.notifiers {
			closeIdle(c.n)
			delete(d.notifiers, k)
		}
		d.notifierMu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		d.cancel()
		return fmt.Errorf("fluxnotify: closing: deliveries still in flight were cancelled: %w", ctx.Err())
	}
}

// defaultRegistry returns the registry used without WithRegistry: slack,
// discord and rocket.
func defaultRegistry() *provider.Registry {
	r := provider.NewRegistry()
	if err := slack.Register(r); err != nil {
		panic("fluxnotify: registering slack in an empty registry: " + err.Error()) // cannot happen
	}
	return r
}
