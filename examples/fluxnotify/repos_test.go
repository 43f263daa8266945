package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/examples/fluxnotify/gitops"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
)

// The home-ops fixture is written in the shapes of public GitOps
// repositories: a kustomize component (Alert and Provider, no namespace)
// used by two overlays that set the namespace, a patch that raises an
// Alert's severity, postBuild variables (in a channel, a summary, an
// address with a default), a SOPS-encrypted Secret, a ConfigMap that turns
// substitution off, a Grafana dashboard turned into a ConfigMap by a
// configMapGenerator, a Taskfile, and cluster-settings variables.
const (
	homeOps         = "testdata/repos/home-ops"
	fluxSystemDir   = homeOps + "/kubernetes/apps/flux-system/notifications"
	paymentsDir     = homeOps + "/kubernetes/apps/payments/notifications"
	stagingDir      = homeOps + "/clusters/staging/notifications"
	clusterSettings = homeOps + "/kubernetes/flux/vars/cluster-settings.yaml"
	builtStream     = "testdata/repos/built/flux-system-notifications.yaml"
)

// routeRow is the part of a route that the tests compare.
type routeRow struct {
	Alert, Provider, Type, Channel, Error string
}

// runWithStdin runs the program with stdin.
func runWithStdin(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &cli{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut}
	code = c.run(t.Context(), args)
	return code, out.String(), errOut.String()
}

func decodeRoutes(t *testing.T, stdout string) (routes []routeRow, unmatched map[string]string) {
	t.Helper()
	var out struct {
		Routes    []routeRow
		Unmatched []struct{ Alert, Reason string }
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
	unmatched = map[string]string{}
	for _, u := range out.Unmatched {
		unmatched[u.Alert] = u.Reason
	}
	return out.Routes, unmatched
}

func TestRoute_repositories(t *testing.T) {
	prod := []routeRow{
		{Alert: "flux-system/deployments", Provider: "flux-system/deployments", Type: "slack", Channel: "#deployments"},
		{Alert: "flux-system/flux-alerts", Provider: "flux-system/slack", Type: "slack", Channel: "#flux-prod"},
	}
	tests := []struct {
		name          string
		stdin         string
		args          []string
		wantRoutes    []routeRow
		wantUnmatched map[string]string
	}{
		{
			name:       "an overlay with a component, a patch and a variable",
			args:       []string{"-f", fluxSystemDir, "--substitute", "CLUSTER_NAME=prod", "--event", failedEvent},
			wantRoutes: prod,
		},
		{
			name:       "the same built stream on standard input",
			stdin:      readFile(t, builtStream),
			args:       []string{"-f", "-", "--substitute", "CLUSTER_NAME=prod", "--event", failedEvent},
			wantRoutes: prod,
		},
		{
			name:       "the path of the kustomization file",
			args:       []string{"-f", fluxSystemDir + "/kustomization.yaml", "--substitute", "CLUSTER_NAME=prod", "--event", failedEvent},
			wantRoutes: prod,
		},
		{
			name: "variables from the cluster-settings ConfigMap, overridden by --substitute",
			args: []string{"-f", fluxSystemDir, "--substitute-from", clusterSettings, "--event", failedEvent},
			wantRoutes: []routeRow{
				{Alert: "flux-system/deployments", Provider: "flux-system/deployments", Type: "slack", Channel: "#deployments"},
				{Alert: "flux-system/flux-alerts", Provider: "flux-system/slack", Type: "slack", Channel: "#flux-home"},
			},
		},
		{
			name:       "--substitute wins over --substitute-from",
			args:       []string{"-f", fluxSystemDir, "--substitute-from", clusterSettings, "--substitute", "CLUSTER_NAME=prod", "--event", failedEvent},
			wantRoutes: prod,
		},
		{
			name:       "the patch raised the component's severity to error",
			args:       []string{"-f", fluxSystemDir, "--event", successEvent},
			wantRoutes: []routeRow{},
			wantUnmatched: map[string]string{
				"flux-system/deployments": "severity info is below error",
				"flux-system/flux-alerts": "severity info is below error",
			},
		},
		{
			name: "the component in another namespace, an unset variable as written",
			args: []string{"-f", paymentsDir, "--event", helmEvent},
			wantRoutes: []routeRow{
				{Alert: "payments-prod/flux-alerts", Provider: "payments-prod/slack", Type: "slack", Channel: "#flux-${CLUSTER_NAME}"},
			},
		},
		{
			name:       "two overlays at once",
			args:       []string{"-f", fluxSystemDir, "-f", paymentsDir, "--substitute", "CLUSTER_NAME=prod", "--event", failedEvent},
			wantRoutes: prod,
			wantUnmatched: map[string]string{
				"payments-prod/flux-alerts": "no event source matches: source Kustomization/*: namespace flux-system is not payments-prod",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runWithStdin(t, tt.stdin, append([]string{"route"}, tt.args...)...)
			require.Equal(t, exitOK, code, stderr)
			routes, unmatched := decodeRoutes(t, stdout)
			assert.Equal(t, tt.wantRoutes, routes)
			for alert, reason := range tt.wantUnmatched {
				assert.Contains(t, unmatched, alert)
				if !strings.HasPrefix(reason, "no event source") {
					assert.Equal(t, reason, unmatched[alert], alert)
				}
			}
		})
	}
}

// TestRoute_plainFolder reads a folder without kustomization: a Taskfile and
// a Grafana dashboard lie beside the manifests.
func TestRoute_plainFolder(t *testing.T) {
	code, stdout, stderr := runCLI(t, "route", "-f", stagingDir, "--substitute", "SLACK_ADDRESS=https://hooks.slack.com/services/T/B/X", "--event", failedEvent, "-v")
	require.Equal(t, exitOK, code, stderr)
	routes, _ := decodeRoutes(t, stdout)
	assert.Equal(t, []routeRow{{Alert: "flux-system/staging-errors", Provider: "flux-system/staging-slack", Type: "slack", Channel: "#staging-staging"}}, routes)
	assert.Contains(t, stderr, "skipped "+stagingDir+"/Taskfile.yml")
	assert.Contains(t, stderr, "skipped "+stagingDir+"/grafana/flux-cluster.json")

	t.Run("an address left unset stays as written", func(t *testing.T) {
		// Flux does not check a Provider's address when it loads it, and
		// route does not deliver.
		code, stdout, stderr := runCLI(t, "route", "-f", stagingDir, "--event", failedEvent)
		require.Equal(t, exitOK, code, stderr)
		routes, _ := decodeRoutes(t, stdout)
		assert.Len(t, routes, 1)
		cfg, err := gitops.Load([]string{stagingDir}, gitops.Options{})
		require.NoError(t, err)
		assert.Equal(t, "${SLACK_ADDRESS}", cfg.Providers[0].Spec.Address)
	})

	t.Run("a timeout left unset", func(t *testing.T) {
		dir := t.TempDir()
		alerts := strings.Replace(readFile(t, stagingDir+"/alerts.yaml"), "  address: ${SLACK_ADDRESS}\n", "  timeout: ${SLACK_TIMEOUT}\n", 1)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "alerts.yaml"), []byte(alerts), 0o644))
		code, _, stderr := runCLI(t, "route", "-f", dir, "--event", failedEvent)
		assert.Equal(t, exitBadArgs, code)
		assert.Contains(t, stderr, filepath.Join(dir, "alerts.yaml")+":10:3: Provider flux-system/staging-slack: spec.timeout: ")
		assert.Contains(t, stderr, "${SLACK_TIMEOUT}, which no substitution variable sets")
	})
}

func TestRoute_expectByName(t *testing.T) {
	both := []string{"route", "-f", fluxSystemDir, "-f", paymentsDir, "--event", failedEvent}
	tests := []struct {
		name     string
		expect   string
		wantCode int
		want     string
	}{
		{"a unique name", "deployments,flux-system/flux-alerts", exitOK, ""},
		{"a name two alerts have", "flux-alerts", exitBadArgs, "--expect flux-alerts: 2 alerts have that name, give namespace/name: flux-system/flux-alerts, payments-prod/flux-alerts"},
		{"a name no alert has", "deployments,flux-system/flux-alerts,nope", exitFailed, "nope: no such alert in the manifests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append(both, "--expect", tt.expect)...)
			assert.Equal(t, tt.wantCode, code, stderr)
			assert.Contains(t, stderr, tt.want)
		})
	}
}

func TestRoute_expectDelivery(t *testing.T) {
	dir := t.TempDir()
	writeManifests(t, dir, "https://hooks.slack.com/services/T/B/X", "#gitops-updates")
	suspended := strings.Replace(readFile(t, filepath.Join(dir, "slack-example.yaml")), "  type: slack\n", "  type: slack\n  suspend: true\n", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "slack-example.yaml"), []byte(suspended), 0o644))

	code, stdout, stderr := runCLI(t, "route", "-f", dir, "--event", failedEvent, "--expect", "flux-system/flux-alerts,flux-system/gitops-updates")
	assert.Equal(t, exitFailed, code, stderr)
	assert.Contains(t, stderr, "matched, but would not deliver: flux-system/flux-alerts: ")
	assert.Contains(t, stderr, "suspended")
	routes, _ := decodeRoutes(t, stdout)
	require.Len(t, routes, 2, "the routes are printed either way")
}

func TestBadInput_repositories(t *testing.T) {
	onlyProvider := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(onlyProvider, "p.yaml"), []byte("apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: p, namespace: flux-system}\nspec: {type: slack}\n"), 0o644))
	remote := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(remote, "kustomization.yaml"), []byte("resources:\n- https://github.com/org/fleet//notifications?ref=main\n"), 0o644))
	badVars := filepath.Join(t.TempDir(), "vars.env")
	require.NoError(t, os.WriteFile(badVars, []byte("CLUSTER_NAME=prod\nnot a variable\n"), 0o644))

	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"no Alert", "", []string{"route", "-f", onlyProvider, "--event", failedEvent}, "no Alert in " + onlyProvider},
		{"no Alert on stdin", "", []string{"route", "-f", "-", "--event", failedEvent}, "no Alert in standard input"},
		{"no Alert for send", "", []string{"send", "-f", onlyProvider, "--event", failedEvent}, "no Alert in"},
		{"no Alert for serve", "", []string{"serve", "-f", onlyProvider}, "no Alert in"},
		{"stdin twice", readFile(t, failedEvent), []string{"route", "-f", "-", "--event", "-"}, "-f - and --event - both read standard input"},
		{"stdin for serve", "", []string{"serve", "-f", "-"}, "cannot read standard input again"},
		{"a remote base", "", []string{"route", "-f", remote, "--event", failedEvent}, "remote bases are not fetched"},
		{"a bad variable name", "", []string{"route", "-f", fluxSystemDir, "--substitute", "CLUSTER-NAME=prod", "--event", failedEvent}, `variable "CLUSTER-NAME": invalid variable name`},
		{"a bad --substitute", "", []string{"route", "-f", fluxSystemDir, "--substitute", "CLUSTER_NAME", "--event", failedEvent}, "want KEY=VALUE"},
		{"a bad variables file", "", []string{"route", "-f", fluxSystemDir, "--substitute-from", badVars, "--event", failedEvent}, "line 2: want KEY=VALUE"},
		{"an encrypted variables file", "", []string{"route", "-f", fluxSystemDir, "--substitute-from", fluxSystemDir + "/secret.sops.yaml", "--event", failedEvent}, "SOPS-encrypted"},
		{"a flag of another command", "", []string{"route", "-f", fluxSystemDir, "--event", failedEvent, "--cluster", "prod"}, "flag provided but not defined: -cluster"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runWithStdin(t, tt.stdin, tt.args...)
			assert.Equal(t, exitBadArgs, code, stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.want)
		})
	}
}

func TestSubstituteFrom(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"vars.env": "# cluster variables\nexport CLUSTER_NAME=envfile\n\nOTHER=a=b\n",
		"secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  CLUSTER_NAME: " +
			"c2VjcmV0\n", // "secret"
		"string-secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  CLUSTER_NAME: plain\n",
	}
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	for file, want := range map[string]string{"vars.env": "#flux-envfile", "secret.yaml": "#flux-secret", "string-secret.yaml": "#flux-plain"} {
		t.Run(file, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "route", "-f", fluxSystemDir, "--substitute-from", filepath.Join(dir, file), "--event", failedEvent)
			require.Equal(t, exitOK, code, stderr)
			routes, _ := decodeRoutes(t, stdout)
			require.Len(t, routes, 2)
			assert.Equal(t, want, routes[1].Channel)
		})
	}
}

func TestSend_repositories(t *testing.T) {
	sink := slacktest.NewServer()
	defer sink.Close()

	t.Run("a variable in an address, a SOPS Secret replaced by --secret", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "send", "-f", fluxSystemDir, "--event", failedEvent, "--retries", "0",
			"--substitute", "CLUSTER_NAME=prod", "--substitute", "DEPLOYMENTS_WEBHOOK="+sink.WebhookURL(),
			"--secret", "flux-system/slack-webhook="+sink.WebhookURL())
		require.Equal(t, exitOK, code, stdout+stderr)
		require.Equal(t, 2, sink.Len())
		var channels []string
		for _, m := range sink.Messages() {
			channels = append(channels, m.Channel)
		}
		assert.ElementsMatch(t, []string{"#deployments", "#flux-prod"}, channels)
		assert.NotContains(t, stdout+stderr, sink.WebhookURL(), "the webhook URL is a secret")
	})

	t.Run("a SOPS Secret", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "send", "-f", fluxSystemDir, "--event", failedEvent, "--retries", "0",
			"--substitute", "DEPLOYMENTS_WEBHOOK="+sink.WebhookURL(), "-o", "text")
		assert.Equal(t, exitFailed, code, stderr)
		assert.Contains(t, stdout, "Secret flux-system/slack-webhook is SOPS-encrypted: decrypt it or pass --secret flux-system/slack-webhook=URL")
	})
}

func TestRender_text(t *testing.T) {
	code, stdout, stderr := runCLI(t, "render", "-f", manifests, "--event", failedEvent, "-o", "text", "--cluster", "prod-eu")
	require.Equal(t, exitOK, code, stderr)
	golden(t, "render-health-check-failed.txt", stdout)
	assert.Contains(t, stdout, "flux-system/flux-alerts -> flux-system/slack (webhook default channel)")
	assert.Contains(t, stdout, "Health check failed after 2m0s")
	assert.NotContains(t, stdout, "danger", "colours are not text")
}

// TestVerbose lists what loading left out: here a FIFO among the
// manifests, which must not block the run either.
func TestVerbose(t *testing.T) {
	dir := t.TempDir()
	writeManifests(t, dir, "https://hooks.slack.com/services/T/B/X", "#gitops-updates")
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644))
	code, _, stderr := runCLI(t, "route", "-f", dir, "--event", failedEvent, "-v")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "skipped "+filepath.Join(dir, "pipe.yaml"))
	assert.Contains(t, stderr, "loaded 3 alert(s), 1 provider(s), 1 secret(s)")

	code, _, stderr = runCLI(t, "route", "-f", dir, "--event", failedEvent)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "skipped", "without -v nothing is listed")
}

func TestServe_logsDiscardedEvents(t *testing.T) {
	s := startServe(t, &cli{}, "-f", manifests)
	assert.Equal(t, 202, s.post(t, readFile(t, helmEvent)), "an event that matches no alert is accepted, as Flux does")
	// The event is routed in the background: wait for the line.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(s.stderr.String(), "discarding event") && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	s.signals <- syscall.SIGINT
	require.Equal(t, exitOK, <-s.done, s.stderr.String())
	log := s.stderr.String()
	assert.Contains(t, log, `level=INFO msg="discarding event, no alerts found for the involved object"`)
	assert.Contains(t, log, "HelmRelease/payments-prod/checkout")
	assert.NotContains(t, log, "level=DEBUG")
}

// TestSecretGetter checks the answer for a Secret that loading skipped as
// SOPS-encrypted, through a real delivery, and that --secret stands for it.
func TestSecretGetter(t *testing.T) {
	sink := slacktest.NewServer()
	defer sink.Close()
	cfg, err := gitops.Load([]string{fluxSystemDir}, gitops.Options{Substitute: map[string]string{"DEPLOYMENTS_WEBHOOK": sink.WebhookURL()}})
	require.NoError(t, err)
	var sops []string
	for _, s := range cfg.Skipped {
		if strings.Contains(s.Reason, "SOPS") {
			sops = append(sops, s.String())
		}
	}
	require.Len(t, sops, 1, "the SOPS Secret is listed as skipped, by its own file")
	assert.True(t, strings.HasPrefix(sops[0], fluxSystemDir+"/secret.sops.yaml (kustomize build of "+fluxSystemDir+"):1: Secret flux-system/slack-webhook: SOPS-encrypted"), sops[0])
	d, err := fluxnotify.New(cfg, fluxnotify.WithSecrets(secretGetter(cfg, secretsFlag{})), fluxnotify.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	defer d.Close()
	e, err := event.Decode(strings.NewReader(readFile(t, failedEvent)))
	require.NoError(t, err)
	results, _ := d.Dispatch(t.Context(), e)
	var found bool
	for _, r := range results {
		if r.Alert == "flux-system/flux-alerts" {
			found = true
			require.Error(t, r.Err)
			assert.Contains(t, r.Err.Error(), "Secret flux-system/slack-webhook is SOPS-encrypted: decrypt it or pass --secret flux-system/slack-webhook=URL")
			assert.ErrorIs(t, r.Err, provider.ErrSecretNotFound)
		}
	}
	assert.True(t, found)

	s, err := secretGetter(cfg, secretsFlag{"flux-system/slack-webhook": "https://hooks.slack.com/services/T/B/X"}).GetSecret(t.Context(), "flux-system", "slack-webhook")
	require.NoError(t, err)
	assert.Equal(t, "https://hooks.slack.com/services/T/B/X", string(s.Data["address"]))
	_, err = secretGetter(cfg, nil).GetSecret(t.Context(), "flux-system", "other")
	assert.ErrorIs(t, err, provider.ErrSecretNotFound)
	assert.NotContains(t, err.Error(), "SOPS")
}
