// Package metrics exposes what a fluxnotify.Dispatcher does as Prometheus
// metrics, for the operator's /metrics endpoint (controller-runtime's
// registry), the command-line tool's serve, or any other
// prometheus.Registerer. It is a module of its own, so that the library
// does not depend on client_golang:
//
//	m := metrics.New()
//	d, err := fluxnotify.New(cfg, append(opts, m.Options()...)...)
//	err = m.Register(ctrlmetrics.Registry, d)
//
// The metrics, named as Prometheus recommends:
//
//   - fluxnotify_events_received_total{outcome}: events given to the
//     Dispatcher (event endpoint, Enqueue, Dispatch), by what became of
//     them: accepted (matched at least one alert), no_alert, duplicate,
//     invalid, rejected (queue full or shutting down). Each event counts
//     once, when its outcome is known; events still queued are in
//     fluxnotify_queue_events.
//   - fluxnotify_deliveries_total{type,outcome}: deliveries (one event to
//     one alert's provider) by provider type and outcome: delivered,
//     deferred (held back by spec.delivery), failed, suspended, skipped (by
//     one of Flux's delivery rules), not_routed (an event of a group its
//     alert no longer took when the group was sent), abandoned (at
//     shutdown).
//   - fluxnotify_delivery_duration_seconds{type}: the time of each delivery
//     that reached its notifier, retries included.
//   - fluxnotify_queue_events and fluxnotify_queue_bytes: events accepted
//     and not yet done, and their size: the bounds of WithMaxPending and
//     WithMaxPendingBytes.
package metrics
