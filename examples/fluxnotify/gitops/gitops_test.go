package gitops

import (
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/fluxnotify/fluxnotify"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	homeOps     = "../testdata/repos/home-ops"
	fluxSystem  = homeOps + "/kubernetes/apps/flux-system/notifications"
	payments    = homeOps + "/kubernetes/apps/payments/notifications"
	builtGolden = "../testdata/repos/built/flux-system-notifications.yaml"
)

// TestSubstitute mirrors kustomize-controller's postBuild substitution
// (fluxcd/pkg kustomize varSubstitution over fluxcd/pkg envsubst), except
// for unset variables, which stay as written.
func TestSubstitute(t *testing.T) {
	vars := map[string]string{"A": "x", "LOWER": "ab", "EMPTY": ""}
	tests := []struct {
		name, in, want string
		unset          []string
		wantErr        bool
	}{
		{"a set variable", "v: ${A}", "v: x", nil, false},
		{"several", "v: pre-${A}-${LOWER}", "v: pre-x-ab", nil, false},
		{"default of an unset variable", "v: ${B:=d}", "v: d", nil, false},
		{"default of a set variable", "v: ${A:=d}", "v: x", nil, false},
		{"default of an empty variable", "v: ${EMPTY:=d}", "v: d", nil, false},
		{"default with -", "v: ${B:-d}", "v: d", nil, false},
		{"$${VAR} escapes", "v: $${A}", "v: ${A}", nil, false},
		{"$$ is one dollar", "v: a$$b", "v: a$b", nil, false},
		{"an unset variable stays as written", "v: ${B}", "v: ${B}", []string{"B"}, false},
		{"an unset variable beside a set one", "v: ${A}-${B}", "v: x-${B}", []string{"B"}, false},
		{"an escaped unset variable", "v: $${B}", "v: ${B}", nil, false},
		{"a function of an unset variable stays", "v: ${B^^}", "v: ${B^^}", []string{"B"}, false},
		{"a function of a set variable", "v: ${LOWER^^}", "v: AB", nil, false},
		{"an unset variable in a default is kept, with an error", "v: ${C:=${B}}", "v: ${C:=${B}}", nil, true},
		{"$VAR without braces is text", "v: $A", "v: $A", nil, false},
		{"no dollar", "v: plain", "v: plain", nil, false},
		{"an unclosed reference is kept, with an error", "v: ${A", "v: ${A", nil, true},
		{"a value that breaks the YAML is kept, with an error", "v: ${BRACKET}", "v: ${BRACKET}", nil, true},
	}
	vars["BRACKET"] = "[oops"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, unset, err := substitute([]byte(tt.in), vars)
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, string(got))
			assert.Equal(t, tt.unset, unset)
		})
	}
}

// TestCheckVariables mirrors varsubRegex of fluxcd/pkg kustomize.
func TestCheckVariables(t *testing.T) {
	for name, ok := range map[string]bool{"A": true, "_a1": true, "cluster_name": true, "1A": false, "A-B": false, "a.b": false, "": false} {
		err := CheckVariables(map[string]string{name: "v"})
		if ok {
			assert.NoError(t, err, name)
		} else {
			assert.ErrorIs(t, err, ErrVariableName, name)
		}
	}
}

// TestSubstituteStream checks that documents keep their lines and that
// kustomize.toolkit.fluxcd.io/substitute: disabled (a label or an
// annotation) leaves a document alone, as SubstituteVariables of fluxcd/pkg
// kustomize does.
func TestSubstituteStream(t *testing.T) {
	in := `# leading comment
a: ${A}
---
metadata:
  annotations:
    kustomize.toolkit.fluxcd.io/substitute: disabled
b: ${A}
---
metadata:
  labels:
    kustomize.toolkit.fluxcd.io/substitute: disabled
c: ${A}
--- # a comment after the separator
d: ${A} ${B}
`
	out, problems := substituteStream([]byte(in), map[string]string{"A": "x"})
	want := strings.Replace(in, "a: ${A}", "a: x", 1)
	want = strings.Replace(want, "d: ${A}", "d: x", 1)
	assert.Equal(t, want, string(out))
	require.Len(t, problems, 1)
	assert.Equal(t, []string{"B"}, problems[0].unset)
	assert.Equal(t, 14, problems[0].line)
}

func TestLoad_kustomization(t *testing.T) {
	cfg, err := Load([]string{fluxSystem}, Options{Substitute: map[string]string{"CLUSTER_NAME": "prod"}})
	require.NoError(t, err)

	alerts := map[string]string{}
	for _, a := range cfg.Alerts {
		alerts[a.Namespace+"/"+a.Name] = a.Spec.EventSeverity.String() + " " + a.Spec.Summary
	}
	assert.Equal(t, map[string]string{
		"flux-system/flux-alerts": "error ",             // the component's info, patched by the overlay
		"flux-system/deployments": "error cluster prod", // a postBuild variable
	}, alerts)

	providers := map[string][2]string{}
	for _, p := range cfg.Providers {
		providers[p.Namespace+"/"+p.Name] = [2]string{p.Spec.Channel, p.Spec.Address}
	}
	assert.Equal(t, map[string][2]string{
		"flux-system/slack":       {"#flux-prod", ""},
		"flux-system/deployments": {"#deployments", "https://hooks.slack.com/services/T000/B000/XXXX"}, // the default
	}, providers)
	assert.Empty(t, cfg.Secrets, "the only Secret is SOPS-encrypted")

	t.Run("a variable in an address", func(t *testing.T) {
		cfg, err := Load([]string{fluxSystem}, Options{Substitute: map[string]string{"DEPLOYMENTS_WEBHOOK": "https://hooks.slack.com/services/T1/B1/Y"}})
		require.NoError(t, err)
		p, ok := cfg.Provider("flux-system", "deployments")
		require.True(t, ok)
		assert.Equal(t, "https://hooks.slack.com/services/T1/B1/Y", p.Spec.Address)
	})

	t.Run("the component in another namespace", func(t *testing.T) {
		cfg, err := Load([]string{payments}, Options{})
		require.NoError(t, err)
		require.Len(t, cfg.Alerts, 1)
		assert.Equal(t, "payments-prod", cfg.Alerts[0].Namespace)
		assert.Equal(t, "info", cfg.Alerts[0].Spec.EventSeverity.String())
		require.Len(t, cfg.Providers, 1)
		assert.Equal(t, "#flux-${CLUSTER_NAME}", cfg.Providers[0].Spec.Channel, "an unset variable stays as written")
		require.Len(t, cfg.Secrets, 1)
		assert.Equal(t, "payments-prod", cfg.Secrets[0].Namespace)
	})

	t.Run("the path of the kustomization file", func(t *testing.T) {
		cfg, err := Load([]string{filepath.Join(payments, "kustomization.yaml")}, Options{})
		require.NoError(t, err)
		assert.Equal(t, "payments-prod", cfg.Alerts[0].Namespace)
	})
}

// TestBuild compares the build with the stream kustomize build prints for
// the same folder (testdata/repos/built, rewritten with -update); the CLI
// tests read that stream on standard input.
func TestBuild(t *testing.T) {
	got, err := Build(fluxSystem, Options{})
	require.NoError(t, err)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(builtGolden), 0o755))
		require.NoError(t, os.WriteFile(builtGolden, got, 0o644))
	}
	want, err := os.ReadFile(builtGolden)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), string(got))
	assert.NotContains(t, string(got), originAnnotationKey)

	_, err = Build(homeOps, Options{})
	assert.ErrorContains(t, err, "no kustomization.yaml")
}

func TestLoad_stdin(t *testing.T) {
	built, err := os.ReadFile(builtGolden)
	require.NoError(t, err)
	viaDir, err := Load([]string{fluxSystem}, Options{Substitute: map[string]string{"CLUSTER_NAME": "prod"}})
	require.NoError(t, err)
	viaStdin, err := Load([]string{"-"}, Options{Substitute: map[string]string{"CLUSTER_NAME": "prod"}, Stdin: strings.NewReader(string(built))})
	require.NoError(t, err)
	assert.Equal(t, viaDir.Alerts, viaStdin.Alerts)
	assert.Equal(t, viaDir.Providers, viaStdin.Providers)

	_, err = Load([]string{"-", "-"}, Options{Stdin: strings.NewReader(string(built))})
	assert.ErrorContains(t, err, "given twice")

	t.Run("disabled substitution", func(t *testing.T) {
		stream := `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: literal
  namespace: flux-system
  annotations:
    kustomize.toolkit.fluxcd.io/substitute: disabled
spec:
  type: slack
  channel: "#${CLUSTER_NAME}"
`
		cfg, err := Load([]string{"-"}, Options{Substitute: map[string]string{"CLUSTER_NAME": "prod"}, Stdin: strings.NewReader(stream)})
		require.NoError(t, err)
		assert.Equal(t, "#${CLUSTER_NAME}", cfg.Providers[0].Spec.Channel)
	})
}

// writeTree writes files (path → content) under a new temporary folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

const alertYAML = `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: a
spec:
  providerRef: {name: p}
  eventSources: [{kind: Kustomization, name: "*"}]
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: p
spec:
  type: slack
`

// TestLoad_remoteBases checks that a remote base or file is an error and
// that nothing is fetched: the URLs point at a loopback server that counts
// its requests.
func TestLoad_remoteBases(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(alertYAML))
	}))
	defer srv.Close()

	tests := map[string]string{
		"an http resource":      "resources:\n- " + srv.URL + "/alerts.yaml",
		"a git https base":      "resources:\n- " + srv.URL + "/org/fleet.git//notifications?ref=main",
		"a git ssh base":        "resources:\n- git@github.com:org/fleet.git//notifications",
		"a GitHub shorthand":    "resources:\n- github.com/org/fleet/notifications?ref=v1.0.0",
		"a missing local base":  "resources:\n- ../not-there",
		"a remote component":    "components:\n- " + srv.URL + "/component",
		"a remote patch":        "resources: [alerts.yaml]\npatches:\n- path: " + srv.URL + "/patch.yaml",
		"a remote in a base":    "resources: [base]",
		"a remote configMap":    "resources: [alerts.yaml]\nconfigMapGenerator:\n- name: c\n  files:\n  - " + srv.URL + "/x.json",
		"a remote openapi path": "resources: [alerts.yaml]\nopenapi:\n  path: " + srv.URL + "/schema.json",
	}
	for name, kustomization := range tests {
		t.Run(name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{
				"overlay/kustomization.yaml":      kustomization,
				"overlay/alerts.yaml":             alertYAML,
				"overlay/base/kustomization.yaml": "resources:\n- " + srv.URL + "/org/repo//x?ref=main",
			})
			_, err := Load([]string{filepath.Join(dir, "overlay")}, Options{Root: dir})
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrRemoteBase)
			assert.Zero(t, hits.Load(), "nothing may be fetched")
		})
	}
}

// TestLoad_root mirrors kustomize-controller's secure file system: a
// kustomization may read anywhere under the root (no load restrictions),
// and nothing outside it.
func TestLoad_root(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"repo/shared/alerts.yaml":                alertYAML,
		"repo/clusters/prod/kustomization.yaml":  "namespace: prod\nresources: [../../shared/alerts.yaml]",
		"outside.yaml":                           alertYAML,
		"repo/clusters/leaky/kustomization.yaml": "resources: [../../../outside.yaml]",
	})
	cfg, err := Load([]string{filepath.Join(dir, "repo/clusters/prod")}, Options{Root: filepath.Join(dir, "repo")})
	require.NoError(t, err)
	assert.Equal(t, "prod", cfg.Alerts[0].Namespace)

	_, err = Load([]string{filepath.Join(dir, "repo/clusters/leaky")}, Options{Root: filepath.Join(dir, "repo")})
	assert.ErrorIs(t, err, ErrOutsideRoot)
}

// TestLoad_namesUserFiles checks that problems name the files the user
// wrote: an object built by kustomize by its own file, without the lines
// of kustomize's output, and where a duplicate was first defined.
func TestLoad_namesUserFiles(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"base/kustomization.yaml": "resources: [alerts.yaml, typo.yaml]",
		"base/alerts.yaml":        alertYAML,
		"base/typo.yaml": `# an Alert with a typo
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: typo
spec:
  providerRef: {name: p}
  eventSeverty: info
  eventSources: [{kind: Kustomization, name: "*"}]
`,
		"plain/dup.yaml": alertYAML,
		"plain/url.yaml": `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: q
spec:
  type: slack
  timeout: ${TIMEOUT}
`,
	})
	base, plain := filepath.Join(dir, "base"), filepath.Join(dir, "plain")
	built := func(file string) string { return filepath.Join(base, file) + " (kustomize build of " + base + ")" }
	cfg, err := Load([]string{base, plain}, Options{})
	require.NotNil(t, cfg)
	require.Error(t, err)
	var got []string
	for _, le := range fluxnotify.LoadErrors(err) {
		got = append(got, le.Error())
	}
	assert.Equal(t, []string{
		built("typo.yaml") + `: Alert default/typo: spec.eventSeverty: unknown field (did you mean "eventSeverity"?)`,
		filepath.Join(plain, "dup.yaml") + ":1:1: Alert default/a: duplicate object: already defined at " + built("alerts.yaml") + ":1:1; this one is ignored",
		filepath.Join(plain, "dup.yaml") + ":9:1: Provider default/p: duplicate object: already defined at " + built("alerts.yaml") + ":9:1; this one is ignored",
		filepath.Join(plain, "url.yaml") + `:7:3: Provider default/q: spec.timeout: time: invalid duration "${TIMEOUT}" (the object uses ${TIMEOUT}, which no substitution variable sets)`,
	}, got)
	for _, le := range fluxnotify.LoadErrors(err) {
		if strings.Contains(le.Error(), "duplicate") {
			assert.ErrorIs(t, le, fluxnotify.ErrDuplicateObject)
		}
	}
}

// TestLoad_unsetVariables checks that a problem names the variables left
// unset only when its field still holds one, in a plain file, on standard
// input and in a kustomize build.
func TestLoad_unsetVariables(t *testing.T) {
	const provider = `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: q
  namespace: ns
spec:
  type: slack
  channel: "#${CHANNEL}"
  timeout: ${TIMEOUT}
  proxy: ${PROXY:=http://proxy:3128}
  adress: ${ADDRESS}
`
	// The Provider is left out (its timeout does not decode); an unknown
	// field is about the key, not about the variable in its value.
	const hint = "spec.timeout: time: invalid duration \"${TIMEOUT}\" (the object uses ${TIMEOUT}, which no substitution variable sets)"
	dir := writeTree(t, map[string]string{
		"plain/provider.yaml":     provider,
		"kust/kustomization.yaml": "resources: [provider.yaml]\nnamePrefix: x-\n",
		"kust/provider.yaml":      "---\n" + provider,
		"ref/alert.yaml": `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: a
spec:
  providerRef:
    name: ${PROVIDER}
  eventSources: [{kind: Kustomization, name: "*"}]
`,
	})
	tests := []struct {
		name, path, stdin string
		want              []string
	}{
		{"a plain file", filepath.Join(dir, "plain"), "", []string{
			filepath.Join(dir, "plain/provider.yaml") + ":9:3: Provider ns/q: " + hint,
			filepath.Join(dir, "plain/provider.yaml") + ":11:3: Provider ns/q: spec.adress: unknown field (did you mean \"address\"?)",
		}},
		{"a provider reference", filepath.Join(dir, "ref"), "", []string{
			filepath.Join(dir, "ref/alert.yaml") + `:7:5: Alert default/a: spec.providerRef.name: provider not found: no Provider "${PROVIDER}" in namespace "default" (the object uses ${PROVIDER}, which no substitution variable sets)`,
		}},
		{"stdin", "-", provider, []string{
			"stdin:9:3: Provider ns/q: " + hint,
			"stdin:11:3: Provider ns/q: spec.adress: unknown field (did you mean \"address\"?)",
		}},
		{"a kustomize build", filepath.Join(dir, "kust"), "", []string{
			filepath.Join(dir, "kust/provider.yaml") + " (kustomize build of " + filepath.Join(dir, "kust") + "): Provider ns/x-q: spec.adress: unknown field (did you mean \"address\"?)",
			filepath.Join(dir, "kust/provider.yaml") + " (kustomize build of " + filepath.Join(dir, "kust") + "): Provider ns/x-q: " + hint,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load([]string{tt.path}, Options{Substitute: map[string]string{"CHANNEL": "alerts"}, Stdin: strings.NewReader(tt.stdin), Root: dir})
			require.NotNil(t, cfg)
			var got []string
			for _, le := range fluxnotify.LoadErrors(err) {
				got = append(got, le.Error())
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestLoad_brokenBySubstitution checks that a document that a value would
// break is kept as written, with a warning naming the user's file.
func TestLoad_brokenBySubstitution(t *testing.T) {
	const provider = `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: q
spec:
  type: slack
  channel: ${CHANNEL}
`
	dir := writeTree(t, map[string]string{
		"plain/provider.yaml":     alertYAML + "---\n" + strings.Replace(provider, "name: q", "name: q2", 1),
		"kust/kustomization.yaml": "resources: [provider.yaml]\n",
		"kust/provider.yaml":      "# the provider\n" + provider,
	})
	vars := map[string]string{"CHANNEL": "[oops"}
	t.Run("a plain file", func(t *testing.T) {
		cfg, err := Load([]string{filepath.Join(dir, "plain")}, Options{Substitute: vars})
		require.NoError(t, err)
		require.Len(t, cfg.Providers, 2)
		assert.Equal(t, "${CHANNEL}", cfg.Providers[1].Spec.Channel)
		require.Len(t, cfg.Warnings, 1)
		w := cfg.Warnings[0].Error()
		assert.True(t, strings.HasPrefix(w, filepath.Join(dir, "plain/provider.yaml")+":16: after variable substitution the document is not valid YAML (kept as written)"), w)
	})
	t.Run("a kustomize build", func(t *testing.T) {
		cfg, err := Load([]string{filepath.Join(dir, "kust")}, Options{Substitute: vars, Root: dir})
		require.NoError(t, err)
		require.Len(t, cfg.Providers, 1)
		assert.Equal(t, "${CHANNEL}", cfg.Providers[0].Spec.Channel)
		require.Len(t, cfg.Warnings, 1)
		w := cfg.Warnings[0].Error()
		want := filepath.Join(dir, "kust/provider.yaml") + " (kustomize build of " + filepath.Join(dir, "kust") + "):2: after variable substitution"
		assert.True(t, strings.HasPrefix(w, want), w)
	})
}

// TestLoad_skippedNamesUserFiles checks what a kustomize build lists as
// skipped: each object by its own file and line.
func TestLoad_skippedNamesUserFiles(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"kustomization.yaml": "resources: [alerts.yaml, ns.yaml]\nconfigMapGenerator:\n- name: vars\n  literals: [a=b]\n",
		"alerts.yaml":        alertYAML,
		"ns.yaml":            "# the namespace\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n",
	})
	cfg, err := Load([]string{dir}, Options{Root: dir})
	require.NoError(t, err)
	require.Len(t, cfg.Skipped, 2)
	assert.Equal(t, filepath.Join(dir, "ns.yaml")+" (kustomize build of "+dir+"):2: Namespace team: not an Alert, Provider or Secret", cfg.Skipped[0].String())
	generated := cfg.Skipped[1].String()
	assert.True(t, strings.HasPrefix(generated, filepath.Join(dir, "kustomization.yaml")+" (kustomize build of "+dir+"): ConfigMap vars-"), generated)
}

// TestLoad_emptyBuild checks that a kustomization that builds nothing
// loads as an empty Config, as an empty folder does.
func TestLoad_emptyBuild(t *testing.T) {
	dir := writeTree(t, map[string]string{"kustomization.yaml": "resources: []\n"})
	cfg, err := Load([]string{dir}, Options{Root: dir})
	require.NoError(t, err)
	require.NotNil(t, cfg)
	assert.Empty(t, cfg.Alerts)
}

// TestLoad_builtinPluginsOnly mirrors the build options of fluxcd/pkg
// kustomize Build: plugins other than kustomize's builtin ones are
// disabled, so a transformer of another kind fails the build.
func TestLoad_builtinPluginsOnly(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"kustomization.yaml": "resources: [alerts.yaml]\ntransformers: [plugin.yaml]\n",
		"alerts.yaml":        alertYAML,
		"plugin.yaml":        "apiVersion: someteam.example.com/v1\nkind: SecretsFromVault\nmetadata:\n  name: vault\n",
	})
	_, err := Load([]string{dir}, Options{Root: dir})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "kustomize build")

	// A builtin transformer is fine.
	dir = writeTree(t, map[string]string{
		"kustomization.yaml": "resources: [alerts.yaml]\ntransformers: [labels.yaml]\n",
		"alerts.yaml":        alertYAML,
		"labels.yaml":        "apiVersion: builtin\nkind: NamespaceTransformer\nmetadata:\n  name: ns\n  namespace: team-a\n",
	})
	cfg, err := Load([]string{dir}, Options{Root: dir})
	require.NoError(t, err)
	assert.Equal(t, "team-a", cfg.Alerts[0].Namespace)
}

// FuzzSubstituteStream checks that substitution never panics, that
// splitting a stream into documents loses nothing, and that a stream
// without "$" comes back unchanged.
func FuzzSubstituteStream(f *testing.F) {
	f.Add("a: ${A}\n---\nb: ${B:=x}\n", "v")
	f.Add("--- # c\r\nx: $${A}\n---\n", "")
	f.Add("v: ${A^^} ${#A} ${A/a/b} ${", "abc")
	f.Fuzz(func(t *testing.T, stream, value string) {
		var joined []byte
		for _, d := range splitDocuments([]byte(stream)) {
			joined = append(joined, d.sep...)
			joined = append(joined, d.text...)
		}
		if string(joined) != stream {
			t.Fatalf("split lost text: %q != %q", joined, stream)
		}
		out, _ := substituteStream([]byte(stream), map[string]string{"A": value})
		if !strings.Contains(stream, "$") && string(out) != stream {
			t.Fatalf("a stream without $ changed: %q", out)
		}
	})
}
