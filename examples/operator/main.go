// Command operator is a controller-runtime manager that notifies like
// Flux's notification-controller, with fluxnotify inside:
//
//   - it watches Alert and Provider objects and the Secrets Providers
//     reference, and keeps a fluxnotify Dispatcher's configuration in step
//     (package notifycontroller). With --mode=extended (the default) it
//     watches fluxnotify.io/v1alpha1 (the CRDs in config/crd, which keep
//     channel, template, severity lists and globs), so it never doubles
//     what Flux's notification-controller sends for its own Alerts; with
//     --mode=flux it watches Flux's notification.toolkit.fluxcd.io/v1beta3,
//     to stand in for notification-controller;
//   - it serves the Flux-compatible event endpoint on --events-addr, so Flux
//     controllers started with --events-addr=http://<this service>:9090/
//     send it their events;
//   - it reads involved objects' labels from the cluster for matchLabels;
//   - it runs a reconciler of its own (package appconfig) that validates
//     ConfigMaps and sends events through the same Dispatcher when one fails
//     and when it recovers: the pattern a custom operator copies.
//
// Provider types delivered: slack, discord, rocket, generic and
// generic-hmac; Flux's other types route and are reported as failed.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/examples/customnotifier/webhook"
	"github.com/fluxnotify/fluxnotify/examples/metrics"
	"github.com/fluxnotify/fluxnotify/examples/operator/appconfig"
	"github.com/fluxnotify/fluxnotify/examples/operator/notifycontroller"
	"github.com/fluxnotify/fluxnotify/match"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack"
	"github.com/fluxnotify/fluxnotify/state"
	_ "github.com/fluxnotify/fluxnotify/state/redisstate" // redis:// for --state
)

// Scheme returns the scheme of the operator: Kubernetes' built-in types,
// and fluxnotify's Alert and Provider under the group the mode watches:
// fluxnotify.io/v1alpha1 in extended mode, Flux's
// notification.toolkit.fluxcd.io/v1beta3 in flux mode.
func Scheme(mode match.Mode) (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	addAlert, addProvider := alert.AddExtendedToScheme, provider.AddExtendedToScheme
	if mode == match.Flux {
		addAlert, addProvider = alert.AddToScheme, provider.AddToScheme
	}
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, addAlert, addProvider} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Registry returns the provider types of the operator.
func Registry() (*provider.Registry, error) {
	r := provider.NewRegistry()
	if err := slack.Register(r); err != nil {
		return nil, err
	}
	if err := webhook.Register(r); err != nil {
		return nil, err
	}
	return r, nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "operator:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		eventsAddr  = flag.String("events-addr", ":9090", "address of the Flux-compatible event endpoint")
		metricsAddr = flag.String("metrics-bind-address", ":8080", `address of the metrics endpoint ("0" disables it)`)
		probeAddr   = flag.String("health-probe-bind-address", ":8081", "address of the health probes")
		namespace   = flag.String("watch-namespace", "", "namespace of the Alerts, Providers and ConfigMaps to watch (all when empty)")
		modeName    = flag.String("mode", "extended", "matching semantics: extended or flux")
		cluster     = flag.String("cluster", "", "cluster name shown in messages")
		leaderElect = flag.Bool("leader-elect", false, "elect a leader, so that one replica reconciles ConfigMaps")
		noCrossNS   = flag.Bool("no-cross-namespace-refs", false, "restrict every Alert to events from its own namespace, as Flux's flag of that name")
		stateSpec   = flag.String("state", "memory", `where deduplication keys and Slack threads live: "memory", "file:PATH", or "redis://HOST:PORT/DB" so that replicas share them`)
	)
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("setup")

	mode, err := match.ParseMode(*modeName)
	if err != nil {
		return fmt.Errorf("-mode: %w", err)
	}
	scheme, err := Scheme(mode)
	if err != nil {
		return err
	}
	reg, err := Registry()
	if err != nil {
		return err
	}
	opts := ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: *metricsAddr},
		HealthProbeBindAddress: *probeAddr,
		LeaderElection:         *leaderElect,
		LeaderElectionID:       "fluxnotify-operator.fluxnotify.example",
		// notifycontroller reads Alerts and Providers as unstructured
		// objects: serve them from the cache too.
		Client: client.Options{Cache: &client.CacheOptions{Unstructured: true}},
	}
	if *namespace != "" {
		opts.Cache = cache.Options{DefaultNamespaces: map[string]cache.Config{*namespace: {}}}
	}
	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), opts)
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}

	// The Dispatcher starts empty; the ConfigReconciler fills it once the
	// cache has synced, and on every change.
	dopts := []fluxnotify.Option{
		fluxnotify.WithRegistry(reg),
		fluxnotify.WithMode(mode),
		fluxnotify.WithCluster(*cluster),
		fluxnotify.WithLabeler(notifycontroller.Labeler{Reader: mgr.GetClient()}),
		// Deliveries are logged through the manager's logger.
		fluxnotify.WithLogger(slog.New(logr.ToSlogHandler(ctrl.Log.WithName("fluxnotify")))),
		// The appconfig controller reports the same failure on every
		// reconcile: send it once per window, as the event endpoint does.
		fluxnotify.WithCallerDedup(),
		// The API server does not parse templates or regular expressions:
		// an edit that breaks a working Alert or Provider keeps the working
		// version (and is logged) instead of silencing its notifications.
		fluxnotify.WithKeepLastGood(),
	}
	// Events and deliveries are counted on the manager's /metrics.
	m := metrics.New()
	dopts = append(dopts, m.Options()...)
	if *noCrossNS {
		dopts = append(dopts, fluxnotify.WithNoCrossNamespaceRefs())
	}
	// Replicas of the operator behind one Service share deduplication and
	// Slack threads through Redis (--state=redis://redis:6379/0).
	octx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	store, err := state.Open(octx, *stateSpec)
	cancel()
	if err != nil {
		return fmt.Errorf("-state: %w", err)
	}
	defer store.Close()
	dopts = append(dopts, fluxnotify.WithStore(store))
	d, err := fluxnotify.New(nil, dopts...)
	if d == nil {
		return err
	}
	if err := m.Register(ctrlmetrics.Registry, d); err != nil {
		return fmt.Errorf("registering the metrics: %w", err)
	}
	if err := (&notifycontroller.ConfigReconciler{
		Client:       mgr.GetClient(),
		SecretReader: mgr.GetAPIReader(),
		Dispatcher:   d,
		Namespace:    *namespace,
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the configuration controller: %w", err)
	}
	if err := (&appconfig.Reconciler{Client: mgr.GetClient(), Dispatcher: d}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the appconfig controller: %w", err)
	}
	if err := mgr.Add(notifycontroller.EventServer(*eventsAddr, d)); err != nil {
		return err
	}
	if err := mgr.Add(notifycontroller.Closer(d, 30*time.Second)); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	log.Info("starting", "events-addr", *eventsAddr, "mode", mode.String())
	return mgr.Start(ctrl.SetupSignalHandler())
}
