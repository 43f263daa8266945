package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	crdvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/provider"
)

// crdDir holds the generated CRDs of fluxnotify.io, relative to this module.
const crdDir = "../../config/crd"

// controllerGen runs this module's controller-gen (the tool directive of
// go.mod) in this directory, as the //go:generate lines do.
func controllerGen(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"tool", "controller-gen"}, args...)...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go tool controller-gen %s\n%s", strings.Join(args, " "), out)
}

// generateArgs returns the controller-gen arguments of the //go:generate
// line of file, checking that it runs this module's tool.
func generateArgs(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "//go:generate ")
		if !ok {
			continue
		}
		prefix := "go -C ../examples/operator tool controller-gen "
		require.True(t, strings.HasPrefix(line, prefix), "%s: want %q, got %q", file, prefix, line)
		return strings.Fields(strings.TrimPrefix(line, prefix))
	}
	require.NoError(t, sc.Err())
	t.Fatalf("%s: no //go:generate line", file)
	return nil
}

// TestGeneratedFilesUpToDate runs the //go:generate lines of packages alert
// and provider into a temporary directory and compares the deep copy and
// the CRDs with the committed files: it fails when a type or marker changed
// and `go generate ./...` was not run.
func TestGeneratedFilesUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs controller-gen")
	}
	tmp := t.TempDir()
	crds := filepath.Join(tmp, "crd")
	for _, pkg := range []string{"alert", "provider"} {
		args := generateArgs(t, filepath.Join("../..", pkg, "generate.go"))
		var out []string
		for _, a := range args {
			if strings.HasPrefix(a, "output:crd:dir=") {
				require.Equal(t, "output:crd:dir="+crdDir, a, "the CRDs go to config/crd")
				a = "output:crd:dir=" + crds
			}
			out = append(out, a)
		}
		out = append(out, "output:object:dir="+filepath.Join(tmp, pkg))
		controllerGen(t, out...)

		want, err := os.ReadFile(filepath.Join("../..", pkg, "zz_generated.deepcopy.go"))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(tmp, pkg, "zz_generated.deepcopy.go"))
		require.NoError(t, err)
		assert.Equal(t, string(got), string(want), "%s/zz_generated.deepcopy.go is stale: run go generate ./... at the root", pkg)
	}

	generated, err := os.ReadDir(crds)
	require.NoError(t, err)
	var names []string
	for _, e := range generated {
		names = append(names, e.Name())
		want, err := os.ReadFile(filepath.Join(crdDir, e.Name()))
		require.NoError(t, err, "config/crd lacks %s: run go generate ./... at the root", e.Name())
		got, err := os.ReadFile(filepath.Join(crds, e.Name()))
		require.NoError(t, err)
		assert.Equal(t, string(got), string(want), "config/crd/%s is stale: run go generate ./... at the root", e.Name())
	}
	assert.Equal(t, []string{"fluxnotify.io_alerts.yaml", "fluxnotify.io_providers.yaml"}, names)

	// Every generated CRD is in config/crd's kustomization, and nothing else
	// is there.
	committed, err := os.ReadDir(crdDir)
	require.NoError(t, err)
	for _, e := range committed {
		if e.Name() != "kustomization.yaml" {
			assert.Contains(t, names, e.Name(), "config/crd/%s was not generated", e.Name())
		}
	}
	var kust struct{ Resources []string }
	data, err := os.ReadFile(filepath.Join(crdDir, "kustomization.yaml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, &kust))
	assert.Equal(t, names, kust.Resources)
}

// schemaOf is a CRD version's schema as the API server uses it.
type schemaOf struct {
	crd        *apiextensions.CustomResourceDefinition
	structural *structuralschema.Structural
	validator  apiservervalidation.SchemaValidator
	cel        *cel.Validator
}

// loadCRD reads a CRD, checks it as the API server checks a CRD on
// creation (ValidateCustomResourceDefinition: a structural schema, CEL
// rules that compile, ...) and returns its only version's schema.
func loadCRD(t *testing.T, file string) *schemaOf {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var v1 apiextensionsv1.CustomResourceDefinition
	require.NoError(t, yaml.UnmarshalStrict(data, &v1), file)
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(&v1)
	var crd apiextensions.CustomResourceDefinition
	require.NoError(t, apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(&v1, &crd, nil))
	require.Empty(t, crdvalidation.ValidateCustomResourceDefinition(context.Background(), &crd), "%s: the API server refuses this CRD", file)
	require.Len(t, crd.Spec.Versions, 1, file)
	// The internal form holds a schema common to every version at the top.
	v := crd.Spec.Validation
	if s := crd.Spec.Versions[0].Schema; s != nil {
		v = s
	}
	require.NotNil(t, v, file)
	props := v.OpenAPIV3Schema
	structural, err := structuralschema.NewStructural(props)
	require.NoError(t, err, file)
	validator, _, err := apiservervalidation.NewSchemaValidator(props)
	require.NoError(t, err, file)
	return &schemaOf{
		crd: &crd, structural: structural, validator: validator,
		cel: cel.NewValidator(structural, true, celconfig.PerCallLimit),
	}
}

// admit does to obj (YAML) what the API server does to a custom resource it
// creates: it drops the fields the schema does not know (pruning), fills
// defaults, then validates against the schema and its CEL rules. It
// returns the object as stored and the validation errors.
func (s *schemaOf) admit(t *testing.T, obj string) (map[string]any, field.ErrorList) {
	t.Helper()
	var u map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(obj), &u))
	pruning.Prune(u, s.structural, true)
	structuraldefaulting.Default(u, s.structural)
	errs := apiservervalidation.ValidateCustomResource(nil, u, s.validator)
	celErrs, _ := s.cel.Validate(context.Background(), nil, s.structural, u, nil, celconfig.RuntimeCELCostBudget)
	return u, append(errs, celErrs...)
}

// fluxSchema generates, with controller-gen, the CRDs of Flux's v1beta3
// Alert and Provider from their restatement in internal/fluxschema.
func fluxSchema(t *testing.T) (alerts, providers *schemaOf) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs controller-gen")
	}
	dir := t.TempDir()
	controllerGen(t, "crd:crdVersions=v1", "paths=./internal/fluxschema", "output:crd:dir="+dir)
	return loadCRD(t, filepath.Join(dir, "notification.toolkit.fluxcd.io_alerts.yaml")),
		loadCRD(t, filepath.Join(dir, "notification.toolkit.fluxcd.io_providers.yaml"))
}

func ourSchema(t *testing.T) (alerts, providers *schemaOf) {
	t.Helper()
	return loadCRD(t, filepath.Join(crdDir, "fluxnotify.io_alerts.yaml")),
		loadCRD(t, filepath.Join(crdDir, "fluxnotify.io_providers.yaml"))
}

// The generated CRDs are those of fluxnotify.io/v1alpha1, as alert and
// provider register them.
func TestCRDNames(t *testing.T) {
	alerts, providers := ourSchema(t)
	for _, tt := range []struct {
		s    *schemaOf
		kind string
	}{{alerts, alert.Kind}, {providers, provider.Kind}} {
		assert.Equal(t, alert.ExtendedGroup, tt.s.crd.Spec.Group)
		assert.Equal(t, tt.kind, tt.s.crd.Spec.Names.Kind)
		assert.Equal(t, alert.ExtendedVersion, tt.s.crd.Spec.Versions[0].Name)
		assert.True(t, tt.s.crd.Spec.Versions[0].Served && tt.s.crd.Spec.Versions[0].Storage)
		assert.Equal(t, apiextensions.NamespaceScoped, tt.s.crd.Spec.Scope)
	}
}

// alertWith is an Alert of apiVersion with spec lines added.
func alertWith(apiVersion, spec string) string {
	return "apiVersion: " + apiVersion + `
kind: Alert
metadata:
  name: on-call
  namespace: flux-system
spec:
  providerRef:
    name: slack
  eventSources:
    - kind: Kustomization
      name: '*'
` + spec
}

func providerWith(apiVersion, spec string) string {
	return "apiVersion: " + apiVersion + `
kind: Provider
metadata:
  name: slack
  namespace: flux-system
spec:
  type: slack
` + spec
}

// get walks u along path.
func get(u map[string]any, path ...string) (any, bool) {
	var cur any = u
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

const (
	fluxAPI = "notification.toolkit.fluxcd.io/v1beta3"
	ourAPI  = "fluxnotify.io/v1alpha1"
)

// The extended fields, applied to a cluster: Flux's schema (restated from
// notification-controller v1.9's api/v1beta3) prunes spec.channel and
// spec.template and refuses a severity list or "warn" and a glob kind;
// fluxnotify.io keeps and accepts them all.
func TestExtendedFieldsInACluster(t *testing.T) {
	fluxAlerts, fluxProviders := fluxSchema(t)
	ourAlerts, ourProviders := ourSchema(t)

	tests := []struct {
		name      string
		alert     bool
		spec      string
		path      []string // the field that must be kept by ours
		fluxPrune bool     // Flux's schema drops path
		fluxError string   // Flux's schema refuses the object with this field path
	}{
		{name: "channel on an Alert", alert: true, spec: "  channel: '#devops-alerts'\n", path: []string{"spec", "channel"}, fluxPrune: true},
		{name: "template on an Alert", alert: true, spec: "  template:\n    title: '{{ .Object.Name }}'\n    blocks:\n      - type: divider\n", path: []string{"spec", "template", "blocks"}, fluxPrune: true},
		{name: "template on a Provider", spec: "  template:\n    format: blocks\n    fields:\n      - title: Revision\n        value: '{{ .Revision }}'\n", path: []string{"spec", "template", "fields"}, fluxPrune: true},
		{name: "severity list", alert: true, spec: "  eventSeverity: [error, warn]\n", path: []string{"spec", "eventSeverity"}, fluxError: "spec.eventSeverity"},
		{name: "warn", alert: true, spec: "  eventSeverity: warn\n", path: []string{"spec", "eventSeverity"}, fluxError: "spec.eventSeverity"},
		{name: "glob kind", alert: true, spec: "  eventSources:\n    - kind: 'Helm*'\n      name: 'app-*'\n      namespace: 'team-*'\n", path: []string{"spec", "eventSources"}, fluxError: "spec.eventSources[0].kind"},
		{name: "custom provider type", spec: "  type: my-webhook\n", path: []string{"spec", "type"}, fluxError: "spec.type"},
		{name: "info is Flux's", alert: true, spec: "  eventSeverity: info\n", path: []string{"spec", "eventSeverity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flux, ours := fluxProviders, ourProviders
			build := providerWith
			if tt.alert {
				flux, ours, build = fluxAlerts, ourAlerts, alertWith
			}
			kept, errs := ours.admit(t, build(ourAPI, tt.spec))
			require.Empty(t, errs, "fluxnotify.io must accept it")
			_, ok := get(kept, tt.path...)
			assert.True(t, ok, "fluxnotify.io must keep %s", strings.Join(tt.path, "."))

			stored, errs := flux.admit(t, build(fluxAPI, tt.spec))
			_, ok = get(stored, tt.path...)
			switch {
			case tt.fluxPrune:
				assert.Empty(t, errs)
				assert.False(t, ok, "Flux's schema must prune %s", strings.Join(tt.path, "."))
			case tt.fluxError != "":
				require.NotEmpty(t, errs, "Flux's schema must refuse it")
				assert.True(t, slices.ContainsFunc(errs, func(e *field.Error) bool { return e.Field == tt.fluxError }), "want an error at %s, got %v", tt.fluxError, errs)
			default:
				assert.Empty(t, errs)
				assert.True(t, ok)
			}
		})
	}
}

// fluxnotify.io's schema: what it refuses, what it keeps as written.
func TestOurSchema(t *testing.T) {
	alerts, providers := ourSchema(t)
	t.Run("severity list is kept as a list", func(t *testing.T) {
		u, errs := alerts.admit(t, alertWith(ourAPI, "  eventSeverity: [error, warn]\n"))
		require.Empty(t, errs)
		v, _ := get(u, "spec", "eventSeverity")
		assert.Equal(t, []any{"error", "warn"}, v)
	})
	t.Run("eventSeverity keeps any value", func(t *testing.T) {
		// A schema cannot say "a string or a list of strings": the API
		// server keeps a number, and notifycontroller leaves such an Alert
		// out (TestLoadLeavesOutWhatDoesNotDecode).
		u, errs := alerts.admit(t, alertWith(ourAPI, "  eventSeverity: 3\n"))
		require.Empty(t, errs)
		v, _ := get(u, "spec", "eventSeverity")
		assert.EqualValues(t, 3, v)
	})
	t.Run("unknown fields are pruned", func(t *testing.T) {
		u, errs := alerts.admit(t, alertWith(ourAPI, "  eventSeverty: info\n  template:\n    colour: red\n"))
		require.Empty(t, errs)
		_, ok := get(u, "spec", "eventSeverty")
		assert.False(t, ok)
		_, ok = get(u, "spec", "template", "colour")
		assert.False(t, ok)
	})
	t.Run("blocks are kept whole", func(t *testing.T) {
		u, errs := alerts.admit(t, alertWith(ourAPI, "  template:\n    blocks:\n      - type: section\n        text: {type: mrkdwn, text: '{{ .Message }}'}\n"))
		require.Empty(t, errs)
		v, _ := get(u, "spec", "template", "blocks")
		assert.Equal(t, []any{map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": "{{ .Message }}"}}}, v)
	})
	for _, tt := range []struct {
		name, obj, field string
		s                *schemaOf
	}{
		{"no eventSources", "apiVersion: " + ourAPI + "\nkind: Alert\nmetadata: {name: a}\nspec:\n  providerRef: {name: slack}\n", "spec.eventSources", alerts},
		{"source without name", alertWith(ourAPI, "  eventSources:\n    - kind: Kustomization\n"), "spec.eventSources[0].name", alerts},
		{"channel not a string", alertWith(ourAPI, "  channel: [a]\n"), "spec.channel", alerts},
		{"provider without type", "apiVersion: " + ourAPI + "\nkind: Provider\nmetadata: {name: p}\nspec:\n  type: ''\n", "spec.type", providers},
		{"proxy not a URL", providerWith(ourAPI, "  proxy: proxy.internal:3128\n"), "spec.proxy", providers},
		{"address too long", providerWith(ourAPI, "  address: "+strings.Repeat("a", provider.MaxLength+1)+"\n"), "spec.address", providers},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := tt.s.admit(t, tt.obj)
			assert.True(t, slices.ContainsFunc(errs, func(e *field.Error) bool { return e.Field == tt.field }), "want an error at %s, got %v", tt.field, errs)
		})
	}
}

// samples returns the fluxnotify.io objects of the README's YAML blocks,
// of the customnotifier example and of testdata/extended.yaml.
func samples(t *testing.T) []string {
	t.Helper()
	var docs []string
	add := func(data []byte) {
		for _, doc := range bytes.Split(data, []byte("\n---\n")) {
			if bytes.Contains(doc, []byte("apiVersion: "+ourAPI)) {
				docs = append(docs, string(doc))
			}
		}
	}
	for _, f := range []string{"testdata/extended.yaml", "../customnotifier/testdata/manifests/audit.yaml"} {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		add(data)
	}
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	for _, block := range strings.Split(string(readme), "```yaml\n")[1:] {
		add([]byte(block[:strings.Index(block, "```")]))
	}
	require.GreaterOrEqual(t, len(docs), 4, "samples found")
	return docs
}

// The fluxnotify.io manifests of the README and the examples pass the
// generated schema unchanged: nothing refused, nothing pruned.
func TestSamplesKeepEveryField(t *testing.T) {
	alerts, providers := ourSchema(t)
	for _, doc := range samples(t) {
		var in map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(doc), &in))
		s := alerts
		if in["kind"] == provider.Kind {
			s = providers
		}
		out, errs := s.admit(t, doc)
		require.Empty(t, errs, "%s", doc)
		assert.Equal(t, in, out, "the schema pruned a field of\n%s", doc)
	}
}
