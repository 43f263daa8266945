package notifycontroller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Labeler reads the labels of events' involved objects from the cluster,
// for alerts' matchLabels. It implements match.Labeler.
//
// It reads metadata only (metav1.PartialObjectMetadata): with the manager's
// client, the cache then holds the metadata of the kinds that events are
// about, not their full objects. The manager needs RBAC to get, list and
// watch those kinds.
type Labeler struct {
	// Reader reads object metadata, usually the manager's client.
	Reader client.Reader
}

// The Labeler reads the kinds events are about; Flux's, for example.
// +kubebuilder:rbac:groups=kustomize.toolkit.fluxcd.io;helm.toolkit.fluxcd.io;source.toolkit.fluxcd.io;image.toolkit.fluxcd.io,resources=*,verbs=get;list;watch

// Labels returns the labels of obj. The error names the object.
func (l Labeler) Labels(ctx context.Context, obj *corev1.ObjectReference) (map[string]string, error) {
	if obj.APIVersion == "" {
		return nil, fmt.Errorf("labels of %s %s/%s: involvedObject.apiVersion is empty: matchLabels needs it to find the object", obj.Kind, obj.Namespace, obj.Name)
	}
	gv, err := schema.ParseGroupVersion(obj.APIVersion)
	if err != nil {
		return nil, fmt.Errorf("labels of %s %s/%s: apiVersion %q: %w", obj.Kind, obj.Namespace, obj.Name, obj.APIVersion, err)
	}
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(gv.WithKind(obj.Kind))
	if err := l.Reader.Get(ctx, client.ObjectKey{Namespace: obj.Namespace, Name: obj.Name}, m); err != nil {
		return nil, fmt.Errorf("labels of %s %s/%s: %w", obj.Kind, obj.Namespace, obj.Name, err)
	}
	return m.Labels, nil
}
