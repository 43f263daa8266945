package fluxnotify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/state"
)

// ErrDuplicate is returned, without delivering anything, for an event
// already accepted within the deduplication window (see WithDedupWindow):
// by the event endpoint, which answers it with 429 Too Many Requests as
// Flux does, and by Dispatch and Enqueue when WithCallerDedup is set.
var ErrDuplicate = errors.New("duplicate event within the deduplication window")

// ErrClosed is returned by Dispatch and Enqueue after Shutdown or Close,
// and answered with 503 by the event endpoint.
var ErrClosed = errors.New("dispatcher is closed")

// ErrQueueFull is returned by Enqueue when WithMaxPending events, or
// WithMaxPendingBytes bytes of events, are accepted and not yet delivered;
// the event endpoint answers it with 503, which Flux's event recorder
// retries.
var ErrQueueFull = errors.New("too many events pending delivery")

// ErrAbandoned is wrapped by the Err of a Result whose delivery never
// started because the Dispatcher was closed, or its Shutdown's context
// ended, first.
var ErrAbandoned = errors.New("abandoned at shutdown")

// DefaultConcurrency is how many deliveries run at once, across all events,
// when no WithConcurrency option is given. It is also the number of workers
// that drain the queue of Enqueue.
const DefaultConcurrency = 64

// DefaultMaxPending is how many events Enqueue (and the event endpoint)
// holds accepted but not yet delivered when no WithMaxPending option is
// given.
const DefaultMaxPending = 10_000

// DefaultMaxPendingBytes bounds the size of the events Enqueue holds
// accepted but not yet delivered when no WithMaxPendingBytes option is
// given: 256 MiB, at most 85 events of the largest size Flux sends.
const DefaultMaxPendingBytes = 256 << 20

type dispatcherOptions struct {
	secrets         provider.SecretGetter
	logger          *slog.Logger
	dedupWindow     time.Duration
	dedupCapacity   int
	callerDedup     bool
	concurrency     int
	maxPending      int
	maxPendingBytes int64
	retry           provider.RetryPolicy
	observer        func(context.Context, Result)
	eventObserver   func(context.Context, EventOutcome)
	keepLastGood    bool
	store           state.Store // WithStore; nil: in memory
}

func defaultDispatcherOptions() dispatcherOptions {
	return dispatcherOptions{
		dedupWindow:     DefaultDedupWindow,
		concurrency:     DefaultConcurrency,
		maxPending:      DefaultMaxPending,
		maxPendingBytes: DefaultMaxPendingBytes,
	}
}

// check reports the invalid dispatcher options.
func (o *dispatcherOptions) check() []error {
	var bad []error
	if o.concurrency <= 0 {
		bad = append(bad, fmt.Errorf("fluxnotify: WithConcurrency(%d): must be at least 1", o.concurrency))
	}
	if o.maxPending <= 0 {
		bad = append(bad, fmt.Errorf("fluxnotify: WithMaxPending(%d): must be at least 1", o.maxPending))
	}
	if o.maxPendingBytes <= 0 {
		bad = append(bad, fmt.Errorf("fluxnotify: WithMaxPendingBytes(%d): must be at least 1", o.maxPendingBytes))
	}
	if o.dedupWindow < 0 {
		bad = append(bad, fmt.Errorf("fluxnotify: WithDedupWindow(%s): must not be negative", o.dedupWindow))
	}
	if o.dedupCapacity < 0 {
		bad = append(bad, fmt.Errorf("fluxnotify: WithDedupCapacity(%d): must not be negative", o.dedupCapacity))
	}
	return bad
}

// dispatcherOption configures the Dispatcher's part of New.
type dispatcherOption func(*dispatcherOptions)

func (f dispatcherOption) apply(o *options) { f(&o.dispatcherOptions) }

// WithSecrets sets where provider Secrets are read at delivery time; a
// controller passes a getter backed by the cluster. By default the Secrets
// of the Config are used (and follow it through Update).
func WithSecrets(s provider.SecretGetter) Option {
	return dispatcherOption(func(o *dispatcherOptions) { o.secrets = s })
}

// WithLogger sets the logger of deliveries (successes at Info, failures at
// Error, with the event's object, the alert, the provider and the outcome)
// and of events that match no alert (at Debug). The default is
// slog.Default(). Secrets never appear in what is logged.
func WithLogger(l *slog.Logger) Option {
	return dispatcherOption(func(o *dispatcherOptions) { o.logger = l })
}

// WithDedupWindow sets how long an accepted event is remembered to drop
// duplicates (DefaultDedupWindow by default, as in Flux). Zero turns
// deduplication off. The event endpoint deduplicates; Dispatch and Enqueue
// do too with WithCallerDedup.
func WithDedupWindow(d time.Duration) Option {
	return dispatcherOption(func(o *dispatcherOptions) { o.dedupWindow = d })
}

// WithDedupCapacity bounds how many distinct events deduplication remembers
// (DefaultDedupCapacity by default); when full, the oldest is forgotten
// first, so memory stays bounded whatever arrives.
func WithDedupCapacity(n int) Option {
	return dispatcherOption(func(o *dispatcherOptions) { o.dedupCapacity = n })
}

// WithCallerDedup makes Dispatch and Enqueue deduplicate events as the event
// endpoint does: an event accepted within the window returns ErrDuplicate,
// unless it matched no alert or none of its deliveries succeeded (then it
// was forgotten, and is new again). Without it, Go callers decide
// themselves what is a duplicate.
func WithCallerDedup() Option {
	return dispatcherOption(func(o *dispatcherOptions) { o.callerDedup = true })
}

// WithConcurrency bounds how many deliveries run at once, across all events
// and the messages of spec.delivery.group (DefaultConcurrency by default);
// as many workers drain Enqueue's queue. A reply that waits for the root of
// its Slack thread, posted by another replica, holds no slot meanwhile.
func WithConcurrency(n int) Option {
	return dispatcherOption(func(o *dispatcherOptions) { o.concurrency = n })
}

// WithMaxPending bounds how many events Enqueue (and the event endpoint)
// holds accepted but not yet delivered (DefaultMaxPending by default);
// beyond it Enqueue returns ErrQueueFull and the endpoint answers 503,
// which Flux's event recorder retries.
func WithMaxPending(n int) Option {
	return dispatcherOption(func(o *dispatcherOptions) { o.maxPending = n })
}

// WithMaxPendingBytes bounds the total size (message, metadata and object
// reference) of the events Enqueue holds accepted but not yet delivered
// (DefaultMaxPendingBytes by default); beyond it Enqueue returns
// ErrQueueFull, as for WithMaxPending. One event is always accepted when
// nothing is pending, however large.
func WithMaxPendingBytes(n int64) Option {
	return dispatcherOption(func(o *dispatcherOptions) { o.maxPendingBytes = n })
}

// WithKeepLastGood makes Update refuse the new version of every Alert and
// Provider that is not valid when the configuration in use holds a valid
// version of it (same kind, namespace and name): that version stays, as
// when an API server refuses a change, and Update's error holds a
// *KeptError naming the object and why (see KeptObjects).
//
// Not valid means: an Alert that fails validation (alert.Alert.Validate,
// and what flux mode refuses) or whose spec.template does not parse; a
// Provider that fails provider.Provider.Validate, of an unknown type, or
// whose spec.template does not parse. An Alert whose provider is missing,
// a new object, and one whose version in use was not valid either are
// reported as without the option; an object that is gone from the new
// configuration is removed. A controller whose API server validates the
// objects needs it only for templates; a process that reloads files needs
// it (fluxnotify serve uses it on SIGHUP).
func WithKeepLastGood() Option {
	return dispatcherOption(func(o *dispatcherOptions) { o.keepLastGood = true })
}

// WithRetryPolicy sets the retries of each delivery (Flux's by default: 4
// retries, waits from 2 to 30 seconds; see provider.DefaultRetryPolicy).
func WithRetryPolicy(p provider.RetryPolicy) Option {
	return dispatcherOption(func(o *dispatcherOptions) { o.retry = p })
}

// WithObserver sets a function that sees the Result of every delivery,
// those of Dispatch and those of Enqueue and the event endpoint alike, once
// it has ended (delivered, failed, skipped or abandoned); use it for
// metrics or an audit trail. ctx carries the values of the context the
// event came with. It is called from the delivering goroutine, after the
// outcome is logged: it must be safe for concurrent use and return
// promptly.
func WithObserver(f func(ctx context.Context, r Result)) Option {
	return dispatcherOption(func(o *dispatcherOptions) { o.observer = f })
}

// WithEventObserver sets a function that sees what became of every event
// given to the Dispatcher (Dispatch, Enqueue, the event endpoint), once
// that is known: accepted (it matched at least one alert; its deliveries
// are reported to WithObserver), matched no alert, duplicate, invalid or
// rejected (queue full, closed). Like WithObserver, it must be safe for
// concurrent use and return promptly.
func WithEventObserver(f func(ctx context.Context, o EventOutcome)) Option {
	return dispatcherOption(func(o *dispatcherOptions) { o.eventObserver = f })
}

// Outcome is what became of one event given to a Dispatcher.
type Outcome string

// The outcomes of an event. Each event has exactly one.
const (
	// OutcomeAccepted: the event matched at least one alert and was
	// handed to their providers (each delivery has its own Result).
	OutcomeAccepted Outcome = "accepted"
	// OutcomeNoAlert: the event was valid and matched no alert.
	OutcomeNoAlert Outcome = "no_alert"
	// OutcomeDuplicate: the event was dropped as a duplicate (ErrDuplicate).
	OutcomeDuplicate Outcome = "duplicate"
	// OutcomeInvalid: the event was not valid (event.ErrInvalid) or could
	// not be decoded.
	OutcomeInvalid Outcome = "invalid"
	// OutcomeRejected: the event was refused because the queue was full
	// (ErrQueueFull) or the Dispatcher closed (ErrClosed).
	OutcomeRejected Outcome = "rejected"
)

// EventOutcome is what became of one event; see WithEventObserver.
type EventOutcome struct {
	// Event is the event; nil when it could not be decoded. It is shared:
	// do not modify it.
	Event *event.Event
	// Outcome says what became of it.
	Outcome Outcome
	// Err is why the event was refused (Duplicate, Invalid, Rejected), or
	// nil.
	Err error
}

// Dispatcher delivers the notifications a Router routes, with a delivery
// policy: bounded concurrency, retries, per-provider timeouts, a bounded
// queue drained by a fixed pool of workers, logs and observers. It is to
// its Router what http.Client is to http.RoundTripper:
//
//	cfg, err := fluxnotify.LoadFiles("notifications/")
//	d, err := fluxnotify.New(cfg, fluxnotify.WithCluster("prod-eu"))
//	defer d.Shutdown(ctx)                      // drains; d.Close() stops now
//	routing, err := d.Router().Route(ctx, ev)  // dry run: who would get ev, and why not
//	results, err := d.Dispatch(ctx, ev)        // deliver now, one Result per matched alert
//	err = d.Enqueue(ctx, ev)                   // or deliver in the background
//	http.ListenAndServe(":9090", d.Handler())  // or receive events from Flux
//
// It is safe for concurrent use; its configuration can be replaced with
// Update while events flow.
type Dispatcher struct {
	opts  dispatcherOptions
	dedup *dedup
	sem   chan struct{}
	log   *slog.Logger

	// state holds threads, object status and groups (WithStore, or a
	// Memory of the Dispatcher's own); now is the clock of that state.
	state    state.Store
	ownState bool
	now      func() time.Time
	groups   groups

	router   atomic.Pointer[Router]
	updateMu sync.Mutex // serializes Update

	notifierMu sync.Mutex
	notifiers  map[objKey]*cachedNotifier

	queue        jobQueue
	startWorkers sync.Once
	workers      sync.WaitGroup

	mu           sync.RWMutex // guards closed against wg.Add
	closed       bool
	wg           sync.WaitGroup // events in flight: Dispatch calls and queued jobs
	pending      atomic.Int64   // events accepted by Enqueue, not yet done
	pendingBytes atomic.Int64   // their size
	base         context.Context
	cancel       context.CancelFunc
}

type cachedNotifier struct {
	ps    *providerState // of the Router it was built for
	creds provider.Credentials
	n     provider.Notifier
}

// New builds the Router of cfg (with the RouterOptions among opts) and a
// Dispatcher on top of it (with the other options): it is NewRouter then
// NewDispatcher. Like NewRouter, it returns a working Dispatcher together
// with the joined error of every configuration problem; the alerts
// concerned are reported by Route, and by Dispatch as failed Results, while
// the rest deliver. It returns a nil Dispatcher only when an option is
// invalid.
//
// Call Shutdown (or Close) when done, to end the deliveries in flight.
func New(cfg *Config, opts ...Option) (*Dispatcher, error) {
	o := options{dispatcherOptions: defaultDispatcherOptions()}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	bad := append(o.router.check(), o.dispatcherOptions.check()...)
	if len(bad) > 0 {
		return nil, errors.Join(bad...)
	}
	r, cfgErr := newRouter(cfg, o.router)
	return newDispatcher(r, o.dispatcherOptions), cfgErr
}

// NewDispatcher returns a Dispatcher that delivers what r routes, with the
// delivery policy of opts. RouterOptions are refused: they belong to
// NewRouter.
func NewDispatcher(r *Router, opts ...Option) (*Dispatcher, error) {
	if r == nil {
		return nil, errors.New("fluxnotify: NewDispatcher: nil Router")
	}
	o := options{dispatcherOptions: defaultDispatcherOptions()}
	var bad []error
	for _, opt := range opts {
		if _, ok := opt.(RouterOption); ok {
			bad = append(bad, errors.New("fluxnotify: NewDispatcher: a RouterOption (WithMode, WithLabeler, WithRegistry, WithCluster, WithLinks, WithNoCrossNamespaceRefs, WithTemplateLimits, ...) configures the Router: give it to NewRouter"))
			continue
		}
		if opt != nil {
			opt.apply(&o)
		}
	}
	bad = append(bad, o.dispatcherOptions.check()...)
	if len(bad) > 0 {
		return nil, errors.Join(bad...)
	}
	return newDispatcher(r, o.dispatcherOptions), nil
}

func newDispatcher(r *Router, o dispatcherOptions) *Dispatcher {
	if o.logger == nil {
		o.logger = slog.Default()
	}
	d := &Dispatcher{
		opts:      o,
		sem:       make(chan struct{}, o.concurrency),
		log:       o.logger,
		notifiers: make(map[objKey]*cachedNotifier),
	}
	if o.dedupWindow > 0 {
		d.dedup = newDedup(o.dedupWindow, o.dedupCapacity)
		d.dedup.flux = r.opts.mode == match.Flux // Flux's eventKeyFunc
		if o.store != nil {
			d.dedup.store = state.Prefixed(o.store, dedupPrefix)
		}
	}
	d.state, d.now = o.store, time.Now
	if d.state == nil {
		d.state, d.ownState = state.NewMemory(), true
	}
	d.groups.init()
	d.queue.init()
	d.base, d.cancel = context.WithCancel(context.Background())
	d.router.Store(r)
	if o.store != nil {
		d.recoverGroups(d.base)
	}
	return d
}

// Router returns the Router the Dispatcher delivers for: the last one given
// by Update.
func (d *Dispatcher) Router() *Router { return d.router.Load() }

// Route is d.Router().Route: a dry run of e with the current configuration.
func (d *Dispatcher) Route(ctx context.Context, e *event.Event) (*Routing, error) {
	return d.Router().Route(ctx, e)
}

// Update replaces the configuration atomically with a Router compiled from
// cfg with the options of the current one: events already being routed
// finish with the configuration they started with, the next ones use cfg.
// Like NewRouter, it keeps every valid part of cfg and returns the problems
// of the rest. A controller watching Alert, Provider and Secret objects
// calls it on every change. With WithKeepLastGood, an object whose new
// version is not valid keeps the version in use.
func (d *Dispatcher) Update(cfg *Config) error {
	d.updateMu.Lock()
	defer d.updateMu.Unlock()
	cur := d.Router()
	r, err := cur.withConfig(cfg)
	if d.opts.keepLastGood {
		r, err = cur.keepLastGood(cfg, r, err)
	}
	d.router.Store(r)
	// Drop the notifiers of providers that are gone or changed, so their
	// connections are not kept for nothing.
	d.notifierMu.Lock()
	for k, c := range d.notifiers {
		if ps, ok := r.providers[k]; !ok || !reflect.DeepEqual(ps.p.Spec, c.ps.p.Spec) {
			closeIdle(c.n)
			delete(d.notifiers, k)
		}
	}
	d.notifierMu.Unlock()
	return err
}

// Result is the outcome of one delivery: one event, one matched alert.
type Result struct {
	// Event is the event delivered. It is shared: do not modify it.
	Event *event.Event
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
	// Deferred reports that nothing was sent now, on purpose, for an alert
	// with spec.delivery: the event was a repeat, counted in the object's
	// status (transitions), or joined a group that is sent later (its
	// message has a Result of its own; so has the event if by the time the
	// group is sent its alert or provider would no longer deliver it: with
	// ErrNotRouted, ErrSuspended or provider.ErrSkipped, or as a failure
	// when the configuration no longer delivers it, for example a provider
	// that is gone or a type with no notifier). Err is nil.
	Deferred bool
	// Err is nil when the event was delivered. Otherwise it says why not,
	// naming the alert and provider: it wraps ErrSuspended when the
	// provider is suspended, or provider.ErrSkipped (through a
	// *provider.SkipError naming the rule) when one of Flux's delivery
	// rules skips the event (in both cases nothing was sent, on purpose,
	// and it is not a failure; nor is ErrNotRouted, for an event of a group
	// that its alert no longer takes); otherwise it is a failure: ErrAbandoned
	// when the Dispatcher shut down before the delivery started, a
	// configuration problem (provider not found, template, unknown type
	// wrapping provider.ErrUnknownType, Secret), a type that no registered
	// notifier delivers (provider.ErrNoNotifier), spec.serviceAccountName
	// without workload identity (ErrWorkloadIdentity), or the last delivery
	// failure (a *provider.Error when the destination answered).
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
// one of Flux's delivery rules skipped it (see provider.Skip); otherwise
// it joins the Err of every failed Result. Dispatch returns no
// Result and an error for an invalid event (event.ErrInvalid), after
// Shutdown or Close (ErrClosed) and, with WithCallerDedup, for a duplicate
// (ErrDuplicate).
func (d *Dispatcher) Dispatch(ctx context.Context, e *event.Event) ([]Result, error) {
	if err := d.Router().validate(e); err != nil {
		d.observeEvent(ctx, EventOutcome{Event: e, Outcome: OutcomeInvalid, Err: err})
		return nil, err
	}
	t, err := d.begin(ctx, e, nil, d.opts.callerDedup)
	if err != nil {
		return nil, err
	}
	defer d.wg.Done()
	var dctx context.Context = jobContext{Context: d.base, values: ctx}
	if ctx.Done() != nil {
		c, cancel := context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(d.base, cancel)
		defer stop()
		dctx = c
	} // else ctx is never done: the Dispatcher's context alone ends the deliveries, as queued ones
	results := d.deliver(dctx, ctx, e, t)
	return results, failures(results)
}

// Enqueue accepts e for delivery in the background and returns at once:
// a fixed pool of workers (WithConcurrency) drains a queue bounded in
// events (WithMaxPending) and bytes (WithMaxPendingBytes), and delivers as
// Dispatch does. Every outcome is logged and reported to the observers
// (WithObserver, WithEventObserver), also at shutdown: Shutdown and Close
// return only once every accepted event was delivered, failed, or
// abandoned (ErrAbandoned).
//
// The deliveries are not bound to ctx, which may end when Enqueue returns
// (an HTTP request's does), but keep its values for the observers.
// Enqueue returns an error, and the event is not delivered, for an invalid
// event (event.ErrInvalid), a full queue (ErrQueueFull), after Shutdown or
// Close (ErrClosed) and, with WithCallerDedup, for a duplicate
// (ErrDuplicate).
func (d *Dispatcher) Enqueue(ctx context.Context, e *event.Event) error {
	if err := d.Router().validate(e); err != nil {
		d.observeEvent(ctx, EventOutcome{Event: e, Outcome: OutcomeInvalid, Err: err})
		return err
	}
	return d.enqueue(ctx, e, d.opts.callerDedup)
}

// enqueue is Enqueue for a valid event, deduplicating when asked to (the
// event endpoint, which decodes and validates, always asks).
func (d *Dispatcher) enqueue(ctx context.Context, e *event.Event, dedup bool) error {
	j := &job{ctx: jobContext{Context: d.base, values: ctx}, e: e, size: eventSize(e)}
	_, err := d.begin(ctx, e, j, dedup)
	return err
}

// job is one event accepted by Enqueue.
type job struct {
	ctx  jobContext
	e    *event.Event
	size int64 // counted in pendingBytes
	t    ticket
}

// ticket is an event's reservation in the deduplicator, if any.
type ticket struct {
	ok  bool // the key is reserved
	key uint64
	at  int64
	// With WithStore: the key in the store and this reservation's claim.
	skey  string
	claim []byte
}

// begin registers e: it refuses it after Close, when queued (q is not nil)
// and the queue is full, or when dedup is asked and it is a duplicate, and
// reports the refusal to the event observer. On success q is queued (a
// worker calls d.wg.Done); without q, the caller must call d.wg.Done.
func (d *Dispatcher) begin(ctx context.Context, e *event.Event, q *job, dedup bool) (ticket, error) {
	t, err := d.admit(ctx, e, q, dedup)
	switch {
	case err == nil:
	case errors.Is(err, ErrDuplicate):
		d.observeEvent(ctx, EventOutcome{Event: e, Outcome: OutcomeDuplicate, Err: err})
	default:
		d.observeEvent(ctx, EventOutcome{Event: e, Outcome: OutcomeRejected, Err: err})
	}
	return t, err
}

// admit does the work of begin. The shared deduplication store is asked
// without d.mu held, so that a slow store holds back neither Shutdown nor
// the other events; the queue is pushed to under d.mu, so that Shutdown
// cannot close it between the check of closed and the push.
func (d *Dispatcher) admit(ctx context.Context, e *event.Event, q *job, dedup bool) (ticket, error) {
	d.mu.RLock()
	closed := d.closed
	d.mu.RUnlock()
	if closed {
		return ticket{}, ErrClosed
	}
	unpend := func() {}
	if q != nil {
		n := d.pending.Add(1)
		b := d.pendingBytes.Add(q.size)
		unpend = func() {
			d.pending.Add(-1)
			d.pendingBytes.Add(-q.size)
		}
		// One event always fits when nothing else is pending.
		if n > int64(d.opts.maxPending) || (n > 1 && b > d.opts.maxPendingBytes) {
			unpend()
			return ticket{}, ErrQueueFull
		}
	}
	var t ticket
	if dedup && d.dedup != nil {
		if d.dedup.store != nil {
			t = d.reserveShared(ctx, e) // I/O: no lock held
		} else {
			t.key = d.dedup.key(e)
			t.at, t.ok = d.dedup.reserve(t.key)
		}
		if !t.ok {
			unpend()
			return ticket{}, ErrDuplicate
		}
	}
	d.mu.RLock()
	if d.closed { // closed while the store was asked
		d.mu.RUnlock()
		unpend()
		if t.ok {
			d.release(ctx, t)
		}
		return ticket{}, ErrClosed
	}
	d.wg.Add(1)
	if q != nil {
		q.t = t
		d.startWorkers.Do(func() {
			for range d.opts.concurrency {
				d.workers.Go(d.work)
			}
		})
		d.queue.push(q)
	}
	d.mu.RUnlock()
	return t, nil
}

// eventSize estimates the memory an event holds, for WithMaxPendingBytes.
func eventSize(e *event.Event) int64 {
	const overhead = 512 // the struct, the map, the timestamps
	o := &e.InvolvedObject
	n := len(e.Message) + len(e.Reason) + len(e.ReportingController) + len(e.ReportingInstance) + len(e.Action) +
		len(o.Kind) + len(o.Namespace) + len(o.Name) + len(o.APIVersion) + len(o.UID) + len(o.ResourceVersion) + len(o.FieldPath)
	for k, v := range e.Metadata {
		n += len(k) + len(v) + 16
	}
	return int64(n + overhead)
}

// work is one worker of the queue: it delivers queued events until the
// queue is closed and empty.
func (d *Dispatcher) work() {
	for {
		j, ok := d.queue.pop()
		if !ok {
			return
		}
		d.deliver(&j.ctx, &j.ctx, j.e, j.t)
		d.pending.Add(-1)
		d.pendingBytes.Add(-j.size)
		d.wg.Done()
	}
}

// jobContext is the context of a queued event's deliveries: cancelled with
// the Dispatcher, carrying the values of the context it was enqueued with.
type jobContext struct {
	context.Context
	values context.Context
}

func (c jobContext) Value(key any) any { return c.values.Value(key) }

// AfterFunc runs f once the Dispatcher's context is done. The context
// package uses it for the contexts derived from c (each delivery's
// timeout), which then follow the Dispatcher's context without a goroutine
// each.
func (c jobContext) AfterFunc(f func()) (stop func() bool) { return context.AfterFunc(c.Context, f) }

// Pending returns how many events Enqueue (and the event endpoint) has
// accepted that are not yet done, and their size in bytes: the queue
// depth that WithMaxPending and WithMaxPendingBytes bound.
func (d *Dispatcher) Pending() (events int, bytes int64) {
	return int(d.pending.Load()), d.pendingBytes.Load()
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

// deliver delivers e to every alert it matches, under ctx, reports the
// outcomes with the values of octx, releases the event's deduplication
// ticket when nothing was delivered, and returns the results in match
// order.
func (d *Dispatcher) deliver(ctx, octx context.Context, e *event.Event, t ticket) []Result {
	r := d.Router()
	var buf [8]*route
	routes := r.appendRoutes(ctx, buf[:0], e)
	results := make([]Result, len(routes))
	switch len(routes) {
	case 0:
	case 1: // the common case: no goroutine needed
		results[0] = d.deliverOne(ctx, octx, r, e, routes[0])
	default:
		d.deliverAll(ctx, octx, r, e, routes, results)
	}
	if t.ok && !anyDelivered(results) {
		// The event counts as seen only once it reached someone: a retry
		// of it is not a duplicate.
		d.release(octx, t)
	}
	if len(routes) == 0 {
		if d.log.Enabled(ctx, slog.LevelDebug) {
			d.log.LogAttrs(ctx, slog.LevelDebug, "event matches no alert",
				slog.String("object", eventObject(e)), slog.String("severity", e.Severity), slog.String("reason", e.Reason))
		}
		d.observeEvent(octx, EventOutcome{Event: e, Outcome: OutcomeNoAlert})
	} else {
		d.observeEvent(octx, EventOutcome{Event: e, Outcome: OutcomeAccepted})
	}
	return results
}

// deliverAll delivers e for every route at once, each result in its place.
func (d *Dispatcher) deliverAll(ctx, octx context.Context, r *Router, e *event.Event, routes []*route, results []Result) {
	var wg sync.WaitGroup
	for i, rt := range routes {
		wg.Go(func() { results[i] = d.deliverOne(ctx, octx, r, e, rt) })
	}
	wg.Wait()
}

func anyDelivered(results []Result) bool {
	for _, r := range results {
		if r.Delivered() {
			return true
		}
	}
	return false
}

// deliverOne delivers e for one route under ctx, then logs the outcome and
// reports it with the values of octx.
func (d *Dispatcher) deliverOne(ctx, octx context.Context, r *Router, e *event.Event, rt *route) (res Result) {
	alertName := rt.name
	res = Result{Event: e, Alert: alertName, Provider: rt.refName}
	defer func() { d.report(octx, res) }()
	if rt.prov != nil {
		res.Type, res.Channel = rt.prov.p.Spec.Type, provider.Channel(rt.alert, rt.prov.p)
	}
	if rt.err != nil {
		res.Err = rt.err
		return res
	}
	p := rt.prov.p
	if p.Spec.Suspend {
		res.Err = fmt.Errorf("alert %s: provider %s: %w", alertName, rt.ref, ErrSuspended)
		return res
	}
	if err := r.hold(e, rt); err != nil {
		res.Err = err
		return res
	}
	sl := slot{d: d}
	err := sl.take(ctx)
	defer sl.release()
	if err != nil {
		res.Err = fmt.Errorf("alert %s: provider %s: not delivered: %w", alertName, rt.ref, err)
		return res
	}
	start := time.Now()
	n, err := d.notifier(ctx, r, rt.prov)
	if err != nil {
		res.Err = fmt.Errorf("alert %s: %w", alertName, err)
		res.Duration = time.Since(start)
		return res
	}
	if rt.stateful != nil {
		d.deliverStateful(ctx, &sl, r, e, rt, n, &res)
		return res
	}
	dr, err := provider.Deliver(ctx, n, r.notification(e, rt), d.opts.retry, p.GetTimeout())
	res.Attempts, res.Duration = dr.Attempts, dr.Duration
	if err != nil {
		res.Err = fmt.Errorf("alert %s: provider %s: %w", alertName, rt.ref, err)
	}
	return res
}

// eventObject names an event's involved object for logs: kind/namespace/name.
func eventObject(e *event.Event) string {
	o := &e.InvolvedObject
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}

// report logs r and hands it to the observer.
func (d *Dispatcher) report(ctx context.Context, r Result) {
	d.logResult(r)
	if d.opts.observer != nil {
		d.opts.observer(ctx, r)
	}
}

func (d *Dispatcher) observeEvent(ctx context.Context, o EventOutcome) {
	if d.opts.eventObserver != nil {
		d.opts.eventObserver(ctx, o)
	}
}

func (d *Dispatcher) logResult(r Result) {
	level, msg := slog.LevelInfo, "event delivered"
	switch {
	case r.Err == nil && r.Deferred: // at debug: an outage makes many
		level, msg = slog.LevelDebug, "event held: counted or grouped (spec.delivery)"
	case r.Err == nil:
	case errors.Is(r.Err, ErrSuspended):
		msg = "event not delivered: provider suspended"
	case errors.Is(r.Err, provider.ErrSkipped):
		msg = "event not delivered: skipped by Flux's delivery rules"
	case errors.Is(r.Err, ErrNotRouted):
		msg = "event not delivered: its alert no longer takes it"
	case errors.Is(r.Err, ErrAbandoned):
		level, msg = slog.LevelError, "event abandoned at shutdown"
	default:
		level, msg = slog.LevelError, "event delivery failed"
	}
	ctx := context.Background()
	if !d.log.Enabled(ctx, level) {
		return
	}
	e := r.Event
	attrs := []slog.Attr{
		slog.String("alert", r.Alert),
		slog.String("provider", r.Provider),
		slog.String("type", r.Type),
		slog.String("channel", r.Channel),
		slog.String("object", eventObject(e)),
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
func (d *Dispatcher) notifier(ctx context.Context, r *Router, ps *providerState) (provider.Notifier, error) {
	secrets := d.opts.secrets
	if secrets == nil {
		secrets = r.secrets
	}
	creds, err := provider.Resolve(ctx, ps.p, secrets)
	if err != nil {
		return nil, err
	}
	k := objKey{ps.p.Namespace, ps.p.Name}
	d.notifierMu.Lock()
	defer d.notifierMu.Unlock()
	if c := d.notifiers[k]; c != nil && sameCredentials(c.creds, creds) {
		if c.ps == ps {
			return c.n, nil
		}
		if reflect.DeepEqual(c.ps.p.Spec, ps.p.Spec) { // an Update that kept the provider
			c.ps = ps
			return c.n, nil
		}
	}
	n, err := r.opts.registry.New(ps.p, creds)
	if err != nil {
		return nil, err
	}
	if old := d.notifiers[k]; old != nil {
		closeIdle(old.n)
	}
	d.notifiers[k] = &cachedNotifier{ps: ps, creds: creds, n: n}
	return n, nil
}

func sameCredentials(a, b provider.Credentials) bool {
	return a.Address == b.Address && a.Token == b.Token && a.Username == b.Username &&
		a.Password == b.Password && a.Proxy == b.Proxy && maps.Equal(a.Headers, b.Headers) &&
		string(a.CAData) == string(b.CAData)
}

// Shutdown stops accepting events (Dispatch and Enqueue then return
// ErrClosed, the event endpoint answers 503) and waits until every event in
// flight has ended: the calls of Dispatch, and every event Enqueue
// accepted, queued ones included, each delivered or failed, logged and
// observed. If ctx ends first, Shutdown cancels what is still running and
// abandons what is still queued (each reported with ErrAbandoned), waits
// for those outcomes to be recorded, and returns ctx's error. Then it
// sends the groups of spec.delivery.group it opened (see Flush: those that
// ctx leaves no time for stay in the store, WithStore), and closes the
// notifiers' idle connections. Calling it again waits again.
func (d *Dispatcher) Shutdown(ctx context.Context) error {
	d.stopAccepting()
	done := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		d.cancel()
		<-done // cancelled deliveries end promptly, and report
		err = fmt.Errorf("fluxnotify: shutdown: deliveries still in flight were cancelled, queued events abandoned: %w", ctx.Err())
	}
	if ferr := d.Flush(ctx); ferr != nil && err == nil {
		err = fmt.Errorf("fluxnotify: shutdown: %w", ferr)
	}
	d.finish()
	return err
}

// Close stops at once: it refuses new events, cancels every delivery in
// flight and abandons queued events (each reported with ErrAbandoned, as
// with Shutdown), and returns once their outcomes are recorded. Groups of
// spec.delivery.group not yet sent stay in the store (WithStore), where a
// Dispatcher started later on it finds and sends them; without WithStore
// their messages are reported with ErrAbandoned. It makes
// the Dispatcher an io.Closer; Shutdown is the orderly way to stop.
func (d *Dispatcher) Close() error {
	d.stopAccepting()
	d.cancel()
	d.wg.Wait()
	if d.ownState {
		_ = d.Flush(d.base) // ended: each message reported as abandoned
	}
	d.finish()
	return nil
}

// stopAccepting refuses every new event and lets the workers exit once the
// queue is empty.
func (d *Dispatcher) stopAccepting() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.queue.close()
}

// finish releases what the Dispatcher holds once nothing is in flight.
func (d *Dispatcher) finish() {
	d.workers.Wait()
	d.cancel()
	d.groups.stop()
	if d.ownState {
		_ = d.state.Close()
	}
	d.notifierMu.Lock()
	for k, c := range d.notifiers {
		closeIdle(c.n)
		delete(d.notifiers, k)
	}
	d.notifierMu.Unlock()
}

// jobQueue is the FIFO of accepted events: unbounded itself, since admit
// bounds what enters, and with no capacity reserved up front.
type jobQueue struct {
	mu     sync.Mutex
	cond   sync.Cond
	items  []*job
	head   int
	closed bool
}

func (q *jobQueue) init() { q.cond.L = &q.mu }

func (q *jobQueue) push(j *job) {
	q.mu.Lock()
	q.items = append(q.items, j)
	q.mu.Unlock()
	q.cond.Signal()
}

// pop waits for a job; it reports false once the queue is closed and empty.
func (q *jobQueue) pop() (*job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head == len(q.items) {
		if q.closed {
			return nil, false
		}
		q.cond.Wait()
	}
	j := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) { // empty: reuse the array from the start
		q.items, q.head = q.items[:0], 0
	} else if q.head > 1024 && q.head > len(q.items)/2 {
		q.items, q.head = append(q.items[:0], q.items[q.head:]...), 0
	}
	return j, true
}

func (q *jobQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}
