package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
)

// hostileProviders is a Slack Provider whose webhook is %s, and its Secret.
const hostileProviders = `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: slack
  namespace: flux-system
spec:
  type: slack
  secretRef:
    name: slack-url
%s---
apiVersion: v1
kind: Secret
metadata:
  name: slack-url
  namespace: flux-system
stringData:
  address: %q
`

// hostileAlert is an Alert named %s, with eventSeverity %s, to channel %s,
// and any extra spec lines.
const hostileAlert = `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: %s
  namespace: flux-system
spec:
  eventSeverity: %s
  eventSources:
    - kind: Kustomization
      name: "*"
  providerRef:
    name: slack
  channel: "%s"
%s`

// errorEvent is an error event of Kustomization flux-system/name.
func errorEvent(name, message string) string {
	return fmt.Sprintf(`{"involvedObject": {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
  "name": %q, "namespace": "flux-system"}, "severity": "error", "timestamp": "2026-11-26T00:00:00Z",
  "message": %q, "reason": "HealthCheckFailed", "reportingController": "kustomize-controller"}`, name, message)
}

// TestServe_reloadKeepsLastGood is issue 11's "reload keeps what worked":
// on SIGHUP, an Alert or Provider whose new version does not load (an
// unknown field, an invalid value) or is not valid (a template with a
// crafted regexp, which hung reload in issue 11) keeps the version in use, as when the API server refuses a
// change, the log names each and why, and the other changes apply. While a
// file does not read at all, its objects are kept rather than deleted.
func TestServe_reloadKeepsLastGood(t *testing.T) {
	sink := slacktest.NewServer()
	defer sink.Close()
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	write("providers.yaml", fmt.Sprintf(hostileProviders, "", sink.WebhookURL()))
	write("alerts.yaml", fmt.Sprintf(hostileAlert, "errors", "error", "#errors", "")+"---\n"+
		fmt.Sprintf(hostileAlert, "infos", "info", "#infos", ""))

	s := startServe(t, &cli{}, "-f", dir, "--dedup-window", "0")
	channels := func(n int) []string {
		t.Helper()
		sink.Reset()
		require.Equal(t, http.StatusAccepted, s.post(t, errorEvent("app", "boom")))
		require.Eventually(t, func() bool { return sink.Len() >= n }, 10*time.Second, 5*time.Millisecond)
		var out []string
		for _, m := range sink.Messages() {
			out = append(out, m.Channel)
		}
		return out
	}
	reload := func() error {
		t.Helper()
		s.signals <- syscall.SIGHUP
		return <-s.reloaded
	}
	kept := func(err error) map[string]string {
		out := map[string]string{}
		for _, k := range fluxnotify.KeptObjects(err) {
			out[k.Object] = k.Err.Error()
		}
		return out
	}
	assert.ElementsMatch(t, []string{"#errors", "#infos"}, channels(2))

	// Every object changes; both Alerts are broken, the Provider gets issue
	// 11's crafted regexp (which hung reload), a new Alert is valid.
	crafted := "  template:\n    text: '{{ regexMatch \"" + strings.Repeat("(?:a?){1000}", 3) + "\" .Message }}'\n"
	write("providers.yaml", fmt.Sprintf(hostileProviders, crafted, sink.WebhookURL()))
	write("alerts.yaml", fmt.Sprintf(hostileAlert, "errors", "error", "#errors-new", "  eventSeverty: info\n")+"---\n"+
		fmt.Sprintf(hostileAlert, "infos", "critical", "#infos-new", "")+"---\n"+
		fmt.Sprintf(hostileAlert, "added", "error", "#added", ""))
	err := reload()
	require.Error(t, err)
	got := kept(err)
	assert.Len(t, got, 3, "%v", err)
	assert.Contains(t, got["Alert flux-system/errors"], "spec.eventSeverty: unknown field")
	assert.Contains(t, got["Alert flux-system/infos"], "spec.eventSeverity")
	assert.Contains(t, got["Provider flux-system/slack"], "spec.template.text: ")
	assert.Contains(t, got["Provider flux-system/slack"], "regular expression too large")
	log := s.stderr.String()
	for _, obj := range []string{"Alert flux-system/errors", "Alert flux-system/infos", "Provider flux-system/slack"} {
		assert.Contains(t, log, `msg="kept the last good version; the new one is refused" object="`+obj+`" reason=`)
	}
	assert.ElementsMatch(t, []string{"#errors", "#infos", "#added"}, channels(3), "the kept versions deliver, the new alert too")
	for _, m := range sink.Messages() {
		assert.Equal(t, "boom", m.Attachments[0].Text, "the Provider's last good version has no template")
	}

	// A file that does not read: its objects are kept, not deleted.
	write("alerts.yaml", "apiVersion: [\n")
	err = reload()
	got = kept(err)
	for _, obj := range []string{"Alert flux-system/errors", "Alert flux-system/infos", "Alert flux-system/added"} {
		assert.Contains(t, got[obj], "missing from the manifests read, while some of them could not be read", "%v", err)
	}
	assert.ElementsMatch(t, []string{"#errors", "#infos", "#added"}, channels(3))

	// Fixed: the new versions apply, and a deleted Alert is gone.
	write("providers.yaml", fmt.Sprintf(hostileProviders, "", sink.WebhookURL()))
	write("alerts.yaml", fmt.Sprintf(hostileAlert, "errors", "error", "#errors-new", "")+"---\n"+
		fmt.Sprintf(hostileAlert, "infos", "info", "#infos-new", ""))
	require.NoError(t, reload())
	assert.ElementsMatch(t, []string{"#errors-new", "#infos-new"}, channels(2))

	s.signals <- syscall.SIGTERM
	require.Equal(t, exitOK, <-s.done, s.stderr.String())
	assert.NotContains(t, s.stderr.String(), slacktest.WebhookPath, "the webhook URL is a secret")
}

// TestServe_shutdownLogsEveryAcceptedEvent reproduces issue 11's "serve
// --shutdown-timeout 2s, 300 accepted events, Slack never answers", where
// the process exited before writing a single per-event line: now serve
// returns only once each of the 300 events has its line (failed for the
// deliveries in flight, abandoned for the queued ones), naming the object,
// the alert, the provider and the outcome, and the log ends with
// "stopped".
func TestServe_shutdownLogsEveryAcceptedEvent(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // never answers while the test runs
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	var once sync.Once
	defer once.Do(func() { close(release) })

	dir := t.TempDir()
	secretURL := slow.URL + "/services/T0AAAAAAA/B0BBBBBBB/SECRETSECRETSECRET"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "providers.yaml"), []byte(fmt.Sprintf(hostileProviders, "", secretURL)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alerts.yaml"), []byte(fmt.Sprintf(hostileAlert, "errors", "error", "#errors", "")), 0o644))

	s := startServe(t, &cli{}, "-f", dir, "--shutdown-timeout", "2s")
	const events = 300
	for i := range events {
		require.Equal(t, http.StatusAccepted, s.post(t, errorEvent(fmt.Sprint("app-", i), fmt.Sprint("boom ", i))), "event %d", i)
	}
	s.signals <- syscall.SIGTERM
	assert.Equal(t, exitFailed, <-s.done, "deliveries did not finish in time")
	out := s.stderr.String()

	line := regexp.MustCompile(`(?m)^.* level=ERROR msg="(event abandoned at shutdown|event delivery failed)" alert=flux-system/errors provider=flux-system/slack type=slack channel=#errors object=Kustomization/flux-system/(app-\d+) .* error=.*$`)
	seen := map[string]int{}
	outcomes := map[string]int{}
	for _, m := range line.FindAllStringSubmatch(out, -1) {
		outcomes[m[1]]++
		seen[m[2]]++
	}
	t.Logf("outcomes: %v", outcomes)
	assert.Len(t, seen, events, "one line per accepted event")
	for obj, n := range seen {
		assert.Equal(t, 1, n, obj)
	}
	assert.Equal(t, events, outcomes["event abandoned at shutdown"]+outcomes["event delivery failed"])
	assert.Positive(t, outcomes["event abandoned at shutdown"], "queued events are abandoned")
	assert.LessOrEqual(t, outcomes["event delivery failed"], fluxnotify.DefaultConcurrency, "at most one delivery in flight per worker")
	assert.True(t, strings.HasSuffix(strings.TrimSpace(out), `msg=stopped`), "the last line is written last: %q", out[max(0, len(out)-300):])
	assert.NotContains(t, out, "SECRETSECRET", "the webhook URL is a secret")
}
