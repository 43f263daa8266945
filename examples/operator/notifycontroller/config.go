package notifycontroller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/provider"
)

// Updater receives configurations; *fluxnotify.Dispatcher is one.
type Updater interface {
	Update(cfg *fluxnotify.Config) error
}

// configKey is the one request the ConfigReconciler handles: every change
// rebuilds the whole configuration, so changes made together coalesce in
// the work queue into one rebuild.
var configKey = types.NamespacedName{Name: "fluxnotify-config"}

// ConfigReconciler keeps a Dispatcher's configuration in step with the
// cluster: on every change of an Alert, a Provider or a Secret that a
// Provider references, it reads them all and calls Update.
type ConfigReconciler struct {
	// Client reads Alerts and Providers, usually from the manager's cache.
	Client client.Reader
	// SecretReader reads the Secrets Providers reference. Use the manager's
	// API reader (uncached), so the cache never holds Secret data.
	SecretReader client.Reader
	// Dispatcher receives the configuration.
	Dispatcher Updater
	// Namespace restricts the configuration to one namespace; empty means
	// every namespace.
	Namespace string
}

// The permissions the reconciler needs, as controller-gen reads them.
// +kubebuilder:rbac:groups=fluxnotify.io,resources=alerts;providers,verbs=get;list;watch
// +kubebuilder:rbac:groups=notification.toolkit.fluxcd.io,resources=alerts;providers,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch

// SetupWithManager registers the reconciler with mgr.
func (r *ConfigReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil || r.SecretReader == nil || r.Dispatcher == nil {
		return fmt.Errorf("notifycontroller: ConfigReconciler needs a Client, a SecretReader and a Dispatcher")
	}
	all := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: configKey}}
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("fluxnotify-config").
		Watches(&alert.Alert{}, all).
		Watches(&provider.Provider{}, all).
		// Metadata only: the cache does not hold the data of every Secret.
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.SecretReferenced)).
		Complete(r)
}

// SecretReferenced returns the configuration request when a Provider in the
// Secret's namespace references it, and nothing otherwise, so that the
// churn of unrelated Secrets costs one cache lookup.
func (r *ConfigReconciler) SecretReferenced(ctx context.Context, secret client.Object) []reconcile.Request {
	if r.Namespace != "" && secret.GetNamespace() != r.Namespace {
		return nil
	}
	var providers provider.ProviderList
	if err := r.Client.List(ctx, &providers, client.InNamespace(secret.GetNamespace())); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing Providers to match a Secret", "secret", client.ObjectKeyFromObject(secret))
		return []reconcile.Request{{NamespacedName: configKey}} // rebuild to be safe
	}
	for i := range providers.Items {
		if slices.Contains(secretRefs(&providers.Items[i]), secret.GetName()) {
			return []reconcile.Request{{NamespacedName: configKey}}
		}
	}
	return nil
}

// Reconcile rebuilds the configuration and hands it to the Dispatcher.
// Problems of single objects (an invalid alert, a missing provider) are
// logged, not retried: the Dispatcher keeps routing with the rest, and the
// next change of the objects triggers a new rebuild.
func (r *ConfigReconciler) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	cfg, err := r.Load(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := r.Dispatcher.Update(cfg); err != nil {
		log.Info("configuration updated, with problems", "alerts", len(cfg.Alerts), "providers", len(cfg.Providers), "problems", err.Error())
		return ctrl.Result{}, nil
	}
	log.V(1).Info("configuration updated", "alerts", len(cfg.Alerts), "providers", len(cfg.Providers), "secrets", len(cfg.Secrets))
	return ctrl.Result{}, nil
}

// Load reads the Alerts, the Providers and the Secrets these reference. A
// referenced Secret that does not exist is left out: the Dispatcher
// reports it when it delivers through that Provider. Objects are sorted by
// namespace and name, so results come in a stable order.
func (r *ConfigReconciler) Load(ctx context.Context) (*fluxnotify.Config, error) {
	var opts []client.ListOption
	if r.Namespace != "" {
		opts = append(opts, client.InNamespace(r.Namespace))
	}
	var alerts alert.AlertList
	if err := r.Client.List(ctx, &alerts, opts...); err != nil {
		return nil, fmt.Errorf("listing Alerts: %w", err)
	}
	var providers provider.ProviderList
	if err := r.Client.List(ctx, &providers, opts...); err != nil {
		return nil, fmt.Errorf("listing Providers: %w", err)
	}
	cfg := &fluxnotify.Config{Alerts: alerts.Items, Providers: providers.Items}
	slices.SortFunc(cfg.Alerts, func(a, b alert.Alert) int { return compareKeys(&a, &b) })
	slices.SortFunc(cfg.Providers, func(a, b provider.Provider) int { return compareKeys(&a, &b) })

	seen := make(map[types.NamespacedName]bool)
	for i := range cfg.Providers {
		p := &cfg.Providers[i]
		for _, name := range secretRefs(p) {
			key := types.NamespacedName{Namespace: p.Namespace, Name: name}
			if seen[key] {
				continue
			}
			seen[key] = true
			var s corev1.Secret
			switch err := r.SecretReader.Get(ctx, key, &s); {
			case apierrors.IsNotFound(err):
				continue
			case err != nil:
				return nil, fmt.Errorf("provider %s: reading secret %s: %w", p.NamespacedName(), key, err)
			}
			cfg.Secrets = append(cfg.Secrets, s)
		}
	}
	return cfg, nil
}

// secretRefs returns the names of the Secrets p references.
func secretRefs(p *provider.Provider) []string {
	var out []string
	for _, ref := range []*corev1.LocalObjectReference{p.Spec.SecretRef, p.Spec.CertSecretRef, p.Spec.ProxySecretRef} {
		if ref != nil && ref.Name != "" {
			out = append(out, ref.Name)
		}
	}
	return out
}

func compareKeys(a, b client.Object) int {
	if c := strings.Compare(a.GetNamespace(), b.GetNamespace()); c != 0 {
		return c
	}
	return strings.Compare(a.GetName(), b.GetName())
}
