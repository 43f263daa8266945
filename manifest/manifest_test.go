package manifest_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/manifest"
)

const (
	provider = "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: p, namespace: ns}\nspec: {type: slack}\n"
	alertDoc = "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata: {name: a, namespace: ns}\nspec:\n  providerRef: {name: p}\n  eventSources: [{kind: Kustomization, name: \"*\"}]\n"
)

// TestErrorPositions checks that every kind of problem carries the line
// and column of the field at fault, and the sentinel it wraps.
func TestErrorPositions(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		line, col int
		field     string
		is        error
		msg       string
	}{
		{"unknown field", provider + "---\n" + alertDoc + "  eventSeverty: info\n", 12, 3, "spec.eventSeverty", manifest.ErrUnknownField, `(did you mean "eventSeverity"?)`},
		{"unknown metadata field", provider + "---\n" + strings.Replace(alertDoc, "{name: a,", "{nmae: a, name: a,", 1), 8, 12, "metadata.nmae", manifest.ErrUnknownField, `(did you mean "name"?)`},
		{"unknown top-level field", provider + "---\n" + alertDoc + "specs: {}\n", 12, 1, "specs", manifest.ErrUnknownField, `did you mean "spec"?`},
		{"wrong type", provider + "---\n" + alertDoc + "  suspend: [true]\n", 12, 3, "spec.suspend", manifest.ErrInvalidValue, "want true or false, got a list"},
		{"wrong type in a list", provider + "---\n" + alertDoc + "  exclusionList:\n  - ok\n  - {a: b}\n", 14, 5, "spec.exclusionList[1]", manifest.ErrInvalidValue, "want a string, got a mapping"},
		{"json.Unmarshaler value", strings.Replace(provider, "{type: slack}", "{type: slack, timeout: soon}", 1), 4, 21, "spec.timeout", manifest.ErrInvalidValue, `time: invalid duration "soon"`},
		{"validation", provider + "---\n" + alertDoc + "  eventSeverity: fatal\n", 12, 3, "spec.eventSeverity", manifest.ErrInvalid, `Unsupported value: "fatal"`},
		{"validation in a list", provider + "---\n" + strings.Replace(alertDoc, `name: "*"`, `name: ""`, 1), 11, 40, "spec.eventSources[0].name", manifest.ErrInvalid, "Required value"},
		{"duplicate key", provider + "---\n" + alertDoc + "  summary: a\n  summary: b\n", 13, 3, "spec.summary", manifest.ErrDuplicateKey, "(first at line 12, column 3)"},
		{"provider not found", alertDoc, 5, 17, "spec.providerRef.name", manifest.ErrProviderNotFound, `no Provider "p" in namespace "ns"`},
		{"duplicate object", provider + "---\n" + provider, 6, 1, "", manifest.ErrDuplicateObject, "already defined at in.yaml:1:1"},
		{"unsupported version", strings.Replace(provider, "v1beta3", "v1", 1), 1, 1, "apiVersion", manifest.ErrUnsupportedVersion, "v1 has Receiver only"},
		{"old API group", strings.Replace(provider, "notification.toolkit.fluxcd.io/v1beta3", "notification.fluxcd.io/v1alpha1", 1), 1, 1, "apiVersion", manifest.ErrUnsupportedVersion, "before v0.0.6"},
		{"unknown kind", "# a comment\n" + strings.Replace(provider, "Provider", "Provder", 1), 3, 1, "kind", manifest.ErrUnknownKind, `did you mean "Provider"?`},
		{"list item not an object", "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(provider, "\n", "\n  ") + "\n- 7\n", 9, 3, "items[1]", manifest.ErrNotObject, "not a number"},
		{"list item field", "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.Replace(provider, "{type: slack}", "{type: slack, chanel: x}", 1), "\n", "\n  "), 7, 23, "items[0].spec.chanel", manifest.ErrUnknownField, `did you mean "channel"?`},
		{"JSON", `{"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Provider",` + "\n" + `  "metadata": {"name": "p"}, "spec": {"type": "slack", "tiemout": "1m"}}`, 2, 56, "spec.tiemout", manifest.ErrUnknownField, `did you mean "timeout"?`},
		{"JSON syntax", provider + "{", 0, 0, "", manifest.ErrSyntax, ""},
		{"YAML syntax", provider + "---\n" + alertDoc + "  summary: [\n", 6, 0, "", manifest.ErrSyntax, "yaml: "},
		{"base64", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  url: '%%%'\n", 5, 3, "data.url", manifest.ErrInvalidValue, "illegal base64 data at input byte 0"},
		{"null key", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  url: x\n  ~: https://hooks.example.com/SECRET\n", 6, 3, "stringData", manifest.ErrInvalidValue, "a key must be a string"},
		{"Secret without a name", "apiVersion: v1\nkind: Secret\nmetadata: {namespace: ns}\n", 1, 1, "metadata.name", manifest.ErrInvalid, "Required value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := manifest.Load(strings.NewReader(tt.in), "in.yaml")
			require.NotNil(t, cfg)
			errs := manifest.Errors(err)
			require.NotEmpty(t, errs)
			var got *manifest.Error
			for _, e := range errs {
				if errors.Is(e, tt.is) {
					got = e
					break
				}
			}
			require.NotNil(t, got, "no problem wraps %v in:\n%v", tt.is, err)
			assert.ErrorIs(t, err, tt.is)
			if tt.line > 0 {
				assert.Equal(t, tt.line, got.Line, "line of %s", got)
				assert.Equal(t, tt.col, got.Column, "column of %s", got)
			}
			assert.Equal(t, tt.field, got.Field)
			assert.Contains(t, got.Error(), tt.msg)
			assert.NotContains(t, err.Error(), "SECRET")
		})
	}
}

// TestMergeKeys checks YAML 1.1 merge keys: the keys written in a mapping
// win over merged ones whatever their order, an earlier merged mapping
// wins over a later one, and neither is a duplicate key. Keys written
// twice are still reported.
func TestMergeKeys(t *testing.T) {
	cfg, err := manifest.LoadFiles("testdata/versions/v1beta3.yaml")
	require.NoError(t, err)
	require.Len(t, cfg.Alerts, 1)
	a := cfg.Alerts[0]
	assert.Equal(t, []alert.CrossNamespaceObjectReference{
		{Kind: "Kustomization", Name: "*", Namespace: "flux-system"},
		{Kind: "HelmRelease", Name: "*", Namespace: "flux-system"},
		{Kind: "GitRepository", Name: "flux-system", Namespace: "flux-system"},
	}, a.Spec.EventSources)
	assert.Equal(t, map[string]string{"app.kubernetes.io/part-of": "notifications", "env": "prod"}, a.Spec.EventMetadata)

	for _, tt := range []struct {
		name, sources string
		want          []alert.CrossNamespaceObjectReference
		dupLine       int
	}{
		{
			name:    "explicit key before the merge still wins",
			sources: "  - &s {kind: Kustomization, name: a}\n  - {kind: HelmRelease, <<: *s}\n",
			want:    []alert.CrossNamespaceObjectReference{{Kind: "Kustomization", Name: "a"}, {Kind: "HelmRelease", Name: "a"}},
		},
		{
			name:    "of a list of merged mappings, the first wins",
			sources: "  - &s {kind: Kustomization, name: a}\n  - &t {kind: HelmRelease, name: b, namespace: x}\n  - <<: [*s, *t]\n",
			want: []alert.CrossNamespaceObjectReference{
				{Kind: "Kustomization", Name: "a"}, {Kind: "HelmRelease", Name: "b", Namespace: "x"}, {Kind: "Kustomization", Name: "a", Namespace: "x"},
			},
		},
		{
			name:    "a key written twice is a duplicate, merge or not",
			sources: "  - &s {kind: Kustomization, name: a}\n  - <<: *s\n    kind: HelmRelease\n    kind: GitRepository\n",
			want:    []alert.CrossNamespaceObjectReference{{Kind: "Kustomization", Name: "a"}, {Kind: "GitRepository", Name: "a"}},
			dupLine: 15,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := provider + "---\n" + strings.Replace(alertDoc, "  eventSources: [{kind: Kustomization, name: \"*\"}]\n", "  eventSources:\n"+tt.sources, 1)
			cfg, err := manifest.Load(strings.NewReader(in), "in.yaml")
			require.NotNil(t, cfg)
			if tt.dupLine == 0 {
				require.NoError(t, err)
			} else {
				errs := manifest.Errors(err)
				require.Len(t, errs, 1, "%v", err)
				assert.ErrorIs(t, errs[0], manifest.ErrDuplicateKey)
				assert.Equal(t, tt.dupLine, errs[0].Line)
			}
			require.Len(t, cfg.Alerts, 1)
			assert.Equal(t, tt.want, cfg.Alerts[0].Spec.EventSources)
		})
	}
}

// TestAliasBombs checks that aliases that expand exponentially (a "billion
// laughs") or refer to themselves are refused quickly in the objects that
// are decoded, and cost nothing in the objects that are skipped.
func TestAliasBombs(t *testing.T) {
	var laughs strings.Builder
	laughs.WriteString("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&laughs, "l%d: &l%d [*l%[3]d, *l%[3]d, *l%[3]d, *l%[3]d, *l%[3]d, *l%[3]d, *l%[3]d, *l%[3]d, *l%[3]d, *l%[3]d]\n", i, i, i-1)
	}
	merges := "{m0: &m0 {a: x}"
	for i := 1; i <= 9; i++ {
		merges += fmt.Sprintf(", m%d: &m%d {<<: [*m%[3]d, *m%[3]d, *m%[3]d, *m%[3]d, *m%[3]d, *m%[3]d, *m%[3]d, *m%[3]d, *m%[3]d, *m%[3]d]}", i, i, i-1)
	}
	merges += "}"
	// The laughs as a flow mapping, on one line.
	bomb := "{" + strings.ReplaceAll(strings.TrimSuffix(laughs.String(), "\n"), "\n", ", ") + "}"
	for _, tt := range []struct {
		name, in string
		is       error
		skipped  int
	}{
		// Values read as JSON (json.Unmarshaler) expand every alias.
		{"a billion laughs in a Secret's managed fields", "apiVersion: v1\nkind: Secret\nmetadata: {name: s, managedFields: [{fieldsV1: " + bomb + "}]}\n", manifest.ErrTooLarge, 0},
		{"a billion laughs in an Alert's template", provider + "---\n" + alertDoc + "  template: {blocks: " + bomb + "}\n", manifest.ErrTooLarge, 0},
		{"a billion laughs in merge keys", "apiVersion: v1\nkind: Secret\nmetadata: {name: s, annotations: " + merges + "}\nstringData: {<<: [*m9, *m9, *m9, *m9, *m9, *m9, *m9, *m9, *m9, *m9]}\n", manifest.ErrTooLarge, 0},
		{"a billion laughs in a ConfigMap", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: " + bomb + "\n", nil, 1},
		{"an alias that contains itself", provider + "---\n" + alertDoc + "  template: &a {blocks: *a}\n", manifest.ErrInvalidValue, 0},
		{"a merge of itself", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: &a {<<: *a, url: x}\n", manifest.ErrInvalidValue, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			cfg, err := manifest.Load(strings.NewReader(tt.in), "in.yaml")
			require.NotNil(t, cfg)
			if tt.is == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.is)
			}
			assert.Len(t, cfg.Skipped, tt.skipped)
			assert.Less(t, time.Since(start), 5*time.Second, "bounded work")
		})
	}
}

// TestSkipped checks what loading leaves out on purpose, and says why.
func TestSkipped(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	write("Taskfile.yaml", "version: '3'\ntasks:\n  default:\n    cmds: [flux check]\n")
	write("dashboards/flux.json", `{"title": "Flux", "panels": [{"type": "stat"}]}`)
	write("patches/alert.json", `[{"op": "replace", "path": "/spec/eventSeverity", "value": "info"}]`)
	write("package.json", `{"name": "gitops", "private": true}`)
	write("charts/app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\n")
	write("charts/app/templates/provider.yaml", "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  type: {{ .Values.type }}\n")
	write("helm-template.yaml", provider+"---\n{{- if .Values.alerts }}\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n{{- end }}\n")
	write("secrets/slack.sops.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: slack-url\n  namespace: flux-system\nstringData:\n  address: ENC[AES256_GCM,data:abc=,iv:def=,tag:ghi=,type:str]\nsops:\n  version: 3.9.0\n")
	write("secrets/provider.sops.yaml", "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: hidden, namespace: ns}\nspec:\n  type: ENC[AES256_GCM,data:abc=,type:str]\nsops: {version: 3.9.0}\n---\n"+strings.ReplaceAll(alertDoc, "name: p}", "name: hidden}"))

	cfg, err := manifest.LoadFiles(dir)
	require.NoError(t, err, "the Alert's Provider is SOPS-encrypted, not missing")
	assert.Len(t, cfg.Providers, 1)
	assert.Len(t, cfg.Alerts, 1)
	var got []string
	for _, s := range cfg.Skipped {
		rel, err := filepath.Rel(dir, s.File)
		require.NoError(t, err)
		s.File = rel
		got = append(got, s.String())
	}
	assert.Equal(t, []string{
		"Taskfile.yaml:1: not a Kubernetes object (no apiVersion or kind)",
		"charts/app/Chart.yaml:1: not a Kubernetes object (no kind)",
		"charts/app/templates: templates of a Helm chart (Chart.yaml): Helm renders them, they are not manifests",
		"dashboards/flux.json:1: not a Kubernetes object (no apiVersion or kind)",
		"helm-template.yaml:6: not valid YAML and contains {{ }}: a template, not a manifest",
		"package.json:1: not a Kubernetes object (no apiVersion or kind)",
		"patches/alert.json:1: not a Kubernetes object (a list)",
		"secrets/provider.sops.yaml:1: Provider ns/hidden: SOPS-encrypted: its values cannot be read without the key",
		"secrets/slack.sops.yaml:1: Secret flux-system/slack-url: SOPS-encrypted: its values cannot be read without the key",
	}, got)
}

// TestLoader checks that sources of every kind load into one Config, with
// references and duplicates checked across them.
func TestLoader(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "alert.yaml")
	require.NoError(t, os.WriteFile(path, []byte(strings.ReplaceAll(alertDoc, "p}", "${PROVIDER}}")), 0o600))

	var l manifest.Loader
	l.Transform = func(name string, data []byte) ([]byte, error) {
		if name == "bad" {
			return nil, errors.New("substitution failed")
		}
		return []byte(strings.ReplaceAll(string(data), "${PROVIDER}", "p")), nil
	}
	l.AddPath(path)
	l.AddBytes([]byte(provider), "kustomize build overlays/prod")
	l.AddReader(strings.NewReader(provider), "stdin")
	l.AddBytes([]byte(provider), "bad")
	cfg, err := l.Config()
	require.NotNil(t, cfg)
	require.Len(t, cfg.Alerts, 1)
	require.Len(t, cfg.Providers, 1)
	assert.Equal(t, "p", cfg.Alerts[0].Spec.ProviderRef.Name)
	errs := manifest.Errors(err)
	require.Len(t, errs, 2, "%v", err)
	assert.Equal(t, "stdin:1:1: Provider ns/p: duplicate object: already defined at kustomize build overlays/prod:1:1; this one is ignored", errs[0].Error())
	assert.Equal(t, "bad: substitution failed", errs[1].Error())

	var empty manifest.Loader
	cfg, err = empty.Config()
	assert.Nil(t, cfg, "nothing was read")
	assert.NoError(t, err)
}

// TestVersions loads the shapes of repositories of every version Flux
// served: v1beta1 and v1beta2 fields are a subset of v1beta3's (Flux's
// CRDs convert without a webhook), a status is ignored.
func TestVersions(t *testing.T) {
	cfg, err := manifest.LoadFiles("testdata/versions")
	require.NoError(t, err)
	require.Len(t, cfg.Alerts, 3)
	require.Len(t, cfg.Providers, 3)

	a := cfg.Alerts[0]
	assert.Equal(t, "notification.toolkit.fluxcd.io/v1beta1", a.APIVersion)
	assert.Equal(t, alert.Threshold("info"), a.Spec.EventSeverity)
	assert.Equal(t, "production cluster", a.Spec.Summary)
	assert.Equal(t, []string{".*upgrade.*has.*started"}, a.Spec.ExclusionList)
	p, ok := cfg.Provider("flux-system", "slack")
	require.True(t, ok)
	assert.Equal(t, "30s", p.GetTimeout().String())

	b := cfg.Alerts[1]
	assert.Equal(t, map[string]string{"team": "payments"}, b.Spec.EventSources[0].MatchLabels)
	assert.Equal(t, map[string]string{"cluster": "prod-eu"}, b.Spec.EventMetadata)
	p, ok = cfg.Provider("flux-system", "msteams")
	require.True(t, ok)
	require.NotNil(t, p.Spec.Interval)
	assert.Equal(t, time.Minute, p.Spec.Interval.Duration)

	var warnings []string
	for _, w := range cfg.Warnings {
		assert.ErrorIs(t, w, manifest.ErrRemovedVersion)
		warnings = append(warnings, fmt.Sprintf("%s:%d:%d %s", filepath.Base(w.File), w.Line, w.Column, w.Object))
	}
	assert.Equal(t, []string{
		"v1beta1.yaml:4:1 Provider flux-system/slack",
		"v1beta1.yaml:18:1 Alert flux-system/on-call",
		"v1beta2.yaml:4:1 Provider flux-system/msteams",
		"v1beta2.yaml:17:1 Alert flux-system/releases",
	}, warnings)
}

func TestErrorString(t *testing.T) {
	cause := errors.New("boom")
	for _, tt := range []struct {
		err  manifest.Error
		want string
	}{
		{manifest.Error{File: "f.yaml", Err: cause}, "f.yaml: boom"},
		{manifest.Error{File: "f.yaml", Document: 2, Err: cause}, "f.yaml: document 2: boom"},
		{manifest.Error{File: "f.yaml", Document: 2, Line: 9, Err: cause}, "f.yaml:9: boom"},
		{manifest.Error{File: "f.yaml", Document: 2, Line: 9, Column: 3, Object: "Alert a/b", Field: "spec.x", Err: cause}, "f.yaml:9:3: Alert a/b: spec.x: boom"},
		{manifest.Error{File: "f.yaml"}, "f.yaml: invalid"},
	} {
		assert.Equal(t, tt.want, tt.err.Error())
	}
	assert.Equal(t, "f.yaml:3: Secret a/b: SOPS-encrypted", manifest.Skipped{File: "f.yaml", Document: 1, Line: 3, Object: "Secret a/b", Reason: "SOPS-encrypted"}.String())
	assert.Equal(t, "dir/x: not a regular file (a named pipe)", manifest.Skipped{File: "dir/x", Reason: "not a regular file (a named pipe)"}.String())
}

// TestSyntaxErrors checks that a broken YAML document hides none of the
// others, however many follow it, and that the work stays bounded however
// many documents are broken.
func TestSyntaxErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("key: [unclosed\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "---\napiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: p%d, namespace: ns}\nspec: {type: slack}\n", i)
	}
	b.WriteString("---\n# a comment first\nkey: [unclosed\n")
	cfg, err := manifest.Load(strings.NewReader(b.String()), "in.yaml")
	require.NotNil(t, cfg)
	assert.Len(t, cfg.Providers, 5000)
	errs := manifest.Errors(err)
	require.Len(t, errs, 2)
	assert.Equal(t, "in.yaml:1: syntax error: yaml: line 1: did not find expected ',' or ']'", errs[0].Error())
	assert.Equal(t, 5002, errs[1].Document)
	assert.Equal(t, 25004, errs[1].Line, "the line after the comment")
	// The parser's message counts lines from the start of the file (it
	// names the line before the error when it reports where the
	// unclosed list started: its own count).
	assert.Contains(t, errs[1].Error(), "yaml: line 25003:")

	b.Reset()
	for range 150 {
		b.WriteString("key: [unclosed\n---\n")
	}
	_, err = manifest.Load(strings.NewReader(b.String()), "in.yaml")
	errs = manifest.Errors(err)
	require.Len(t, errs, 101)
	assert.Equal(t, "in.yaml:201: more than 100 syntax errors: the rest of the stream is not read", errs[100].Error())
}

// TestLoad_kindCaseWarning checks that an eventSources kind that differs
// from a Flux kind only in case loads, with a warning at its line and
// column (flux mode refuses it when the alert is compiled).
func TestLoad_kindCaseWarning(t *testing.T) {
	in := `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: a, namespace: ns}
spec:
  providerRef: {name: p}
  eventSources:
    - kind: kustomization
      name: "*"
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {name: p, namespace: ns}
spec: {type: slack}
`
	cfg, err := manifest.Load(strings.NewReader(in), "in.yaml")
	require.NoError(t, err)
	require.Len(t, cfg.Alerts, 1)
	require.Len(t, cfg.Warnings, 1)
	w := cfg.Warnings[0]
	assert.Equal(t, "spec.eventSources[0].kind", w.Field)
	assert.Equal(t, 7, w.Line)
	assert.Equal(t, 7, w.Column) // the key of the field at fault
	assert.Contains(t, w.Error(), "did you mean Kustomization?")
}
