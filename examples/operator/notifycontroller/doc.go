// Package notifycontroller embeds fluxnotify in a controller-runtime
// manager: it keeps a Dispatcher's configuration in step with the Alert,
// Provider and Secret objects of a cluster, reads involved objects' labels
// for matchLabels, and serves the Flux-compatible event endpoint, so that
// Flux controllers (their --events-addr) and custom operators can post
// events to it as they would to Flux's notification-controller.
//
// Wiring, in a manager's main:
//
//	d, _ := fluxnotify.New(nil, fluxnotify.WithLabeler(notifycontroller.Labeler{Reader: mgr.GetClient()}))
//	_ = (&notifycontroller.ConfigReconciler{
//		Client:       mgr.GetClient(),
//		SecretReader: mgr.GetAPIReader(),
//		Dispatcher:   d,
//	}).SetupWithManager(mgr)
//	_ = mgr.Add(notifycontroller.EventServer(":9090", d))
//
// The reconciler watches the Alerts and Providers of one API group and
// version: ConfigReconciler.GroupVersion, or the one the manager's scheme
// registers them under.
// alert.AddExtendedToScheme and provider.AddExtendedToScheme register
// fluxnotify.io/v1alpha1, whose CRDs (config/crd) keep the fields only
// fluxnotify reads (channel, template, delivery, reasons, severity lists,
// globs): the group to watch next to Flux, which never sees these objects. alert.AddToScheme and
// provider.AddToScheme register Flux's notification.toolkit.fluxcd.io/v1beta3,
// to stand in for Flux's notification-controller (flux mode).
//
// Secrets are read on demand and only when a Provider references them:
// the manager's cache watches Secrets' metadata, never their data.
package notifycontroller
