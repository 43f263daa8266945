package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/fluxnotify/fluxnotify/slack/slacktest"
	"github.com/fluxnotify/fluxnotify/state/redisstate/redistest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func TestMain(m *testing.M) {
	before, err := sourceFiles()
	if err != nil {
		fmt.Fprintln(os.Stderr, "listing the source tree:", err)
		os.Exit(1)
	}
	code := m.Run()
	redistest.Stop() // the redis-server of the --state tests, if started
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	if code == 0 && !*update {
		// A test writes its files under t.TempDir(), never here: a stray
		// report once got committed this way.
		if added, err := addedFiles(before); err != nil || len(added) > 0 {
			fmt.Fprintf(os.Stderr, "the tests wrote into the source tree (write under t.TempDir()): %q %v\n", added, err)
			code = 1
		}
	}
	os.Exit(code)
}

// sourceFiles lists the files under the package's folder.
func sourceFiles() (map[string]bool, error) {
	files := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files[path] = true
		}
		return err
	})
	return files, err
}

// addedFiles lists the files under the package's folder that are not in
// before.
func addedFiles(before map[string]bool) ([]string, error) {
	after, err := sourceFiles()
	var added []string
	for f := range after {
		if !before[f] {
			added = append(added, f)
		}
	}
	slices.Sort(added)
	return added, err
}

const (
	manifests    = "testdata/manifests"
	failedEvent  = "testdata/events/health-check-failed.json"
	successEvent = "testdata/events/reconciliation-succeeded.json"
	helmEvent    = "testdata/events/helmrelease-upgrade-failed.json"
)

// exampleWarnings is what a run over slack-example.yaml prints on standard
// error without -v: its Provider and Alert are of API version v1beta1,
// which current Flux no longer serves.
const exampleWarnings = "fluxnotify: 2 warning(s) about the manifests (run with -v to list them)\n"

// runCLI runs the program in-process and returns its exit status and
// output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// golden compares got with testdata/golden/name, or rewrites it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), got)
}

func TestRoute(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"health-check-failed.json", []string{"-f", manifests, "--event", failedEvent}},
		{"reconciliation-succeeded.json", []string{"-f", manifests, "--event", successEvent}},
		{"reconciliation-succeeded.txt", []string{"-f", manifests, "--event", successEvent, "-o", "text"}},
		{"helmrelease-without-labels.json", []string{"-f", manifests, "--event", helmEvent}},
		{"helmrelease-with-labels.json", []string{"-f", manifests, "--event", helmEvent, "--labels", "team=payments,tier=backend"}},
		{"helmrelease-flux-mode.json", []string{"-f", manifests + "/slack-example.yaml", "--event", helmEvent, "--labels", "team=payments", "--mode", "flux"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"route"}, tt.args...)...)
			require.Equal(t, exitOK, code, stderr)
			assert.Equal(t, exampleWarnings, stderr, "the v1beta1 objects of slack-example.yaml load with a warning each")
			golden(t, "route-"+tt.name, stdout)
		})
	}

	t.Run("the JSON has the documented shape", func(t *testing.T) {
		_, stdout, _ := runCLI(t, "route", "-f", manifests, "--event", successEvent)
		var out struct {
			Routes []struct {
				Alert, Provider, Type, Channel string
			} `json:"routes"`
			Unmatched []struct{ Alert, Reason string } `json:"unmatched"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &out))
		require.Len(t, out.Routes, 1)
		assert.Equal(t, "flux-system/gitops-updates", out.Routes[0].Alert)
		assert.Equal(t, "#gitops-updates", out.Routes[0].Channel)
		require.NotEmpty(t, out.Unmatched)
		assert.Equal(t, "flux-system/flux-alerts", out.Unmatched[0].Alert)
		assert.Equal(t, "severity info is below error", out.Unmatched[0].Reason)
	})
}

func TestRoute_expect(t *testing.T) {
	tests := []struct {
		name       string
		event      string
		expect     string
		wantCode   int
		wantStderr []string
	}{
		{"as expected", failedEvent, "flux-system/gitops-updates,flux-system/flux-alerts", exitOK, nil},
		{"repeated flag", failedEvent, "flux-system/flux-alerts", exitFailed, []string{"matched, not expected: flux-system/gitops-updates"}},
		{"missing one", successEvent, "flux-system/flux-alerts,flux-system/gitops-updates", exitFailed, []string{
			"expected, not matched: flux-system/flux-alerts",
			"flux-system/flux-alerts: severity info is below error",
		}},
		{"unknown alert", successEvent, "flux-system/gitops-updates,flux-system/nope", exitFailed, []string{
			"flux-system/nope: no such alert in the manifests",
		}},
		{"none expected, none matched", helmEvent, "", exitOK, nil},
		{"none expected, some matched", failedEvent, "", exitFailed, []string{
			"matched, not expected: flux-system/flux-alerts, flux-system/gitops-updates",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "route", "-f", manifests, "--event", tt.event, "--expect", tt.expect)
			assert.Equal(t, tt.wantCode, code, stderr)
			assert.True(t, json.Valid([]byte(stdout)), "the routes are printed either way")
			for _, w := range tt.wantStderr {
				assert.Contains(t, stderr, w)
			}
		})
	}
}

func TestRender(t *testing.T) {
	code, stdout, stderr := runCLI(t, "render", "-f", manifests, "--event", failedEvent, "--cluster", "prod-eu")
	require.Equal(t, exitOK, code, stderr)
	golden(t, "render-health-check-failed.json", stdout)

	var out struct {
		Messages []struct {
			Alert, Provider, Channel string
			Payload                  json.RawMessage
		} `json:"messages"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	require.Len(t, out.Messages, 2)
	assert.Equal(t, "flux-system/flux-alerts", out.Messages[0].Alert)
	var payload struct {
		Username    string `json:"username"`
		Attachments []struct {
			Color, Text string
		} `json:"attachments"`
	}
	require.NoError(t, json.Unmarshal(out.Messages[0].Payload, &payload))
	assert.Equal(t, "kustomize-controller", payload.Username)
	require.Len(t, payload.Attachments, 1)
	assert.Equal(t, "danger", payload.Attachments[0].Color)
	assert.Contains(t, payload.Attachments[0].Text, "Health check failed after 2m0s")
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"no command", nil, exitBadArgs, "Usage:"},
		{"unknown command", []string{"routes"}, exitBadArgs, `unknown command "routes"`},
		{"no manifests", []string{"route", "--event", failedEvent}, exitBadArgs, "no manifests: give at least one -f PATH"},
		{"no event", []string{"route", "-f", manifests}, exitBadArgs, "no event: give --event FILE"},
		{"unknown flag", []string{"route", "--evnt", failedEvent}, exitBadArgs, "flag provided but not defined: -evnt"},
		{"stray argument", []string{"route", "-f", manifests, "--event", failedEvent, "extra.yaml"}, exitBadArgs, `unexpected argument "extra.yaml"`},
		{"bad mode", []string{"route", "-f", manifests, "--event", failedEvent, "--mode", "strict"}, exitBadArgs, `--mode: unknown mode "strict"`},
		{"bad output", []string{"route", "-f", manifests, "--event", failedEvent, "-o", "yaml"}, exitBadArgs, `-o "yaml": want json or text`},
		{"bad labels", []string{"route", "-f", manifests, "--event", failedEvent, "--labels", "team"}, exitBadArgs, `invalid value "team" for flag -labels: "team": want key=value`},
		{"missing event file", []string{"route", "-f", manifests, "--event", "testdata/nope.json"}, exitBadArgs, "--event: open testdata/nope.json: no such file or directory"},
		{"event not JSON", []string{"route", "-f", manifests, "--event", "testdata/bad/event-not-json.json"}, exitBadArgs, "invalid event"},
		{"event without fields", []string{"render", "-f", manifests, "--event", "testdata/bad/event-missing-fields.json"}, exitBadArgs,
			"involvedObject.name: required; message: required"},
		{"missing manifests", []string{"route", "-f", "testdata/nope", "--event", failedEvent}, exitBadArgs, "testdata/nope"},
		{"manifest typo", []string{"route", "-f", manifests, "-f", "testdata/bad/typo.yaml", "--event", failedEvent}, exitBadArgs,
			`Alert flux-system/typo: spec.eventSeverty: unknown field`},
		{"flux mode refuses a severity list", []string{"route", "-f", manifests, "--event", helmEvent, "--mode", "flux"}, exitBadArgs,
			"alert flux-system/payments: spec.eventSeverity: Invalid value: \"[error, warn]\": a list of severities is not a Flux feature"},
		{"send without manifests", []string{"send", "--event", failedEvent}, exitBadArgs, "no manifests"},
		{"serve with a bad address", []string{"serve", "-f", manifests, "--addr", "256.0.0.1:http"}, exitBadArgs, "--addr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			assert.Equal(t, tt.wantCode, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.want)
		})
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"route", "render", "send", "serve"} {
		t.Run(cmd, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, cmd, "--help")
			assert.Equal(t, exitOK, code)
			assert.Empty(t, stderr)
			assert.Contains(t, stdout, "Usage:\n  fluxnotify "+cmd)
			assert.Contains(t, stdout, "Examples:\n  fluxnotify "+cmd)
			assert.Contains(t, stdout, "-f path")
		})
	}
	code, stdout, _ := runCLI(t, "help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "Commands:")
}

// writeManifests writes the test manifests to a temporary folder, with the
// example's webhook URL replaced by url and the alert channel by channel.
func writeManifests(t *testing.T, dir, url, channel string) {
	t.Helper()
	for _, name := range []string{"slack-example.yaml", "teams.yaml"} {
		data, err := os.ReadFile(filepath.Join(manifests, name))
		require.NoError(t, err)
		s := strings.ReplaceAll(string(data), "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", url)
		s = strings.ReplaceAll(s, `"#gitops-updates"`, `"`+channel+`"`)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644))
	}
}

func TestSend(t *testing.T) {
	sink := slacktest.NewServer()
	defer sink.Close()
	dir := t.TempDir()
	writeManifests(t, dir, sink.WebhookURL(), "#gitops-updates")

	code, stdout, stderr := runCLI(t, "send", "-f", dir, "--event", failedEvent)
	require.Equal(t, exitOK, code, stderr)
	var out struct {
		Results []struct {
			Alert, Channel string
			Delivered      bool
			Attempts       int
			Error          string
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
	require.Len(t, out.Results, 2)
	for _, r := range out.Results {
		assert.True(t, r.Delivered, r.Error)
		assert.Equal(t, 1, r.Attempts)
	}
	require.Equal(t, 2, sink.Len())
	channels := []string{sink.Messages()[0].Channel, sink.Messages()[1].Channel}
	assert.ElementsMatch(t, []string{"", "#gitops-updates"}, channels)

	t.Run("failure", func(t *testing.T) {
		sink.Reset()
		sink.RespondFunc(func(slacktest.Request) slacktest.Answer {
			return slacktest.Error(http.StatusNotFound, "channel_not_found")
		})
		defer sink.RespondFunc(nil)
		code, stdout, stderr := runCLI(t, "send", "-f", dir, "--event", failedEvent, "-o", "text")
		assert.Equal(t, exitFailed, code, stderr)
		assert.Contains(t, stdout, "status 404: channel_not_found")
		assert.NotContains(t, stdout+stderr, slacktest.WebhookPath, "the webhook URL is a secret")
	})

	t.Run("matches nothing", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "send", "-f", dir, "--event", helmEvent)
		assert.Equal(t, exitOK, code)
		assert.JSONEq(t, `{"results": []}`, stdout)
		assert.Contains(t, stderr, "matches no alert")
	})
}

// serving runs "serve" in the background and follows it through its hooks.
type serving struct {
	addr     string
	signals  chan os.Signal
	reloaded chan error
	done     chan int
	stderr   *syncBuffer
}

func startServe(t *testing.T, c *cli, args ...string) *serving {
	t.Helper()
	s := &serving{signals: make(chan os.Signal, 1), reloaded: make(chan error, 1), done: make(chan int, 1), stderr: &syncBuffer{}}
	ready := make(chan string, 1)
	c.stdout, c.stderr = io.Discard, s.stderr
	c.serveHooks.signals = s.signals
	c.serveHooks.ready = func(addr string) { ready <- addr }
	c.serveHooks.reloaded = func(err error) { s.reloaded <- err }
	go func() {
		s.done <- c.run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
	}()
	select {
	case s.addr = <-ready:
	case code := <-s.done:
		t.Fatalf("serve exited with %d: %s", code, s.stderr)
	}
	return s
}

func (s *serving) post(t *testing.T, body string) int {
	t.Helper()
	resp, err := http.Post("http://"+s.addr+"/", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

func TestServe(t *testing.T) {
	sink := slacktest.NewServer()
	defer sink.Close()
	dir := t.TempDir()
	writeManifests(t, dir, sink.WebhookURL(), "#gitops-updates")

	// Deliveries wait until the test lets them go, so that shutdown finds
	// one in flight.
	release := make(chan struct{})
	var releaseOnce sync.Once
	sink.RespondFunc(func(slacktest.Request) slacktest.Answer {
		<-release
		return slacktest.Answer{}
	})
	defer releaseOnce.Do(func() { close(release) })

	c := &cli{}
	s := startServe(t, c, "-f", dir)
	c.serveHooks.stopping = func() { releaseOnce.Do(func() { close(release) }) }

	resp, err := http.Get("http://" + s.addr + "/healthz")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	failed := readFile(t, failedEvent)
	assert.Equal(t, http.StatusAccepted, s.post(t, failed))
	assert.Equal(t, http.StatusTooManyRequests, s.post(t, failed), "duplicate within the window")
	assert.Equal(t, http.StatusBadRequest, s.post(t, `{"involvedObject": `))
	assert.Equal(t, http.StatusBadRequest, s.post(t, readFile(t, "testdata/bad/event-missing-fields.json")))
	assert.Equal(t, http.StatusRequestEntityTooLarge, s.post(t, `{"message":"`+strings.Repeat("x", 3<<20)+`"}`))
	req, err := http.NewRequest(http.MethodPut, "http://"+s.addr+"/", strings.NewReader(failed))
	require.NoError(t, err)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	// GET /metrics: Prometheus metrics of what the endpoint received.
	resp, err = http.Get("http://" + s.addr + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	for _, want := range []string{
		`fluxnotify_events_received_total{outcome="duplicate"} 1`,
		`fluxnotify_events_received_total{outcome="invalid"} 3`,
		`fluxnotify_queue_events 1`, // the first event waits for Slack
		"go_goroutines",
	} {
		assert.Contains(t, string(body), want)
	}

	// SIGHUP reloads the manifests: info events now go to #deployments.
	writeManifests(t, dir, sink.WebhookURL(), "#deployments")
	s.signals <- syscall.SIGHUP
	require.NoError(t, <-s.reloaded)
	assert.Equal(t, http.StatusAccepted, s.post(t, readFile(t, successEvent)))

	// SIGTERM: the endpoint stops, and the deliveries accepted above finish.
	s.signals <- syscall.SIGTERM
	require.Equal(t, exitOK, <-s.done, s.stderr.String())

	var channels []string
	for _, m := range sink.Messages() {
		channels = append(channels, m.Channel)
	}
	assert.ElementsMatch(t, []string{"", "#gitops-updates", "#deployments"}, channels,
		"the failure went to both alerts, the success after the reload to the new channel")
	assert.Contains(t, s.stderr.String(), "reloaded")
	assert.NotContains(t, s.stderr.String(), slacktest.WebhookPath, "the webhook URL is a secret")
}

func TestServe_keepsValidAlerts(t *testing.T) {
	sink := slacktest.NewServer()
	defer sink.Close()
	dir := t.TempDir()
	writeManifests(t, dir, sink.WebhookURL(), "#gitops-updates")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "typo.yaml"), []byte(readFile(t, "testdata/bad/typo.yaml")), 0o644))

	s := startServe(t, &cli{}, "-f", dir, "--dedup-window", "0")
	assert.Contains(t, s.stderr.String(), "spec.eventSeverty: unknown field")
	assert.Equal(t, http.StatusAccepted, s.post(t, readFile(t, failedEvent)))
	assert.Equal(t, http.StatusAccepted, s.post(t, readFile(t, failedEvent)), "deduplication is off")

	// A reload that finds nothing keeps the configuration in use.
	require.NoError(t, os.RemoveAll(dir))
	s.signals <- syscall.SIGHUP
	assert.Error(t, <-s.reloaded)
	assert.Equal(t, http.StatusAccepted, s.post(t, readFile(t, successEvent)))

	s.signals <- syscall.SIGINT
	require.Equal(t, exitOK, <-s.done, s.stderr.String())
	assert.Equal(t, 5, sink.Len(), "two alerts for each failure, one for the success")
}

func TestRoute_eventOnStdin(t *testing.T) {
	var out, errOut bytes.Buffer
	c := &cli{stdin: strings.NewReader(readFile(t, successEvent)), stdout: &out, stderr: &errOut}
	code := c.run(t.Context(), []string{"route", "-f", manifests, "--event", "-", "-o", "text"})
	require.Equal(t, exitOK, code, errOut.String())
	golden(t, "route-reconciliation-succeeded.txt", out.String())
}

// TestRoute_fluxModeAcceptsAnySeverity: Flux's event server accepts an
// event of any severity and routes it to info alerts; so does --mode flux,
// while extended mode refuses it as bad input.
func TestRoute_fluxModeAcceptsAnySeverity(t *testing.T) {
	const odd = "testdata/bad/event-unknown-severity.json"
	code, _, stderr := runCLI(t, "route", "-f", manifests+"/slack-example.yaml", "-f", manifests+"/teams.yaml", "--event", odd)
	assert.Equal(t, exitBadArgs, code)
	assert.Contains(t, stderr, `severity: unknown value "Critical"`)

	code, stdout, stderr := runCLI(t, "route", "-f", manifests+"/slack-example.yaml", "--event", odd, "--mode", "flux")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"reason": "severity \"Critical\", want error (compared exactly, as Flux does)"`)
}
