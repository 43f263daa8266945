package fluxnotify

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/manifest"
	"github.com/fluxnotify/fluxnotify/provider"
)

const exampleFile = "testdata/manifests/slack-example.yaml"

func TestLoadFilesExample(t *testing.T) {
	cfg, err := LoadFiles(exampleFile)
	require.NoError(t, err)
	require.Len(t, cfg.Alerts, 1)
	require.Len(t, cfg.Providers, 1)
	require.Len(t, cfg.Secrets, 1)

	a := cfg.Alerts[0]
	assert.Equal(t, "notification.toolkit.fluxcd.io/v1beta1", a.APIVersion)
	assert.Equal(t, "Alert", a.Kind)
	assert.Equal(t, "flux-system/flux-alerts", a.NamespacedName())
	assert.Equal(t, alert.Threshold("error"), a.Spec.EventSeverity)
	assert.False(t, a.Spec.EventSeverity.List)
	assert.Equal(t, "slack", a.Spec.ProviderRef.Name)
	assert.Empty(t, a.Spec.Channel, "the channel line is a comment")
	assert.Equal(t, []alert.CrossNamespaceObjectReference{
		{Kind: "Kustomization", Name: "*"},
		{Kind: "HelmRelease", Name: "*"},
	}, a.Spec.EventSources)

	p := cfg.Providers[0]
	assert.Equal(t, "flux-system/slack", p.NamespacedName())
	assert.Equal(t, "slack", p.Spec.Type)
	require.NotNil(t, p.Spec.SecretRef)
	assert.Equal(t, "slack-url", p.Spec.SecretRef.Name)

	s := cfg.Secrets[0]
	assert.Equal(t, "flux-system", s.Namespace)
	assert.Equal(t, "slack-url", s.Name)
	assert.Equal(t, "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", s.StringData["url"])

	// The loaded Secret resolves the provider's webhook URL.
	creds, err := provider.Resolve(t.Context(), &p, cfg.SecretGetter())
	require.NoError(t, err)
	assert.Equal(t, s.StringData["url"], creds.Address)

	got, ok := cfg.Provider("flux-system", "slack")
	require.True(t, ok)
	assert.Same(t, &cfg.Providers[0], got)
	_, ok = cfg.Provider("default", "slack")
	assert.False(t, ok)
}

// obj builds a YAML document of kind in apiVersion.
func obj(apiVersion, kind, name, spec string) string {
	return fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n  namespace: ns\nspec:\n%s", apiVersion, kind, name, spec)
}

const (
	okProviderSpec = "  type: slack\n"
	okAlertSpec    = "  providerRef: {name: p}\n  eventSources: [{kind: Kustomization, name: \"*\"}]\n"
	okProvider     = "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: p, namespace: ns}\nspec: {type: slack}\n"
)

// TestLoadVersions checks the versions of Alert and Provider against the
// CRDs of notification-controller v1.9.3 (config/crd/bases): v1beta3 is
// the only version served; v1beta1 (removed in v1.7.0) and v1beta2
// (removed in v1.9.0) load with a warning, since repositories keep them
// and their fields are a subset of v1beta3's; v1 exists for Receiver only.
func TestLoadVersions(t *testing.T) {
	for _, tt := range []struct {
		version string
		warning string // in each object's warning; "" for none
		err     string // in each object's error; "" for none
	}{
		{version: "v1beta3"},
		{version: "v1beta2", warning: "Flux 2.9 and later refuse notification.toolkit.fluxcd.io/v1beta2; use v1beta3"},
		{version: "v1beta1", warning: "Flux 2.7 and later refuse notification.toolkit.fluxcd.io/v1beta1; use v1beta3"},
		{version: "v1", err: "Flux serves %s as notification.toolkit.fluxcd.io/v1beta3; notification.toolkit.fluxcd.io/v1 has Receiver only"},
		{version: "v1alpha1", err: `unsupported API version "v1alpha1"`},
	} {
		t.Run(tt.version, func(t *testing.T) {
			gv := alert.Group + "/" + tt.version
			in := obj(gv, "Provider", "p", okProviderSpec) + "---\n" + obj(gv, "Alert", "a", okAlertSpec)
			cfg, err := Load(strings.NewReader(in), "in.yaml")
			require.NotNil(t, cfg)
			if tt.err != "" {
				errs := LoadErrors(err)
				require.Len(t, errs, 2, "%v", err)
				for i, kind := range []string{"Provider", "Alert"} {
					assert.ErrorIs(t, errs[i], manifest.ErrUnsupportedVersion)
					assert.Equal(t, "apiVersion", errs[i].Field)
					assert.Contains(t, errs[i].Error(), strings.ReplaceAll(tt.err, "%s", kind))
				}
				assert.Empty(t, cfg.Alerts)
				assert.Empty(t, cfg.Providers)
				return
			}
			require.NoError(t, err)
			require.Len(t, cfg.Alerts, 1)
			require.Len(t, cfg.Providers, 1)
			assert.Equal(t, gv, cfg.Alerts[0].APIVersion)
			assert.Equal(t, gv, cfg.Providers[0].APIVersion)
			if tt.warning == "" {
				assert.Empty(t, cfg.Warnings)
				return
			}
			require.Len(t, cfg.Warnings, 2)
			for _, w := range cfg.Warnings {
				assert.ErrorIs(t, w, manifest.ErrRemovedVersion)
				assert.Contains(t, w.Error(), tt.warning)
				assert.Equal(t, "apiVersion", w.Field)
				assert.Equal(t, 1, w.Column)
			}
			assert.Equal(t, 1, cfg.Warnings[0].Line)
			assert.Equal(t, 9, cfg.Warnings[1].Line)
		})
	}
}

// wantErr describes one expected problem.
type wantErr struct {
	doc    int
	line   int // checked when set, and col with it
	col    int
	object string
	field  string
	msg    string // a substring of the problem
	is     error  // errors.Is target, if any
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name                       string
		in                         string
		alerts, providers, secrets int
		errs                       []wantErr
		check                      func(t *testing.T, cfg *Config)
		notInErr                   []string // secrets that must never show
		skipped                    []string // a substring of each Skipped entry, in order
	}{
		{
			name: "empty stream",
			in:   "",
		},
		{
			name:      "comments and empty documents are skipped",
			in:        "# only a comment\n---\n---\n\n---\n# another\n" + okProvider + "---\n",
			providers: 1,
		},
		{
			name: "other kinds are skipped",
			skipped: []string{
				"in.yaml:1: Namespace x: not an Alert, Provider or Secret",
				"in.yaml:5: Kustomization k: not an Alert, Provider or Secret",
				"in.yaml:10: Receiver r: a Receiver takes webhooks in; it routes no event",
				"in.yaml:15: ConfigMap c: not an Alert, Provider or Secret",
			},
			in: "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n" +
				"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: k}\nspec: {anything: goes}\n---\n" +
				"apiVersion: notification.toolkit.fluxcd.io/v1\nkind: Receiver\nmetadata: {name: r}\nspec: {type: github}\n---\n" +
				"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
		},
		{
			name:   "missing namespace means default",
			in:     "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: p}\nspec: {type: slack}\n---\napiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata: {name: a}\nspec:\n" + okAlertSpec + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {url: x}\n",
			alerts: 1, providers: 1, secrets: 1,
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, "default", cfg.Alerts[0].Namespace)
				assert.Equal(t, "default", cfg.Providers[0].Namespace)
				assert.Equal(t, "default", cfg.Secrets[0].Namespace)
			},
		},
		{
			name:   "severity list and every alert field",
			in:     okProvider + "---\n" + obj("notification.toolkit.fluxcd.io/v1beta3", "Alert", "a", "  providerRef: {name: p}\n  eventSeverity: [\"error\", \"warn\"]\n  eventSources:\n  - {apiVersion: kustomize.toolkit.fluxcd.io/v1, kind: Kustomization, name: \"app-*\", namespace: apps, matchLabels: {team: a}}\n  inclusionList: [\".*failed.*\"]\n  exclusionList: [\"^Dependencies\"]\n  eventMetadata: {env: prod}\n  summary: production\n  suspend: true\n  channel: \"#devops-alerts\"\n  template:\n    format: blocks\n    text: \"{{ .Message }}\"\n"),
			alerts: 1, providers: 1,
			check: func(t *testing.T, cfg *Config) {
				s := cfg.Alerts[0].Spec
				assert.Equal(t, alert.Exactly("error", "warn"), s.EventSeverity)
				assert.Equal(t, alert.CrossNamespaceObjectReference{APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization", Name: "app-*", Namespace: "apps", MatchLabels: map[string]string{"team": "a"}}, s.EventSources[0])
				assert.Equal(t, []string{".*failed.*"}, s.InclusionList)
				assert.Equal(t, []string{"^Dependencies"}, s.ExclusionList)
				assert.Equal(t, map[string]string{"env": "prod"}, s.EventMetadata)
				assert.Equal(t, "production", s.Summary)
				assert.True(t, s.Suspend)
				assert.Equal(t, "#devops-alerts", s.Channel)
				require.NotNil(t, s.Template)
				assert.Equal(t, "blocks", s.Template.Format)
			},
		},
		{
			name:      "every provider field",
			in:        obj("notification.toolkit.fluxcd.io/v1beta2", "Provider", "p", "  type: github\n  interval: 1m\n  channel: general\n  username: flux\n  address: https://slack.com/api/chat.postMessage\n  timeout: 20s\n  proxy: http://proxy:3128\n  secretRef: {name: s}\n  certSecretRef: {name: ca}\n  proxySecretRef: {name: px}\n  serviceAccountName: sa\n  commitStatusExpr: \"'x'\"\n  suspend: true\n"),
			providers: 1,
			check: func(t *testing.T, cfg *Config) {
				p := cfg.Providers[0]
				assert.Equal(t, "general", p.Spec.Channel)
				assert.Equal(t, "flux", p.Spec.Username)
				assert.Equal(t, "20s", p.GetTimeout().String())
				assert.Equal(t, "http://proxy:3128", p.Spec.Proxy)
				assert.Equal(t, "ca", p.Spec.CertSecretRef.Name)
				assert.Equal(t, "px", p.Spec.ProxySecretRef.Name)
				assert.True(t, p.Spec.Suspend)
			},
		},
		{
			name:    "secret data is base64, stringData is plain",
			in:      "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\ndata:\n  token: c2VjcmV0LXRva2Vu\nstringData:\n  url: https://hooks.example.com/x\n",
			secrets: 1,
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, "secret-token", string(cfg.Secrets[0].Data["token"]))
				assert.Equal(t, "https://hooks.example.com/x", cfg.Secrets[0].StringData["url"])
			},
		},
		{
			name: "broken YAML names the line in the file",
			in:   okProvider + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: [s\n",
			// The parser's own message is shown as it is; the error's line
			// is where the document starts.
			errs:      []wantErr{{doc: 2, line: 6, msg: "syntax error: yaml: line 7: did not find expected ',' or ']'", is: manifest.ErrSyntax}},
			providers: 1,
		},
		{
			name:   "unknown field",
			in:     okProvider + "---\n" + obj("notification.toolkit.fluxcd.io/v1beta1", "Alert", "a", okAlertSpec+"  eventSeverty: info\n"),
			alerts: 1, providers: 1,
			errs: []wantErr{{doc: 2, line: 14, col: 3, object: "Alert ns/a", field: "spec.eventSeverty", msg: `unknown field (did you mean "eventSeverity"?)`, is: ErrUnknownField}},
		},
		{
			name:      "unknown nested field in a provider",
			in:        obj("notification.toolkit.fluxcd.io/v1beta3", "Provider", "p", "  type: slack\n  secretRef: {nam: s}\n"),
			providers: 1,
			errs: []wantErr{
				{doc: 1, line: 8, col: 3, object: "Provider ns/p", field: "spec.secretRef.name", msg: "Required value", is: manifest.ErrInvalid},
				{doc: 1, line: 8, col: 15, object: "Provider ns/p", field: "spec.secretRef.nam", msg: `did you mean "name"?`, is: ErrUnknownField},
			},
		},
		{
			name:   "unknown severity",
			in:     okProvider + "---\n" + obj("notification.toolkit.fluxcd.io/v1beta3", "Alert", "a", okAlertSpec+"  eventSeverity: critical\n"),
			alerts: 1, providers: 1,
			errs: []wantErr{{doc: 2, object: "Alert ns/a", field: "spec.eventSeverity", msg: `Unsupported value: "critical"`}},
		},
		{
			name:   "unknown severity in a list",
			in:     okProvider + "---\n" + obj("notification.toolkit.fluxcd.io/v1beta3", "Alert", "a", okAlertSpec+"  eventSeverity: [error, fatal]\n"),
			alerts: 1, providers: 1,
			errs: []wantErr{{doc: 2, object: "Alert ns/a", field: "spec.eventSeverity[1]", msg: `"fatal"`}},
		},
		{
			name:   "empty event source kind",
			in:     okProvider + "---\n" + obj("notification.toolkit.fluxcd.io/v1beta3", "Alert", "a", "  providerRef: {name: p}\n  eventSources:\n  - {kind: Kustomization, name: \"*\"}\n  - {kind: \"\", name: \"*\"}\n"),
			alerts: 1, providers: 1,
			errs: []wantErr{{doc: 2, object: "Alert ns/a", field: "spec.eventSources[1].kind", msg: "Required value"}},
		},
		{
			name:      "provider without a type",
			in:        obj("notification.toolkit.fluxcd.io/v1beta3", "Provider", "p", "  channel: x\n"),
			providers: 1,
			errs:      []wantErr{{doc: 1, object: "Provider ns/p", field: "spec.type", msg: "Required value"}},
		},
		{
			name:      "provider proxy is redacted in errors",
			in:        obj("notification.toolkit.fluxcd.io/v1beta3", "Provider", "p", "  type: slack\n  proxy: proxy.example.com/SECRETPATH\n"),
			providers: 1,
			errs:      []wantErr{{doc: 1, object: "Provider ns/p", field: "spec.proxy", msg: "must start with http"}},
			notInErr:  []string{"SECRETPATH"},
		},
		{
			name:      "wrong type names the field and drops the object",
			in:        okProvider + "---\n" + obj("notification.toolkit.fluxcd.io/v1beta3", "Alert", "a", "  providerRef: {name: p}\n  eventSources: everything\n"),
			providers: 1,
			errs:      []wantErr{{doc: 2, object: "Alert ns/a", field: "spec.eventSources", msg: "invalid value: want a list, got a string", is: manifest.ErrInvalidValue}},
		},
		{
			name: "bad duration names the field",
			in:   obj("notification.toolkit.fluxcd.io/v1beta3", "Provider", "p", "  type: slack\n  timeout: 1fortnight\n"),
			errs: []wantErr{{doc: 1, object: "Provider ns/p", field: "spec.timeout", msg: `unknown unit "fortnight"`}},
		},
		{
			name:     "bad base64 names the key, never the value",
			in:       "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\ndata:\n  url: 'https://hooks.example.com/SECRETPATH'\n",
			errs:     []wantErr{{doc: 1, object: "Secret ns/s", field: "data.url", msg: "base64"}},
			notInErr: []string{"SECRETPATH"},
		},
		{
			name:     "secret value of the wrong type is not quoted",
			in:       "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\nstringData:\n  url: [SECRETPATH]\n",
			errs:     []wantErr{{doc: 1, object: "Secret ns/s", field: "stringData.url", msg: "want a string, got a list"}},
			notInErr: []string{"SECRETPATH"},
		},
		{
			// A null key cannot become a JSON key; the value may be a
			// webhook URL.
			name:     "a null key does not quote its value",
			in:       "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\nstringData:\n  ~: https://hooks.example.com/SECRETPATH\n",
			errs:     []wantErr{{doc: 1, line: 5, col: 3, object: "Secret ns/s", field: "stringData", msg: "a key must be a string, a number or a boolean"}},
			notInErr: []string{"SECRETPATH", "%!"},
		},
		{
			name:     "a null key in a list item does not quote its value",
			in:       "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s}\n  stringData: {null: SECRETPATH, url: x}\n",
			errs:     []wantErr{{doc: 1, line: 7, col: 16, object: "Secret default/s", field: "items[0].stringData", msg: "a key must be a string"}},
			notInErr: []string{"SECRETPATH"},
		},
		{
			name:    "secrets encrypted with SOPS are skipped",
			skipped: []string{"in.yaml:1: Secret ns/s: SOPS-encrypted"},
			in:      "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\ndata:\n  url: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]\nsops:\n  version: 3.9.0\n",
		},
		{
			name:    "secret without a name",
			in:      "apiVersion: v1\nkind: Secret\nmetadata: {namespace: ns}\nstringData: {url: x}\n",
			secrets: 1,
			errs:    []wantErr{{doc: 1, object: "Secret ns/(no name)", field: "metadata.name", msg: "Required value"}},
		},
		{
			name: "unsupported version",
			in:   obj("notification.toolkit.fluxcd.io/v2", "Provider", "p", okProviderSpec),
			errs: []wantErr{{doc: 1, line: 1, col: 1, object: "Provider ns/p", field: "apiVersion", msg: `unsupported API version "v2"`, is: manifest.ErrUnsupportedVersion}},
		},
		{
			name: "unknown kind of the notification group",
			in:   obj("notification.toolkit.fluxcd.io/v1beta3", "Alret", "a", okAlertSpec),
			errs: []wantErr{{doc: 1, line: 2, col: 1, object: "Alret ns/a", field: "kind", msg: `unknown kind "Alret" of notification.toolkit.fluxcd.io: want Alert or Provider (or Receiver) (did you mean "Alert"?)`, is: manifest.ErrUnknownKind}},
		},
		{
			name: "missing apiVersion",
			in:   "kind: Alert\nmetadata: {name: a}\nspec: {}\n",
			errs: []wantErr{{doc: 1, object: "Alert default/a", field: "apiVersion", msg: "Required value", is: manifest.ErrInvalid}},
		},
		{
			name: "missing kind",
			in:   "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nmetadata: {name: a}\n",
			errs: []wantErr{{doc: 1, field: "kind", msg: "Required value", is: manifest.ErrInvalid}},
		},
		{
			name: "documents that are not Kubernetes objects are skipped",
			in: "just a string\n---\n- op: add\n  path: /spec\n---\nversion: '3'\ntasks: {}\n---\n" +
				"kind: Deployment\nmetadata: {name: d}\n---\napiVersion: v1\nmetadata: {name: x}\n",
			skipped: []string{
				"in.yaml:1: not a Kubernetes object (a string)",
				"in.yaml:3: not a Kubernetes object (a list)",
				"in.yaml:6: not a Kubernetes object (no apiVersion or kind)",
				"in.yaml:9: Deployment d: not a Kubernetes object (no apiVersion)",
				"in.yaml:12: not a Kubernetes object (no kind)",
			},
		},
		{
			name: "metadata of the wrong type",
			in:   "apiVersion: v1\nkind: Secret\nmetadata: {name: 42}\n",
			errs: []wantErr{{doc: 1, line: 3, col: 12, object: "Secret default/42", field: "metadata.name", msg: "want a string, got a number"}},
		},
		{
			name:   "duplicate YAML key",
			in:     okProvider + "---\n" + obj("notification.toolkit.fluxcd.io/v1beta3", "Alert", "a", okAlertSpec+"  summary: one\n  summary: two\n"),
			alerts: 1, providers: 1,
			errs: []wantErr{{doc: 2, line: 15, col: 3, object: "Alert ns/a", field: "spec.summary", msg: `duplicate key (first at line 14, column 3)`, is: manifest.ErrDuplicateKey}},
		},
		{
			name:      "duplicate JSON key",
			in:        `{"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Provider", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"type": "slack", "type": "msteams"}}`,
			providers: 1,
			errs:      []wantErr{{doc: 1, line: 1, col: 150, object: "Provider ns/p", field: "spec.type", msg: "duplicate key (first at line 1, column 133)", is: manifest.ErrDuplicateKey}},
		},
		{
			name:      "duplicate objects",
			in:        okProvider + "---\n" + okProvider,
			providers: 1,
			errs:      []wantErr{{doc: 2, line: 6, col: 1, object: "Provider ns/p", msg: "already defined at in.yaml:1:1", is: ErrDuplicateObject}},
		},
		{
			name:      "same name, other kind or namespace is no duplicate",
			in:        okProvider + "---\n" + strings.Replace(okProvider, "namespace: ns", "namespace: other", 1) + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: p, namespace: ns}\n",
			providers: 2, secrets: 1,
		},
		{
			name:   "provider reference to nothing",
			in:     obj("notification.toolkit.fluxcd.io/v1beta3", "Alert", "a", okAlertSpec),
			alerts: 1,
			errs:   []wantErr{{doc: 1, object: "Alert ns/a", field: "spec.providerRef.name", msg: `no Provider "p" in namespace "ns"`, is: ErrProviderNotFound}},
		},
		{
			name:   "provider reference to another namespace",
			in:     strings.Replace(okProvider, "namespace: ns", "namespace: other", 1) + "---\n" + obj("notification.toolkit.fluxcd.io/v1beta3", "Alert", "a", okAlertSpec),
			alerts: 1, providers: 1,
			errs: []wantErr{{doc: 2, object: "Alert ns/a", field: "spec.providerRef.name", is: ErrProviderNotFound}},
		},
		{
			name:   "a provider that does not decode still satisfies references",
			in:     obj("notification.toolkit.fluxcd.io/v1beta3", "Provider", "p", "  type: [slack]\n") + "---\n" + obj("notification.toolkit.fluxcd.io/v1beta3", "Alert", "a", okAlertSpec),
			alerts: 1,
			errs:   []wantErr{{doc: 1, object: "Provider ns/p", field: "spec.type", msg: "want a string"}},
		},
		{
			name:      "JSON object",
			in:        `{"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Provider", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"type": "slack"}}`,
			providers: 1,
		},
		{
			name:      "JSON stream",
			in:        "{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": {\"name\": \"s\"}}\n\n" + `{"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Provider", "metadata": {"name": "p"}, "spec": {"typo": "slack"}}`,
			providers: 1, secrets: 1,
			errs: []wantErr{
				{doc: 2, line: 3, col: 105, object: "Provider default/p", field: "spec.type", msg: "Required value"},
				{doc: 2, line: 3, col: 114, object: "Provider default/p", field: "spec.typo", msg: `did you mean "type"?`},
			},
		},
		{
			name:   "YAML List with a bad item",
			in:     "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(okProvider, "\n", "\n  ") + "\n- apiVersion: notification.toolkit.fluxcd.io/v1beta3\n  kind: Alert\n  metadata: {name: a, namespace: ns}\n  spec:\n    providerRef: {name: p}\n    eventSources: [{kind: K, name: \"*\", nam: x}]\n- 7\n",
			alerts: 1, providers: 1,
			errs: []wantErr{
				{doc: 1, object: "Alert ns/a", field: "items[1].spec.eventSources[0].nam", is: ErrUnknownField},
				{doc: 1, field: "items[2]", msg: "not an object"},
			},
		},
		{
			name: "kubectl get -o yaml output: status and server metadata are accepted",
			in: "apiVersion: v1\nkind: List\nmetadata: {resourceVersion: \"\"}\nitems:\n" +
				"- apiVersion: notification.toolkit.fluxcd.io/v1beta3\n  kind: Provider\n" +
				"  metadata: {name: p, namespace: ns, uid: 0c3e, resourceVersion: \"42\", generation: 1, creationTimestamp: \"2026-03-01T10:00:00Z\", annotations: {a: b}}\n" +
				"  spec: {type: slack}\n" +
				"  status: {observedGeneration: 1, conditions: [{type: Ready, status: \"True\"}]}\n",
			providers: 1,
		},
		{
			name: "a List inside a List",
			in:   `{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "List", "items": [{}]}]}`,
			errs: []wantErr{{doc: 1, field: "items[0].items", msg: "not supported"}},
		},
		{
			name: "broken JSON is reported as YAML when the name does not say JSON",
			in:   `{"apiVersion": "v1",`,
			errs: []wantErr{{doc: 1, msg: "syntax error: yaml:", is: manifest.ErrSyntax}},
		},
		{
			name: "one bad object never hides the others",
			in: okProvider + "---\n" +
				obj("notification.toolkit.fluxcd.io/v1beta3", "Alert", "bad", "  providerRef: {name: p}\n  eventSources: []\n") + "---\n" +
				"key: [unclosed\n---\n" +
				obj("notification.toolkit.fluxcd.io/v1beta3", "Alert", "good", okAlertSpec),
			alerts: 2, providers: 1,
			errs: []wantErr{
				{doc: 2, object: "Alert ns/bad", field: "spec.eventSources", msg: "Required value"},
				{doc: 3, line: 15, msg: "syntax error", is: manifest.ErrSyntax},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(strings.NewReader(tt.in), "in.yaml")
			require.NotNil(t, cfg, "Load returns a Config whenever the stream was read")
			assert.Len(t, cfg.Alerts, tt.alerts, "alerts")
			assert.Len(t, cfg.Providers, tt.providers, "providers")
			assert.Len(t, cfg.Secrets, tt.secrets, "secrets")
			if tt.check != nil {
				tt.check(t, cfg)
			}
			require.Len(t, cfg.Skipped, len(tt.skipped), "skipped: %v", cfg.Skipped)
			for i, want := range tt.skipped {
				assert.Contains(t, cfg.Skipped[i].String(), want)
			}
			if len(tt.errs) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			got := LoadErrors(err)
			require.Len(t, got, len(tt.errs), "problems:\n%v", err)
			for i, w := range tt.errs {
				g := got[i]
				assert.Equal(t, "in.yaml", g.File)
				assert.Equal(t, w.doc, g.Document, "document of %q", g)
				assert.Equal(t, w.object, g.Object, "object of %q", g)
				assert.Equal(t, w.field, g.Field, "field of %q", g)
				if w.line > 0 {
					assert.Equal(t, w.line, g.Line, "line of %q", g)
					assert.Equal(t, w.col, g.Column, "column of %q", g)
				}
				assert.Contains(t, g.Error(), w.msg)
				if w.is != nil {
					assert.ErrorIs(t, g, w.is)
					assert.ErrorIs(t, err, w.is)
				}
			}
			for _, secret := range tt.notInErr {
				assert.NotContains(t, err.Error(), secret)
			}
		})
	}
}

func TestLoadJSONFileSyntaxError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.json")
	require.NoError(t, os.WriteFile(path, []byte(okJSONProvider+"\n{\"apiVersion\": \"v1\",\n  \"kind\": }"), 0o600))
	cfg, err := LoadFiles(path)
	require.NotNil(t, cfg)
	assert.Len(t, cfg.Providers, 1, "the values before the error load")
	errs := LoadErrors(err)
	require.Len(t, errs, 1)
	assert.Equal(t, 2, errs[0].Document)
	assert.Equal(t, 3, errs[0].Line)
	assert.Equal(t, 11, errs[0].Column)
	assert.ErrorIs(t, errs[0], manifest.ErrSyntax)
	assert.Equal(t, path+":3:11: invalid JSON: invalid character '}' looking for beginning of value", errs[0].Error())
}

const okJSONProvider = `{"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Provider", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"type": "slack"}}`

func TestLoadErrorLines(t *testing.T) {
	in := "# header comment\n---\n# about p\n\n" + okProvider + "---\n" + okProvider
	_, err := Load(strings.NewReader(in), "in.yaml")
	errs := LoadErrors(err)
	require.Len(t, errs, 1)
	assert.Equal(t, 2, errs[0].Document, "a leading empty section is not counted")
	assert.Equal(t, 10, errs[0].Line)
	assert.Equal(t, 1, errs[0].Column)
	assert.Equal(t, "in.yaml:10:1: Provider ns/p: duplicate object: already defined at in.yaml:5:1; this one is ignored", errs[0].Error())
}

func TestLoadErrorString(t *testing.T) {
	cause := errors.New("boom")
	tests := []struct {
		err  LoadError
		want string
	}{
		{LoadError{File: "f.yaml", Err: cause}, "f.yaml: boom"},
		{LoadError{File: "f.yaml", Document: 2, Err: cause}, "f.yaml: document 2: boom"},
		{LoadError{File: "f.yaml", Document: 2, Line: 9, Object: "Alert a/b", Field: "spec.x", Err: cause}, "f.yaml:9: Alert a/b: spec.x: boom"},
		{LoadError{File: "f.yaml", Document: 2, Line: 9, Column: 5, Object: "Alert a/b", Field: "spec.x", Err: cause}, "f.yaml:9:5: Alert a/b: spec.x: boom"},
		{LoadError{File: "f.yaml"}, "f.yaml: invalid"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.err.Error())
		assert.Equal(t, tt.err.Err, tt.err.Unwrap())
	}
	assert.Nil(t, LoadErrors(nil))
	assert.Nil(t, LoadErrors(cause))
	le := &LoadError{File: "x", Err: cause}
	assert.Equal(t, []*LoadError{le}, LoadErrors(fmt.Errorf("wrapped: %w", le)))
}

func TestLoadValidationErrorsUnwrap(t *testing.T) {
	_, err := Load(strings.NewReader(obj("notification.toolkit.fluxcd.io/v1beta3", "Alert", "a", "  eventSources: [{kind: K, name: x}]\n")), "in.yaml")
	var fe *field.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "spec.providerRef.name", fe.Field)
}

func TestLoadReadError(t *testing.T) {
	cfg, err := Load(iotest.ErrReader(errors.New("disk on fire")), "stdin")
	assert.Nil(t, cfg)
	require.Error(t, err)
	assert.Equal(t, "stdin: reading: disk on fire", err.Error())
}

func TestLoadTooLarge(t *testing.T) {
	cfg, err := Load(strings.NewReader(strings.Repeat("\n", manifest.MaxStreamSize+1)), "big.yaml")
	assert.Nil(t, cfg)
	assert.ErrorContains(t, err, "big.yaml: larger than 32 MiB")
}

func TestLoadFilesFolder(t *testing.T) {
	cfg, err := LoadFiles("testdata/manifests/tree")
	require.NoError(t, err, "kustomization.yaml, hidden folders and other extensions are skipped")
	require.Len(t, cfg.Providers, 1)
	require.Len(t, cfg.Secrets, 1)
	require.Len(t, cfg.Alerts, 2)
	// Lexical order: alerts/errors.yml, alerts/info.json.
	assert.Equal(t, "errors", cfg.Alerts[0].Name)
	assert.Equal(t, alert.Exactly("error", "warn"), cfg.Alerts[0].Spec.EventSeverity)
	assert.Equal(t, "info", cfg.Alerts[1].Name)
	assert.Equal(t, alert.Threshold("info"), cfg.Alerts[1].Spec.EventSeverity)
	assert.Equal(t, []Skipped{{
		File: filepath.Join("testdata/manifests/tree/alerts/info.json"), Document: 1, Line: 15,
		Object: "ConfigMap team-a/unrelated", Reason: "not an Alert, Provider or Secret",
	}}, cfg.Skipped, "the List's ConfigMap")

	creds, err := provider.Resolve(t.Context(), &cfg.Providers[0], cfg.SecretGetter())
	require.NoError(t, err)
	assert.Equal(t, "https://hooks.example.com/services/T0/B0/XYZ", creds.Address)
}

func TestLoadFilesPaths(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	providers := write("a/providers.yaml", okProvider)
	alerts := write("b/alerts.yaml", obj("notification.toolkit.fluxcd.io/v1beta3", "Alert", "a", okAlertSpec))
	txt := write("c/alert.txt", strings.Replace(obj("notification.toolkit.fluxcd.io/v1beta3", "Alert", "b", okAlertSpec), "name: b", "name: b", 1))
	dup := write("d/dup.yml", okProvider)
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.Mkdir(empty, 0o700))
	missing := filepath.Join(dir, "missing.yaml")

	t.Run("references resolve across files", func(t *testing.T) {
		cfg, err := LoadFiles(alerts, providers)
		require.NoError(t, err)
		assert.Len(t, cfg.Alerts, 1)
		assert.Len(t, cfg.Providers, 1)
	})
	t.Run("a file named explicitly is read whatever its extension", func(t *testing.T) {
		cfg, err := LoadFiles(txt, providers)
		require.NoError(t, err)
		assert.Len(t, cfg.Alerts, 1)
	})
	t.Run("folders are read recursively", func(t *testing.T) {
		cfg, err := LoadFiles(filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c"))
		require.NoError(t, err)
		assert.Len(t, cfg.Alerts, 1, ".txt files in folders are skipped")
		assert.Len(t, cfg.Providers, 1)
	})
	t.Run("duplicates across files name the first file", func(t *testing.T) {
		cfg, err := LoadFiles(providers, dup)
		require.NotNil(t, cfg)
		assert.Len(t, cfg.Providers, 1)
		errs := LoadErrors(err)
		require.Len(t, errs, 1)
		assert.Equal(t, dup, errs[0].File)
		assert.ErrorIs(t, errs[0], ErrDuplicateObject)
		assert.Contains(t, errs[0].Error(), "already defined at "+providers+":1:1")
	})
	t.Run("symbolic links are followed, as in a mounted ConfigMap", func(t *testing.T) {
		// ConfigMap volumes look like this: files are links into ..data,
		// itself a link to a hidden timestamped folder.
		mount := filepath.Join(dir, "mount")
		require.NoError(t, os.MkdirAll(filepath.Join(mount, "..2026_03_01"), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(mount, "..2026_03_01", "providers.yaml"), []byte(okProvider), 0o600))
		require.NoError(t, os.Symlink("..2026_03_01", filepath.Join(mount, "..data")))
		require.NoError(t, os.Symlink(filepath.Join("..data", "providers.yaml"), filepath.Join(mount, "providers.yaml")))
		link := filepath.Join(dir, "link-to-mount")
		require.NoError(t, os.Symlink(mount, link))

		for _, p := range []string{mount, link} {
			cfg, err := LoadFiles(p)
			require.NoError(t, err, p)
			assert.Len(t, cfg.Providers, 1, "%s: each file is read once", p)
		}
	})
	t.Run("an empty folder is an empty config", func(t *testing.T) {
		cfg, err := LoadFiles(empty)
		require.NoError(t, err)
		assert.Equal(t, &Config{}, cfg)
	})
	t.Run("a missing path alone gives no config", func(t *testing.T) {
		cfg, err := LoadFiles(missing)
		assert.Nil(t, cfg)
		errs := LoadErrors(err)
		require.Len(t, errs, 1)
		assert.Equal(t, missing, errs[0].File)
		assert.ErrorIs(t, err, os.ErrNotExist)
		assert.Equal(t, missing+": no such file or directory", err.Error())
	})
	t.Run("a missing path does not hide the others", func(t *testing.T) {
		cfg, err := LoadFiles(missing, providers)
		require.NotNil(t, cfg)
		assert.Len(t, cfg.Providers, 1)
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("no path", func(t *testing.T) {
		cfg, err := LoadFiles()
		assert.Nil(t, cfg)
		assert.EqualError(t, err, "fluxnotify: no manifest path given")
	})
}

// TestLoadFilesGolden compares every problem of testdata/manifests/invalid.yaml
// with invalid.golden. Run with -update to rewrite it.
func TestLoadFilesGolden(t *testing.T) {
	const in, golden = "testdata/manifests/invalid.yaml", "testdata/manifests/invalid.golden"
	cfg, err := LoadFiles(in)
	require.NotNil(t, cfg)
	require.Error(t, err)
	got := err.Error() + "\n"
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o600))
	}
	want, rerr := os.ReadFile(golden)
	require.NoError(t, rerr, "run go test -run TestLoadFilesGolden -update")
	assert.Equal(t, string(want), got)
	assert.NotContains(t, got, "not base64!", "secret values never show")
	// The documents that decoded are kept, even when invalid.
	assert.Len(t, cfg.Alerts, 3)
	assert.Len(t, cfg.Providers, 0, "one provider has a bad timeout, the other is its duplicate")
	assert.Len(t, cfg.Secrets, 0)
}

func BenchmarkLoadExample(b *testing.B) {
	data, err := os.ReadFile(exampleFile)
	require.NoError(b, err)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Load(strings.NewReader(string(data)), "slack-example.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad100 loads 100 alerts, 10 providers and 10 secrets from one
// stream.
func BenchmarkLoad100(b *testing.B) {
	var sb strings.Builder
	for i := range 10 {
		fmt.Fprintf(&sb, "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: p%d, namespace: ns}\nspec: {type: slack, secretRef: {name: s%d}}\n---\n", i, i)
		fmt.Fprintf(&sb, "apiVersion: v1\nkind: Secret\nmetadata: {name: s%d, namespace: ns}\nstringData: {url: \"https://hooks.example.com/%d\"}\n---\n", i, i)
	}
	for i := range 100 {
		fmt.Fprintf(&sb, "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata: {name: a%d, namespace: ns}\nspec:\n  providerRef: {name: p%d}\n  eventSeverity: [error, warn]\n  eventSources:\n  - {kind: Kustomization, name: \"app-*\"}\n  - {kind: HelmRelease, name: \"*\", namespace: apps}\n  exclusionList: [\"^Dependencies\"]\n---\n", i, i%10)
	}
	data := sb.String()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		cfg, err := Load(strings.NewReader(data), "many.yaml")
		if err != nil || len(cfg.Alerts) != 100 {
			b.Fatal(err)
		}
	}
}
