package metrics

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/provider"
)

// The outcomes of a delivery, as the label outcome of
// fluxnotify_deliveries_total.
const (
	Delivered = "delivered"
	Failed    = "failed"
	Suspended = "suspended"
	Skipped   = "skipped"
	Abandoned = "abandoned"
	// NotRouted: an event of a group that, by the time the group was
	// sent, its alert no longer took (suspended, removed, or changed).
	NotRouted = "not_routed"
	// Deferred: nothing was sent now, on purpose, for an alert with
	// spec.delivery (a repeat counted by transitions, or an event that
	// joined a group sent later as a delivery of its own).
	Deferred = "deferred"
)

// Metrics are the Prometheus metrics of one Dispatcher.
type Metrics struct {
	events     *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	duration   *prometheus.HistogramVec
}

// New returns the metrics, every count at zero. Give its Options to
// fluxnotify.New, then Register it with the Dispatcher.
func New() *Metrics {
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fluxnotify_events_received_total",
			Help: "Events given to the dispatcher, by outcome: accepted, no_alert, duplicate, invalid, rejected.",
		}, []string{"outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fluxnotify_deliveries_total",
			Help: "Deliveries of one event to one alert's provider, by provider type and outcome: delivered, deferred, failed, suspended, skipped, not_routed, abandoned.",
		}, []string{"type", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "fluxnotify_delivery_duration_seconds",
			Help:    "Time spent delivering one event to one provider, retries included.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"type"}),
	}
	// Every event outcome shows from the start, at zero, so rates work.
	for _, o := range []fluxnotify.Outcome{fluxnotify.OutcomeAccepted, fluxnotify.OutcomeNoAlert,
		fluxnotify.OutcomeDuplicate, fluxnotify.OutcomeInvalid, fluxnotify.OutcomeRejected} {
		m.events.WithLabelValues(string(o))
	}
	return m
}

// Options are the Dispatcher options that feed the metrics: an observer of
// deliveries and one of events.
func (m *Metrics) Options() []fluxnotify.Option {
	return []fluxnotify.Option{
		fluxnotify.WithObserver(m.ObserveResult),
		fluxnotify.WithEventObserver(m.ObserveEvent),
	}
}

// ObserveResult counts one delivery; it is a fluxnotify.WithObserver
// function.
func (m *Metrics) ObserveResult(_ context.Context, r fluxnotify.Result) {
	typ := r.Type
	if typ == "" {
		typ = "unknown" // the alert's provider does not exist
	}
	m.deliveries.WithLabelValues(typ, Outcome(r)).Inc()
	if r.Attempts > 0 {
		m.duration.WithLabelValues(typ).Observe(r.Duration.Seconds())
	}
}

// ObserveEvent counts one event; it is a fluxnotify.WithEventObserver
// function.
func (m *Metrics) ObserveEvent(_ context.Context, o fluxnotify.EventOutcome) {
	m.events.WithLabelValues(string(o.Outcome)).Inc()
}

// Outcome is the outcome label of r.
func Outcome(r fluxnotify.Result) string {
	switch {
	case r.Err == nil && r.Deferred:
		return Deferred
	case r.Err == nil:
		return Delivered
	case errors.Is(r.Err, fluxnotify.ErrSuspended):
		return Suspended
	case errors.Is(r.Err, provider.ErrSkipped):
		return Skipped
	case errors.Is(r.Err, fluxnotify.ErrNotRouted):
		return NotRouted
	case errors.Is(r.Err, fluxnotify.ErrAbandoned):
		return Abandoned
	default:
		return Failed
	}
}

// Register registers the metrics with reg, and the queue gauges of d.
func (m *Metrics) Register(reg prometheus.Registerer, d *fluxnotify.Dispatcher) error {
	if d == nil {
		return errors.New("metrics: Register: nil Dispatcher")
	}
	queueEvents := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "fluxnotify_queue_events",
		Help: "Events accepted and not yet delivered, failed or abandoned.",
	}, func() float64 { n, _ := d.Pending(); return float64(n) })
	queueBytes := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "fluxnotify_queue_bytes",
		Help: "Size of the events accepted and not yet done, in bytes.",
	}, func() float64 { _, b := d.Pending(); return float64(b) })
	var errs []error
	for _, c := range []prometheus.Collector{m.events, m.deliveries, m.duration, queueEvents, queueBytes} {
		errs = append(errs, reg.Register(c))
	}
	return errors.Join(errs...)
}
