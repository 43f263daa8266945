package fluxnotify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack"
	"github.com/fluxnotify/fluxnotify/template"
)

// ErrSuspended is wrapped by the Err of a Result (or Route) whose provider
// has spec.suspend set: the alert matched, and nothing was sent on purpose.
var ErrSuspended = errors.New("provider is suspended")

// ErrWorkloadIdentity is wrapped by the Err of a Result (or Route) whose
// provider sets spec.serviceAccountName while object-level workload
// identity is off: the default, as in Flux, where it is a feature gate.
// Nothing is sent, and it counts as a failure; see
// WithObjectLevelWorkloadIdentity.
var ErrWorkloadIdentity = errors.New("spec.serviceAccountName needs object-level workload identity, which is off (see WithObjectLevelWorkloadIdentity)")

// Option configures a Router, a Dispatcher, or both. The options of a
// Router are of type RouterOption; New takes every option, NewRouter only
// RouterOptions and NewDispatcher only the others.
type Option interface{ apply(*options) }

// RouterOption configures how a Router matches events and renders
// notifications. It is also an Option, so New takes it.
type RouterOption func(*routerOptions)

func (f RouterOption) apply(o *options) { f(&o.router) }

// options are all the options of New: the Router's and the Dispatcher's.
type options struct {
	router routerOptions
	dispatcherOptions
}

type routerOptions struct {
	mode       match.Mode
	labeler    match.Labeler
	registry   *provider.Registry
	pctx       provider.Context
	noCrossNS  bool
	workloadID bool
	tmplLimits template.Limits
}

// check reports the invalid router options.
func (o *routerOptions) check() []error {
	if o.mode != match.Extended && o.mode != match.Flux {
		return []error{fmt.Errorf("fluxnotify: WithMode(%s): want match.Extended or match.Flux", o.mode)}
	}
	if l := o.tmplLimits; l.Work < 0 || l.Iterations < 0 {
		return []error{fmt.Errorf("fluxnotify: WithTemplateLimits(%+v): the limits must not be negative (0 takes the default)", l)}
	}
	return nil
}

// WithMode selects the matching semantics: match.Extended (the default) or
// match.Flux, which reproduces Flux's notification-controller exactly.
func WithMode(m match.Mode) RouterOption { return func(o *routerOptions) { o.mode = m } }

// WithLabeler sets the label lookup of event sources' matchLabels. Without
// it, alerts that need labels do not match, and Route says why.
func WithLabeler(l match.Labeler) RouterOption { return func(o *routerOptions) { o.labeler = l } }

// WithRegistry sets the provider types the Router knows (and the
// Dispatcher builds notifiers from). By default it is a registry with
// slack, discord and rocket registered (slack.Register); to add your own
// types to them, create a registry, call slack.Register on it, then
// register yours. One of Flux's types that the registry lacks still routes
// (see NewRouter).
func WithRegistry(r *provider.Registry) RouterOption {
	return func(o *routerOptions) { o.registry = r }
}

// WithCluster sets the cluster name that templates show as .Cluster.
func WithCluster(name string) RouterOption { return func(o *routerOptions) { o.pctx.Cluster = name } }

// WithLinks sets the Git repository web URL (for commit links) and a
// dashboard URL pattern with "{kind}", "{namespace}" and "{name}"
// placeholders, which templates show as .Links.
func WithLinks(repositoryURL, dashboardURL string) RouterOption {
	return func(o *routerOptions) { o.pctx.RepositoryURL, o.pctx.DashboardURL = repositoryURL, dashboardURL }
}

// WithNoCrossNamespaceRefs restricts every alert to events from its own
// namespace, like Flux's --no-cross-namespace-refs flag.
func WithNoCrossNamespaceRefs() RouterOption { return func(o *routerOptions) { o.noCrossNS = true } }

// WithObjectLevelWorkloadIdentity lets providers that set
// spec.serviceAccountName deliver, like Flux's ObjectLevelWorkloadIdentity
// feature gate; it is off by default, as in Flux, and such providers then
// fail with ErrWorkloadIdentity. The built-in notifiers do not use the
// service account; a registered notifier may.
func WithObjectLevelWorkloadIdentity() RouterOption {
	return func(o *routerOptions) { o.workloadID = true }
}

// WithTemplateLimits sets the work and range-iteration bounds of every
// template the Router parses (Alerts' and Providers' spec.template): of
// each render, and of the render on template.Sample done when the
// configuration loads (whose work is also bounded by template.SampleWork).
// A field left 0 takes its default: template.DefaultWork units of work
// (about half a second of CPU) and template.MaxIterations range
// iterations per render. See template.Limits.
func WithTemplateLimits(l template.Limits) RouterOption {
	return func(o *routerOptions) { o.tmplLimits = l }
}

// Router tells, for one event, which alerts it matches and what each would
// send: it compiles a Config once (the alerts' matcher, every template) and
// then answers Route. It is the policy-free half of the library, as
// http.RoundTripper is to http.Client: no goroutines, no deduplication, no
// logging, no Secrets, no network, and nothing changes once it is built, so
// it is safe for concurrent use. A Dispatcher delivers what a Router
// routes; unit tests of alerts and of bespoke notifiers need only a Router.
type Router struct {
	opts      routerOptions
	matcher   *match.Matcher
	secrets   provider.SecretGetter // the Config's Secrets
	routes    map[objKey]*route
	providers map[objKey]*providerState
	invalid   []Unmatched // alerts the matcher left out, with the reason
}

// objKey names a namespaced object without allocating.
type objKey struct{ namespace, name string }

func (k objKey) String() string { return k.namespace + "/" + k.name }

// route is where one valid alert delivers.
type route struct {
	alert *alert.Alert
	// name is the alert's "namespace/name", and refName the provider's:
	// every Result and error of a delivery names them.
	name, refName string
	ref           objKey         // the provider it names
	prov          *providerState // nil when the provider does not exist
	tmpl          *template.Template
	err           error // why this alert cannot deliver, or nil
	// tmplErr is set when the alert's own spec.template does not parse.
	tmplErr error
	// stateful is what spec.delivery asks (threads, transitions, groups),
	// or nil.
	stateful *statefulRoute
	reasons  *reasonFilter // spec.reasons, or nil
}

type providerState struct {
	p       *provider.Provider
	tmpl    *template.Template
	typeErr error // the type is unknown: neither Flux's nor registered
	tmplErr error // the template does not parse

	// noNotifier wraps provider.ErrNoNotifier for a Flux type that no
	// registered notifier delivers: not a configuration problem.
	noNotifier error
}

// NewRouter compiles cfg into a Router: it compiles the alerts' matcher and
// parses every template once.
//
// One bad object never stops the others. NewRouter returns a working Router
// together with a joined error that lists every configuration problem,
// each naming the object and the field (an invalid alert, an alert whose
// provider does not exist, a template that does not parse, an unknown
// provider type, wrapping provider.ErrUnknownType); Route reports the
// alerts concerned while the rest route. It returns a nil Router only when
// an option is invalid. A nil cfg is an empty configuration.
//
// A provider of one of Flux's types that no registered notifier delivers
// (see provider.FluxTypes) is not a problem: its alerts route, Route marks
// them with Notifier false, and a Dispatcher reports them as failed Results
// wrapping provider.ErrNoNotifier while the other alerts deliver.
func NewRouter(cfg *Config, opts ...RouterOption) (*Router, error) {
	var o routerOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if bad := o.check(); len(bad) > 0 {
		return nil, errors.Join(bad...)
	}
	return newRouter(cfg, o)
}

// newRouter compiles cfg with checked options.
func newRouter(cfg *Config, o routerOptions) (*Router, error) {
	if o.registry == nil {
		o.registry = defaultRegistry()
	}
	o.pctx.Flux = o.mode == match.Flux // metadata cleaned as Flux cleans it
	if cfg == nil {
		cfg = &Config{}
	}
	var problems []error
	// Copies, so that the Router does not change if the caller reuses cfg.
	secrets := make([]corev1.Secret, len(cfg.Secrets))
	for i := range cfg.Secrets {
		cfg.Secrets[i].DeepCopyInto(&secrets[i])
	}
	rt := &Router{
		opts:      o,
		secrets:   provider.StaticSecrets(secrets...),
		routes:    make(map[objKey]*route, len(cfg.Alerts)),
		providers: make(map[objKey]*providerState, len(cfg.Providers)),
	}

	for i := range cfg.Providers {
		p := cfg.Providers[i].DeepCopy()
		k := objKey{p.Namespace, p.Name}
		if _, dup := rt.providers[k]; dup {
			problems = append(problems, fmt.Errorf("provider %s: defined more than once; the first definition is used", k))
			continue
		}
		ps := &providerState{p: p}
		if err := o.registry.CheckType(p.Spec.Type); errors.Is(err, provider.ErrNoNotifier) {
			ps.noNotifier = fmt.Errorf("provider %s: %w", k, err)
		} else if err != nil {
			ps.typeErr = fmt.Errorf("provider %s: %w", k, err)
		}
		if !p.Spec.Template.IsZero() {
			var err error
			if ps.tmpl, err = template.Parse(p.Spec.Template, template.WithLimits(o.tmplLimits)); err != nil {
				ps.tmplErr = templateError("provider", k, err)
			}
		}
		for _, err := range []error{ps.typeErr, ps.tmplErr} {
			if err != nil {
				problems = append(problems, err)
			}
		}
		rt.providers[k] = ps
	}

	mopts := []match.Option{match.WithMode(o.mode)}
	if o.labeler != nil {
		mopts = append(mopts, match.WithLabeler(o.labeler))
	}
	if o.noCrossNS {
		mopts = append(mopts, match.WithNoCrossNamespaceRefs())
	}
	m, err := match.Compile(cfg.Alerts, mopts...)
	if m == nil { // the contract says never, but a nil matcher must not panic later
		m, _ = match.Compile(nil, mopts...)
	}
	rt.matcher = m
	if err != nil {
		problems = append(problems, err)
	}

	rt.invalid = invalidAlerts(err)
	for _, a := range m.Alerts() {
		k := objKey{a.Namespace, a.Name}
		if _, dup := rt.routes[k]; dup {
			problems = append(problems, fmt.Errorf("alert %s: defined more than once; the first definition is used", k))
			continue
		}
		r := &route{alert: a, ref: objKey{a.Namespace, a.Spec.ProviderRef.Name}}
		r.name, r.refName = a.NamespacedName(), r.ref.String()
		r.prov = rt.providers[r.ref]
		switch {
		case r.prov == nil:
			r.err = fmt.Errorf("alert %s: spec.providerRef.name: %w: no Provider %q in namespace %s", k, ErrProviderNotFound, a.Spec.ProviderRef.Name, a.Namespace)
			problems = append(problems, r.err)
		case r.prov.typeErr != nil:
			r.err = fmt.Errorf("alert %s: %w", k, r.prov.typeErr)
		case !a.Spec.Template.IsZero():
			// The alert's template replaces the provider's as a whole.
			if r.tmpl, err = template.Parse(a.Spec.Template, template.WithLimits(o.tmplLimits)); err != nil {
				r.err = templateError("alert", k, err)
				r.tmplErr = r.err
				problems = append(problems, r.err)
			}
		case r.prov.tmplErr != nil:
			r.err = fmt.Errorf("alert %s: %w", k, r.prov.tmplErr)
		default:
			r.tmpl = r.prov.tmpl
		}
		if r.stateful, err = rt.planDelivery(a, r); err != nil {
			problems = append(problems, err)
		}
		if r.reasons, err = rt.planReasons(a); err != nil {
			problems = append(problems, err)
		}
		rt.routes[k] = r
	}
	return rt, errors.Join(problems...)
}

// withConfig compiles cfg with the options of rt.
func (rt *Router) withConfig(cfg *Config) (*Router, error) { return newRouter(cfg, rt.opts) }

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
	errs := alertErrors(err)
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

// alertErrors returns every *match.AlertError in err, in input order.
func alertErrors(err error) []*match.AlertError {
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
	return errs
}

// Routing is what a Router makes of one event.
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
	// Notification is what the provider's notifier would be given: the
	// alert, the provider, the template and the data templates see. It is
	// nil when the alert cannot deliver (its provider is missing, of an
	// unknown type, or its template does not parse).
	Notification *provider.Notification `json:"-"`
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

// Route tells which alerts e matches, the provider, channel, notification
// and exact payload of each, and why every other alert does not match. A
// matched alert that would send nothing is listed with the reason in its
// Err: a suspended provider, one of Flux's delivery rules that skips the
// event (provider.Skip), spec.serviceAccountName, or a type without a
// notifier (Notifier false). It reads no Secret and uses no network, so it
// answers "why did no Slack message arrive?" and tests alerts in CI. It
// fails only for an invalid event (wrapping event.ErrInvalid).
func (rt *Router) Route(ctx context.Context, e *event.Event) (*Routing, error) {
	if err := rt.validate(e); err != nil {
		return nil, err
	}
	out := &Routing{}
	for _, a := range rt.matcher.Match(ctx, e) {
		r := rt.routes[objKey{a.Namespace, a.Name}]
		if r == nil {
			continue // a duplicate definition; the first one routes
		}
		if why := r.reasons.drop(e.Reason); why != "" {
			out.Unmatched = append(out.Unmatched, Unmatched{Alert: a.NamespacedName(), Reason: why})
			continue
		}
		ro := Route{Alert: r.name, Provider: r.refName, Err: r.err}
		if r.prov != nil {
			p := r.prov.p
			ro.Type, ro.Channel = p.Spec.Type, provider.Channel(a, p)
			ro.Notifier = r.prov.typeErr == nil && r.prov.noNotifier == nil
		}
		if r.err == nil {
			ro.Notification = rt.notification(e, r)
		}
		if r.err == nil && !r.prov.p.Spec.Suspend {
			if ro.Err = rt.hold(e, r); ro.Err == nil {
				ro.Payload, ro.Err = rt.render(ro.Notification, r)
			}
		}
		if r.err == nil && r.prov.p.Spec.Suspend {
			// Flux checks suspension first; the payload is shown all the
			// same when a notifier can render it.
			if ro.Notifier {
				ro.Payload, ro.Err = rt.render(ro.Notification, r)
			}
			if ro.Err != nil { // say both: suspended, and broken
				ro.Err = fmt.Errorf("provider %s: %w; %w", r.ref, ErrSuspended, ro.Err)
			} else {
				ro.Err = fmt.Errorf("provider %s: %w", r.ref, ErrSuspended)
			}
		}
		out.Routes = append(out.Routes, ro)
	}
	for _, m := range rt.matcher.Explain(ctx, e) {
		out.Unmatched = append(out.Unmatched, Unmatched{Alert: m.Alert.NamespacedName(), Reason: m.Reason})
	}
	out.Unmatched = append(out.Unmatched, rt.invalid...)
	return out, nil
}

// validate checks e as the Router's mode wants it: event.ValidateFlux in
// flux mode (any severity), event.Validate otherwise. Every entry point
// (Route, Dispatch, Enqueue, and the event endpoint through decode) checks
// events by the rules of eventRules.
func (rt *Router) validate(e *event.Event) error {
	validate, _ := rt.eventRules()
	return validate(e)
}

// decode reads one event from r, in Flux's v1 or v1beta1 JSON, and checks
// it as validate does: the event endpoint's decoder.
func (rt *Router) decode(r io.Reader) (*event.Event, error) {
	_, decode := rt.eventRules()
	return decode(r)
}

// eventRules returns how the Router's mode checks events, and the decoder
// that applies the same check: the one place that tells the modes apart
// for events. Flux mode accepts any severity, as Flux's event server does.
func (rt *Router) eventRules() (validate func(*event.Event) error, decode func(io.Reader) (*event.Event, error)) {
	if rt.opts.mode == match.Flux {
		return event.ValidateFlux, event.DecodeFlux
	}
	return event.Validate, event.Decode
}

// appendRoutes appends to buf the routes of the alerts e matches, in
// configuration order: the Dispatcher's fast path, without explanations
// or payloads.
func (rt *Router) appendRoutes(ctx context.Context, buf []*route, e *event.Event) []*route {
	var abuf [8]*alert.Alert
	for _, a := range rt.matcher.AppendMatches(ctx, abuf[:0], e) {
		if r := rt.routes[objKey{a.Namespace, a.Name}]; r != nil && r.reasons.drop(e.Reason) == "" {
			buf = append(buf, r)
		}
	}
	return buf
}

// render returns the body that r's notifier would send for n, built with
// zero Credentials.
func (rt *Router) render(n *provider.Notification, r *route) (json.RawMessage, error) {
	nt, err := rt.opts.registry.New(r.prov.p, provider.Credentials{})
	if err != nil {
		return nil, fmt.Errorf("alert %s: %w", r.name, err)
	}
	defer closeIdle(nt)
	rd, ok := nt.(provider.Renderer)
	if !ok {
		return nil, nil
	}
	body, err := rd.Render(n)
	if err != nil {
		return nil, fmt.Errorf("alert %s: rendering for provider %s: %w", r.name, r.refName, err)
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
func (rt *Router) hold(e *event.Event, r *route) error {
	alertName, p := r.name, r.prov.p
	rule := provider.Skip(e, r.alert, p)
	if rule != provider.NoSkip && !rule.ByNotifier() {
		return fmt.Errorf("alert %s: provider %s: %w", alertName, r.ref, &provider.SkipError{Rule: rule})
	}
	if p.Spec.ServiceAccountName != "" && !rt.opts.workloadID {
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

// notification is what r's notifier is given for e.
func (rt *Router) notification(e *event.Event, r *route) *provider.Notification {
	return provider.NewNotification(e, r.alert, r.prov.p, r.tmpl, rt.opts.pctx)
}

// closeIdle releases the idle connections of a notifier that is no longer
// used, when it offers a way to (see provider.Notifier).
func closeIdle(n provider.Notifier) {
	if c, ok := n.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
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

// ErrKeptLastGood is wrapped by the *KeptError that Update, with
// WithKeepLastGood, returns for each object whose new version it refused.
var ErrKeptLastGood = errors.New("kept its last good version")

// KeptError reports an Alert or Provider whose new version Update refused
// (see WithKeepLastGood): the version in use stays, as when an API server
// refuses a change.
type KeptError struct {
	// Object names the object as "Kind namespace/name", as LoadError's
	// Object does: "Alert flux-system/on-call".
	Object string
	// Err is why the new version was refused: its problems, as NewRouter
	// reports them.
	Err error
}

// Error reads "Alert flux-system/on-call: kept its last good version; the
// new version is refused: <problems>".
func (e *KeptError) Error() string {
	return e.Object + ": " + ErrKeptLastGood.Error() + "; the new version is refused: " + e.Err.Error()
}

// Unwrap returns ErrKeptLastGood and the problems of the new version.
func (e *KeptError) Unwrap() []error { return []error{ErrKeptLastGood, e.Err} }

// KeptObjects returns every *KeptError in err, the error of Update, in
// configuration order (Providers, then Alerts). It returns nil when err
// holds none.
func KeptObjects(err error) []*KeptError {
	var out []*KeptError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *KeptError:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, e := range e.Unwrap() {
				walk(e)
			}
		default:
			walk(errors.Unwrap(err))
		}
	}
	walk(err)
	return out
}

// keepLastGood compiles cfg as next was compiled (with nextErr), but with
// the version of rt of every object that is not valid in cfg and valid in
// rt, and adds a *KeptError for each such object to the problems.
func (rt *Router) keepLastGood(cfg *Config, next *Router, nextErr error) (*Router, error) {
	if cfg == nil {
		return next, nextErr
	}
	patched := *cfg
	patched.Providers = slices.Clone(cfg.Providers)
	patched.Alerts = slices.Clone(cfg.Alerts)
	var kept []error

	seen := make(map[objKey]bool, len(cfg.Providers))
	for i := range patched.Providers {
		p := &patched.Providers[i]
		k := objKey{p.Namespace, p.Name}
		if seen[k] {
			continue // a duplicate: the first definition is the one in use
		}
		seen[k] = true
		bad := rt.badProvider(next.providers[k])
		if bad == nil {
			continue
		}
		if old := rt.providers[k]; old != nil && rt.badProvider(old) == nil {
			patched.Providers[i] = *old.p.DeepCopy()
			kept = append(kept, &KeptError{Object: provider.Kind + " " + k.String(), Err: bad})
		}
	}

	invalid := make(map[int]*match.AlertError)
	for _, ae := range alertErrors(nextErr) {
		invalid[ae.Index] = ae
	}
	clear(seen)
	for i := range patched.Alerts {
		a := &patched.Alerts[i]
		k := objKey{a.Namespace, a.Name}
		if seen[k] {
			continue
		}
		seen[k] = true
		var bad error
		if ae := invalid[i]; ae != nil {
			bad = ae
		} else if r := next.routes[k]; r != nil && r.tmplErr != nil {
			bad = r.tmplErr
		}
		if bad == nil {
			continue
		}
		if old := rt.routes[k]; old != nil && old.tmplErr == nil {
			patched.Alerts[i] = *old.alert.DeepCopy()
			kept = append(kept, &KeptError{Object: alert.Kind + " " + k.String(), Err: bad})
		}
	}
	if len(kept) == 0 {
		return next, nextErr
	}
	r, err := newRouter(&patched, rt.opts)
	return r, errors.Join(append(kept, err)...)
}

// badProvider returns the problems of ps that WithKeepLastGood refuses, or
// nil.
func (rt *Router) badProvider(ps *providerState) error {
	if ps == nil {
		return nil
	}
	var errs []error
	if err := ps.p.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(append(errs, ps.typeErr, ps.tmplErr)...)
}
