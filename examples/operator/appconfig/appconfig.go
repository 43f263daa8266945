package appconfig

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/event"
)

// The label that selects ConfigMaps, and the annotation that remembers the
// last outcome.
const (
	Label            = "fluxnotify.example/validate"
	HealthAnnotation = "fluxnotify.example/health"
)

// The values of HealthAnnotation.
const (
	Healthy = "healthy"
	Failed  = "failed"
)

// The reasons of the events the reconciler sends.
const (
	ReasonValidationFailed = "ValidationFailed"
	ReasonRecovered        = "Recovered"
)

// DefaultController is the reporting controller of the events, which Slack
// shows as the sender.
const DefaultController = "appconfig-controller"

// Dispatcher delivers events; *fluxnotify.Dispatcher is one.
type Dispatcher interface {
	Dispatch(ctx context.Context, e *event.Event) ([]fluxnotify.Result, error)
}

// Reconciler validates ConfigMaps and notifies when one fails and when it
// recovers.
type Reconciler struct {
	// Client reads ConfigMaps and patches their annotation.
	Client client.Client
	// Dispatcher delivers the events.
	Dispatcher Dispatcher
	// Controller is the reporting controller; DefaultController when empty.
	Controller string
}

// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;patch

// SetupWithManager registers the reconciler for labelled ConfigMaps.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	selected := predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetLabels()[Label] == "true" })
	return ctrl.NewControllerManagedBy(mgr).
		Named("appconfig").
		For(&corev1.ConfigMap{}, builder.WithPredicates(selected)).
		Complete(r)
}

// Reconcile validates one ConfigMap, records the outcome and notifies.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var cm corev1.ConfigMap
	if err := r.Client.Get(ctx, req.NamespacedName, &cm); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if cm.Labels[Label] != "true" {
		return ctrl.Result{}, nil
	}
	previous := cm.Annotations[HealthAnnotation]
	verr := Validate(&cm)

	switch {
	case verr != nil:
		r.notify(ctx, &cm, event.SeverityError, ReasonValidationFailed, verr.Error())
	case previous == Failed:
		r.notify(ctx, &cm, event.SeverityInfo, ReasonRecovered, "configuration is valid again")
	}

	now := Healthy
	if verr != nil {
		now = Failed
	}
	if now != previous {
		patch := client.MergeFrom(cm.DeepCopy())
		if cm.Annotations == nil {
			cm.Annotations = map[string]string{}
		}
		cm.Annotations[HealthAnnotation] = now
		if err := r.Client.Patch(ctx, &cm, patch); err != nil && !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("recording the outcome on ConfigMap %s: %w", req.NamespacedName, err)
		}
	}
	return ctrl.Result{}, nil
}

// notify sends one event through the library. It blocks until every
// matched alert was delivered or failed (bounded by the providers'
// timeouts and retries); failures are logged, not retried by the
// reconciler: the Dispatcher already retried them.
func (r *Reconciler) notify(ctx context.Context, cm *corev1.ConfigMap, sev event.Severity, reason, message string) {
	controller := r.Controller
	if controller == "" {
		controller = DefaultController
	}
	e := event.New(corev1.ObjectReference{
		APIVersion: "v1", Kind: "ConfigMap",
		Name: cm.Name, Namespace: cm.Namespace,
		UID: cm.UID, ResourceVersion: cm.ResourceVersion,
	}, sev, reason, message,
		event.WithController(controller),
		event.WithAction("Validate"),
	)
	log := ctrl.LoggerFrom(ctx)
	results, err := r.Dispatcher.Dispatch(ctx, e)
	switch {
	case errors.Is(err, fluxnotify.ErrDuplicate):
		log.V(1).Info("notification already sent within the deduplication window", "reason", reason)
	case err != nil:
		log.Error(err, "notification failed", "reason", reason)
	default:
		log.Info("notified", "reason", reason, "alerts", len(results))
	}
}

// Validate checks that every key of cm ending in ".json" holds valid JSON.
// The error names every key at fault, in sorted order.
func Validate(cm *corev1.ConfigMap) error {
	keys := make([]string, 0, len(cm.Data))
	for k := range cm.Data {
		if strings.HasSuffix(k, ".json") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var problems []string
	for _, k := range keys {
		var v any
		if err := json.Unmarshal([]byte(cm.Data[k]), &v); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", k, err))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("invalid JSON in %s", strings.Join(problems, "; "))
}
