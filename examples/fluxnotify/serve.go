package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/examples/metrics"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/state"
	_ "github.com/fluxnotify/fluxnotify/state/redisstate" // --state redis://
)

var serveCommand = command{
	name:     "serve",
	synopsis: "-f PATH [-f PATH ...] [--substitute KEY=VALUE ...] [--addr 127.0.0.1:9090] [--mode extended|flux] [--dedup-window 5m] [--state memory|file:PATH|redis://HOST:PORT/DB]",
	about: `Serve runs the event endpoint that Flux controllers post their events to, as
the notification-controller does: point their --events-addr flag at it. Each
event is routed to the alerts it matches and delivered to Slack in the
background. Answers: 202 accepted, 400 bad JSON or missing fields, 413 over
3 MiB, 429 duplicate within the deduplication window, 503 overloaded or
shutting down; GET /healthz answers 200, and GET /metrics the Prometheus
metrics of events and deliveries (fluxnotify_events_received_total,
fluxnotify_deliveries_total, fluxnotify_delivery_duration_seconds,
fluxnotify_queue_events, fluxnotify_queue_bytes; see README.md). An event that matches no alert is
logged at info ("discarding event, no alerts found for the involved object",
as Flux logs it). -f and --substitute read manifests as route does (but not
from standard input, which a reload could not read again).

--state says where serve keeps the state that outlives one event
(deduplication keys, Slack threads, object status, aggregation windows):
"memory" (the default: lost on exit), "file:PATH" (one serve that survives
restarts; the file is locked by one process) or "redis://[:PASSWORD@]HOST:PORT/DB"
("rediss://" for TLS): replicas of serve on one Redis deduplicate together
and share threads.

SIGHUP reloads the manifests. An Alert or Provider whose new version does not
load or is not valid keeps the version in use, as when the API server refuses
a change; each one is logged ("kept the last good version", with the object
and why). While a file cannot be read at all, the objects missing from what
was read keep their version too. The other changes apply.

SIGINT or SIGTERM stops accepting events and waits for deliveries in flight
(at most --shutdown-timeout); then every event still queued or in flight is
abandoned. serve exits only once every accepted event has its log line
("event delivered", "event delivery failed" or "event abandoned at
shutdown", with the object, alert, provider and error) and the log is
written.`,
	examples: `  fluxnotify serve -f testdata/manifests --addr 127.0.0.1:9090
  curl -i -X POST --data @testdata/events/health-check-failed.json http://127.0.0.1:9090/
  kill -HUP $(pidof fluxnotify)   # reload the manifests
  fluxnotify serve -f testdata/manifests --state redis://127.0.0.1:6379/0   # replicas share state
`,
}

// serveHooks let tests follow serve: each is called, when set, from the
// serving goroutine.
type serveHooks struct {
	// ready is called with the listening address once the endpoint serves.
	ready func(addr string)
	// reloaded is called after a SIGHUP reload, with its problems.
	reloaded func(err error)
	// stopping is called when shutdown begins.
	stopping func()
	// signals, when set, replaces the process's signals.
	signals chan os.Signal
}

func (c *cli) serve(ctx context.Context, args []string) int {
	fs := c.newFlagSet(serveCommand)
	var f common
	f.register(fs)
	var m messageFlags
	m.register(fs)
	addr := fs.String("addr", "127.0.0.1:9090", "`address` to listen on (host:port)")
	window := fs.Duration("dedup-window", fluxnotify.DefaultDedupWindow, "drop an event seen within this `duration` (0 turns deduplication off)")
	stateSpec := fs.String("state", "memory", "where state is kept: `memory|file:PATH|redis://HOST:PORT/DB`")
	grace := fs.Duration("shutdown-timeout", 30*time.Second, "on SIGINT or SIGTERM, wait at most this `duration` for deliveries in flight")
	if code, done := c.parse(serveCommand, fs, args); done {
		return code
	}
	opts, err := f.options()
	if err != nil {
		return c.fail("serve", err)
	}
	if *window < 0 {
		return c.fail("serve", badInput("--dedup-window %s: must not be negative", *window))
	}
	if slices.Contains(f.files, "-") {
		return c.fail("serve", badInput("-f -: serve reloads its manifests on SIGHUP and cannot read standard input again; give files or folders"))
	}
	log := slog.New(discardingHandler{slog.NewTextHandler(c.stderr, nil)})
	octx, cancelOpen := context.WithTimeout(ctx, 10*time.Second)
	store, err := state.Open(octx, *stateSpec)
	cancelOpen()
	if err != nil {
		return c.fail("serve", badInput("--state: %w", err))
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("closing the state store", "error", err)
		}
	}()
	opts = append(opts, fluxnotify.WithStore(store))
	opts = append(opts, m.options()...)
	opts = append(opts, fluxnotify.WithLogger(log), fluxnotify.WithDedupWindow(*window), fluxnotify.WithKeepLastGood())
	counters := metrics.New()
	opts = append(opts, counters.Options()...)

	// Like a controller, serve runs with the valid part of the manifests and
	// logs the problems of the rest; it stops only when nothing loads.
	// Objects with a mistyped field are left out, as the API server would.
	cfg, err := f.loadLenient(c)
	if cfg == nil {
		return c.fail("serve", badInput("%w", err))
	}
	if len(cfg.Alerts) == 0 {
		return c.fail("serve", badInput("no Alert in %s", f.describeFiles()))
	}
	if err != nil {
		log.Warn("manifest problems; serving the valid objects", "problems", err.Error())
		dropMistyped(cfg, err)
	}
	current := cfg // what reload keeps an object of when its new version is bad
	d, err := fluxnotify.New(cfg, opts...)
	if d == nil {
		return c.fail("serve", badInput("%w", err))
	}
	if err != nil {
		log.Warn("configuration problems; serving the valid alerts", "problems", err.Error())
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := counters.Register(reg, d); err != nil {
		_ = d.Close()
		return c.fail("serve", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", d.Handler()) // events, on any path, and /healthz

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		_ = d.Close()
		return c.fail("serve", badInput("--addr: %w", err))
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("serving Flux events", "addr", "http://"+ln.Addr().String(), "alerts", len(cfg.Alerts), "providers", len(cfg.Providers), "state", state.Redact(*stateSpec))

	sigs := c.serveHooks.signals
	if sigs == nil {
		sigs = make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		defer signal.Stop(sigs)
	}
	if c.serveHooks.ready != nil {
		c.serveHooks.ready(ln.Addr().String())
	}

	code := exitOK
loop:
	for {
		select {
		case err := <-served:
			log.Error("the endpoint stopped", "error", err)
			code = exitFailed
			break loop
		case <-ctx.Done():
			break loop
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				err := c.reload(d, &f, log, &current)
				if c.serveHooks.reloaded != nil {
					c.serveHooks.reloaded(err)
				}
				continue
			}
			log.Info("shutting down: finishing deliveries in flight", "signal", sig.String(), "timeout", grace.String())
			break loop
		}
	}

	if c.serveHooks.stopping != nil {
		c.serveHooks.stopping()
	}
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("closing the endpoint", "error", err)
		code = exitFailed
	}
	// Shutdown returns once every accepted event is logged: delivered,
	// failed, or abandoned when sctx ends first.
	if err := d.Shutdown(sctx); err != nil {
		log.Error("deliveries did not finish in time; the events left are logged as abandoned", "error", err)
		code = exitFailed
	}
	log.Info("stopped")
	syncLog(c.stderr)
	return code
}

// syncLog flushes the log to its file when it is one (a regular file; a
// terminal or a pipe has nothing to flush). Every record is written whole
// by the time slog returns, so there is nothing else to flush.
func syncLog(w io.Writer) {
	if f, ok := w.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
}

// dropMistyped removes from cfg the Alerts and Providers that have an
// unknown field (a typo such as eventSeverty): what the user meant is
// unknown, and the API server would have refused them too.
func dropMistyped(cfg *fluxnotify.Config, err error) {
	bad := map[string]bool{}
	for _, le := range fluxnotify.LoadErrors(err) {
		if errors.Is(le, fluxnotify.ErrUnknownField) {
			bad[le.Object] = true
		}
	}
	if len(bad) == 0 {
		return
	}
	cfg.Alerts = slices.DeleteFunc(cfg.Alerts, func(a alert.Alert) bool {
		return bad[alert.Kind+" "+a.Namespace+"/"+a.Name]
	})
	cfg.Providers = slices.DeleteFunc(cfg.Providers, func(p provider.Provider) bool {
		return bad[provider.Kind+" "+p.Namespace+"/"+p.Name]
	})
}

// reload loads the manifests again and swaps them in, keeping the last
// good version of every object whose new version does not load (see
// keepLoaded) or is not valid (fluxnotify.WithKeepLastGood); *current is the
// configuration last loaded. When nothing loads the configuration in use
// is kept. The error holds a *fluxnotify.KeptError for each object kept.
func (c *cli) reload(d *fluxnotify.Dispatcher, f *common, log *slog.Logger, current **fluxnotify.Config) error {
	cfg, err := f.loadLenient(c)
	if cfg == nil {
		log.Error("reload failed; keeping the configuration in use", "error", err)
		return fmt.Errorf("reload: %w", err)
	}
	loadErr := err
	kept := keepLoaded(cfg, *current, err)
	updateErr := d.Update(cfg)
	*current = cfg
	var errs []error
	for _, k := range append(kept, fluxnotify.KeptObjects(updateErr)...) {
		log.Warn("kept the last good version; the new one is refused", "object", k.Object, "reason", k.Err.Error())
		errs = append(errs, k)
	}
	err = errors.Join(append(errs, loadErr, updateErr)...)
	if err != nil {
		log.Warn("reloaded with problems; the valid objects are in use", "alerts", len(cfg.Alerts), "providers", len(cfg.Providers), "kept", len(errs), "problems", err.Error())
		return err
	}
	log.Info("reloaded", "alerts", len(cfg.Alerts), "providers", len(cfg.Providers))
	return nil
}

// keepLoaded puts back into cfg, the manifests just loaded with problems
// err, the version in prev of every Alert and Provider that did not load
// (it has a problem of its own: an unknown field, a value of the wrong
// type, a failed validation), and of every Secret that did not load, and
// returns a *fluxnotify.KeptError for each. When some file or document
// could not be read at all (its objects are unknown), every object of prev
// missing from cfg is kept too, rather than deleted. A bad object with no previous version is
// left out when it has an unknown field (see dropMistyped), kept as it is
// otherwise. A reference to a missing Provider or a duplicate is no
// problem of the object itself.
func keepLoaded(cfg, prev *fluxnotify.Config, err error) []*fluxnotify.KeptError {
	if err == nil {
		return nil
	}
	bad := map[string][]error{}
	mistyped := map[string]bool{}
	unreadable := false
	for _, e := range leafErrors(err) {
		var le *fluxnotify.LoadError
		switch {
		case !errors.As(e, &le) || le.Object == "":
			unreadable = true
		case errors.Is(le, fluxnotify.ErrProviderNotFound), errors.Is(le, fluxnotify.ErrDuplicateObject):
		default:
			bad[le.Object] = append(bad[le.Object], le)
			if errors.Is(le, fluxnotify.ErrUnknownField) {
				mistyped[le.Object] = true
			}
		}
	}
	var kept []*fluxnotify.KeptError
	cfg.Alerts = keepObjects(alert.Kind, cfg.Alerts, prev.Alerts, bad, mistyped, unreadable, &kept)
	cfg.Providers = keepObjects(provider.Kind, cfg.Providers, prev.Providers, bad, mistyped, unreadable, &kept)
	cfg.Secrets = keepObjects("Secret", cfg.Secrets, prev.Secrets, bad, nil, unreadable, &kept)
	return kept
}

// errUnread is why an object missing from the manifests read is kept.
var errUnread = errors.New("missing from the manifests read, while some of them could not be read; it is deleted once they all read")

// keepObjects returns objs with the version in prev of each object named
// in bad (or, when unreadable, missing from objs), and without each
// mistyped object that prev lacks; it adds a KeptError to kept for each
// object kept.
func keepObjects[T any, PT interface {
	*T
	metav1.Object
}](kind string, objs, prev []T, bad map[string][]error, mistyped map[string]bool, unreadable bool, kept *[]*fluxnotify.KeptError) []T {
	name := func(o *T) string { return kind + " " + PT(o).GetNamespace() + "/" + PT(o).GetName() }
	old := make(map[string]*T, len(prev))
	for i := range prev {
		if _, dup := old[name(&prev[i])]; !dup {
			old[name(&prev[i])] = &prev[i]
		}
	}
	have := make(map[string]bool, len(objs))
	out := objs[:0]
	for i := range objs {
		n := name(&objs[i])
		if have[n] {
			out = append(out, objs[i])
			continue
		}
		have[n] = true
		switch p, errs := old[n], bad[n]; {
		case len(errs) > 0 && p != nil:
			out = append(out, *p)
			*kept = append(*kept, &fluxnotify.KeptError{Object: n, Err: errors.Join(errs...)})
		case mistyped[n]: // what the user meant is unknown; the API server would refuse it
		default:
			out = append(out, objs[i])
		}
	}
	for i := range prev {
		n := name(&prev[i])
		if have[n] {
			continue
		}
		errs := bad[n]
		if len(errs) == 0 && unreadable {
			errs = []error{errUnread}
		}
		if len(errs) > 0 { // it did not decode, or its file did not read
			have[n] = true
			out = append(out, prev[i])
			*kept = append(*kept, &fluxnotify.KeptError{Object: n, Err: errors.Join(errs...)})
		}
	}
	return out
}

// leafErrors flattens the joined errors of err.
func leafErrors(err error) []error {
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range u.Unwrap() {
			out = append(out, leafErrors(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// discardingHandler logs the library's debug record for an event that
// matches no alert at info, with the message Flux's notification-controller
// logs, so that "why did nothing arrive?" shows in serve's log as it does
// in Flux's. Other debug records are dropped, as by the handler's level.
type discardingHandler struct{ slog.Handler }

// noAlertMessage is the message the Dispatcher logs, at debug, for an
// event that matches no alert.
const noAlertMessage = "event matches no alert"

func (h discardingHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level == slog.LevelDebug || h.Handler.Enabled(ctx, level)
}

func (h discardingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelDebug && r.Message == noAlertMessage {
		info := slog.NewRecord(r.Time, slog.LevelInfo, "discarding event, no alerts found for the involved object", r.PC)
		r.Attrs(func(a slog.Attr) bool { info.AddAttrs(a); return true })
		return h.Handler.Handle(ctx, info)
	}
	if !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h discardingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return discardingHandler{h.Handler.WithAttrs(attrs)}
}

func (h discardingHandler) WithGroup(name string) slog.Handler {
	return discardingHandler{h.Handler.WithGroup(name)}
}
