package notifycontroller

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
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
//
// It reads Alerts and Providers as unstructured objects and decodes each
// one apart, so that one object that does not decode (the schema of
// fluxnotify.io keeps any value in spec.eventSeverity) is logged and left
// out while the others keep routing; a typed informer would stop at it.
type ConfigReconciler struct {
	// Client reads Alerts and Providers, usually from the manager's cache.
	// They are read as unstructured objects: give the manager's client
	// client.CacheOptions{Unstructured: true}, or every rebuild lists them
	// from the API server.
	Client client.Reader
	// SecretReader reads the Secrets Providers reference. Use the manager's
	// API reader (uncached), so the cache never holds Secret data.
	SecretReader client.Reader
	// Dispatcher receives the configuration.
	Dispatcher Updater
	// Namespace restricts the configuration to one namespace; empty means
	// every namespace.
	Namespace string
	// GroupVersion is the API group and version of the Alerts and
	// Providers to read: alert.ExtendedGroupVersion (fluxnotify.io/v1alpha1,
	// fluxnotify's own CRDs) or alert.GroupVersion (Flux's). Empty means
	// the one the scheme registers alert.Alert under: the manager's, in
	// SetupWithManager, or Client's when it has a scheme.
	GroupVersion schema.GroupVersion
}

// groupVersion returns r.GroupVersion, or the group and version the
// scheme registers alert.Alert under.
func (r *ConfigReconciler) groupVersion(s *runtime.Scheme) (schema.GroupVersion, error) {
	if !r.GroupVersion.Empty() {
		return r.GroupVersion, nil
	}
	if s == nil {
		if c, ok := r.Client.(interface{ Scheme() *runtime.Scheme }); ok {
			s = c.Scheme()
		}
	}
	if s == nil {
		return schema.GroupVersion{}, fmt.Errorf("notifycontroller: set ConfigReconciler.GroupVersion (alert.ExtendedGroupVersion or alert.GroupVersion)")
	}
	gvk, err := apiutil.GVKForObject(&alert.Alert{}, s)
	if err != nil {
		return schema.GroupVersion{}, fmt.Errorf("notifycontroller: set ConfigReconciler.GroupVersion or register alert.Alert in the scheme: %w", err)
	}
	return gvk.GroupVersion(), nil
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
	gv, err := r.groupVersion(mgr.GetScheme())
	if err != nil {
		return err
	}
	r.GroupVersion = gv
	all := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: configKey}}
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("fluxnotify-config").
		Watches(unstructuredOf(gv.WithKind(alert.Kind)), all).
		Watches(unstructuredOf(gv.WithKind(provider.Kind)), all).
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
	providers, err := r.providers(ctx, client.InNamespace(secret.GetNamespace()))
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing Providers to match a Secret", "secret", client.ObjectKeyFromObject(secret))
		return []reconcile.Request{{NamespacedName: configKey}} // rebuild to be safe
	}
	for i := range providers {
		if slices.Contains(secretRefs(&providers[i]), secret.GetName()) {
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
	gv, err := r.groupVersion(nil)
	if err != nil {
		return nil, err
	}
	alerts, err := list[alert.Alert](ctx, r.Client, gv.WithKind(alert.Kind), opts)
	if err != nil {
		return nil, fmt.Errorf("listing Alerts: %w", err)
	}
	providers, err := r.providers(ctx, opts...)
	if err != nil {
		return nil, err
	}
	cfg := &fluxnotify.Config{Alerts: alerts, Providers: providers}
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

// providers lists the Providers.
func (r *ConfigReconciler) providers(ctx context.Context, opts ...client.ListOption) ([]provider.Provider, error) {
	gv, err := r.groupVersion(nil)
	if err != nil {
		return nil, err
	}
	providers, err := list[provider.Provider](ctx, r.Client, gv.WithKind(provider.Kind), opts)
	if err != nil {
		return nil, fmt.Errorf("listing Providers: %w", err)
	}
	return providers, nil
}

// unstructuredOf returns an empty object of kind gvk, to watch.
func unstructuredOf(gvk schema.GroupVersionKind) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	return u
}

// list lists the objects of kind gvk as unstructured objects and decodes
// each into a T. An object that does not decode is logged and left out.
func list[T any](ctx context.Context, c client.Reader, gvk schema.GroupVersionKind, opts []client.ListOption) ([]T, error) {
	var l unstructured.UnstructuredList
	l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	if err := c.List(ctx, &l, opts...); err != nil {
		return nil, err
	}
	out := make([]T, 0, len(l.Items))
	for i := range l.Items {
		u := &l.Items[i]
		data, err := u.MarshalJSON()
		var v T
		if err == nil {
			err = json.Unmarshal(data, &v)
		}
		if err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "left out: the object does not decode", "kind", gvk.Kind, "object", client.ObjectKeyFromObject(u))
			continue
		}
		out = append(out, v)
	}
	return out, nil
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
