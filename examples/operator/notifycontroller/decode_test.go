package notifycontroller_test

import (
	"context"
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/yaml"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/examples/operator/notifycontroller"
)

// object reads a manifest into an unstructured object, as the API server
// would store it.
func object(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	require.NoError(t, yaml.Unmarshal([]byte(manifest), &u.Object))
	return u
}

// fluxnotify.io's schema keeps any value in spec.eventSeverity, so a
// cluster may hold an Alert that does not decode. The reconciler leaves it
// out, with a log line naming it, and loads the others: one bad object never
// stops the rest.
func TestLoadLeavesOutWhatDoesNotDecode(t *testing.T) {
	// The scheme does not know Alert and Provider: GroupVersion names them.
	s := runtime.NewScheme()
	require.NoError(t, clientgoscheme.AddToScheme(s))
	mapper := meta.NewDefaultRESTMapper(nil)
	for gvk := range s.AllKnownTypes() {
		mapper.Add(gvk, meta.RESTScopeNamespace)
	}
	for _, kind := range []string{alert.Kind, "Provider"} {
		mapper.Add(alert.ExtendedGroupVersion.WithKind(kind), meta.RESTScopeNamespace)
	}
	const alertYAML = `apiVersion: fluxnotify.io/v1alpha1
kind: Alert
metadata: {name: NAME, namespace: flux-system}
spec:
  providerRef: {name: slack}
  channel: "#devops"
  eventSeverity: SEVERITY
  eventSources: [{kind: Kustomization, name: "app-*"}]
`
	alertWith := func(name, severity string) client.Object {
		return object(t, strings.NewReplacer("NAME", name, "SEVERITY", severity).Replace(alertYAML))
	}
	c := fake.NewClientBuilder().WithScheme(s).WithRESTMapper(mapper).WithObjects(
		alertWith("good", "[error, warn]"),
		alertWith("number", "3"),
		alertWith("map", "{level: error}"),
		object(t, "apiVersion: fluxnotify.io/v1alpha1\nkind: Provider\nmetadata: {name: slack, namespace: flux-system}\nspec: {type: slack, template: {text: hi}}\n"),
	).Build()

	var logs []string
	ctx := ctrl.LoggerInto(context.Background(), funcr.New(func(prefix, args string) { logs = append(logs, args) }, funcr.Options{}))
	r := &notifycontroller.ConfigReconciler{Client: c, SecretReader: c, Dispatcher: &recorder{}, GroupVersion: alert.ExtendedGroupVersion}
	cfg, err := r.Load(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"good"}, names(cfg.Alerts))
	assert.Equal(t, alert.Exactly("error", "warn"), cfg.Alerts[0].Spec.EventSeverity)
	assert.Equal(t, "#devops", cfg.Alerts[0].Spec.Channel)
	require.Equal(t, []string{"slack"}, providerNames(cfg.Providers))
	assert.Equal(t, "hi", cfg.Providers[0].Spec.Template.Text)

	require.Len(t, logs, 2)
	for i, name := range []string{"map", "number"} {
		assert.Contains(t, logs[i], `"msg"="left out: the object does not decode"`)
		assert.Contains(t, logs[i], `"object"={"name"="`+name+`" "namespace"="flux-system"}`)
		assert.Contains(t, logs[i], "want a string or a list of strings")
	}
}

// Without GroupVersion, a reconciler whose client has no scheme cannot know
// which group to read, and says so.
func TestLoadNeedsAGroupVersion(t *testing.T) {
	r := &notifycontroller.ConfigReconciler{Client: readerOnly{}, SecretReader: readerOnly{}, Dispatcher: &recorder{}}
	_, err := r.Load(context.Background())
	require.ErrorContains(t, err, "set ConfigReconciler.GroupVersion")
}

// readerOnly is a client.Reader without a scheme.
type readerOnly struct{ client.Reader }
