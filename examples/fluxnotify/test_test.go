package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const suitesDir = "testdata/suites"

// suiteGolden compares got with testdata/suites/golden/name, or rewrites
// it with -update.
func suiteGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(suitesDir, "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), got)
}

// TestTestCommand runs "fluxnotify test" on the example suites (which all
// pass), on suites that fail on purpose, and on suites that cannot run.
func TestTestCommand(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string // texts stderr must contain; none means empty
	}{
		{"pass", []string{suitesDir + "/alerts_test.yaml"}, exitOK, nil},
		{"pass-several", []string{suitesDir + "/alerts_test.yaml", suitesDir + "/flux_test.yaml"}, exitOK, nil},
		{"fail", []string{suitesDir + "/failing/failing_test.yaml"}, exitFailed, nil},
		{"fail-and-pass", []string{suitesDir + "/failing/failing_test.yaml", suitesDir + "/flux_test.yaml"}, exitFailed, nil},
		{"bad-keys", []string{suitesDir + "/broken/typos_test.yaml"}, exitBadArgs, []string{
			"typos_test.yaml cannot run:",
			`typos_test.yaml:11:5: tests[0].routs: unknown key "routs" (did you mean "routes"?)`,
			`typos_test.yaml:19:7: tests[2].event.severty: unknown key "severty" (did you mean "severity"?)`,
		}},
		{"bad-alerts", []string{suitesDir + "/broken/alerts_test.yaml"}, exitBadArgs, []string{
			"alerts_test.yaml:7: tests[0].routes[0].alert: no such alert in the manifests: flux-system/devops-error (did you mean flux-system/devops-errors?)",
		}},
		{"bad-manifests", []string{suitesDir + "/broken/manifests_test.yaml"}, exitBadArgs, []string{
			"manifests_test.yaml:2: manifests: the manifests have problems:",
			"bad-manifests/alerts.yaml:7:3: Alert flux-system/typo: spec.eventSeverty: unknown field",
		}},
		{"bad-wins-over-failed", []string{suitesDir + "/failing/failing_test.yaml", suitesDir + "/broken/alerts_test.yaml"}, exitBadArgs, []string{"alerts_test.yaml cannot run"}},
		{"missing-file", []string{suitesDir + "/nope_test.yaml"}, exitBadArgs, []string{"testdata/suites/nope_test.yaml: cannot read the suite: no such file or directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"test"}, tt.args...)...)
			assert.Equal(t, tt.code, code, stderr)
			suiteGolden(t, "test-"+tt.name+".txt", stdout)
			lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			assert.Regexp(t, `^\d+ passed, \d+ failed$`, lines[len(lines)-1], "the last line counts the tests")
			if tt.stderr == nil {
				assert.Empty(t, stderr)
			}
			for _, s := range tt.stderr {
				assert.Contains(t, stderr, s)
			}
		})
	}
}

func TestTestCommandJUnit(t *testing.T) {
	report := filepath.Join(t.TempDir(), "report.xml")
	// Flags may come after the suites too.
	code, stdout, stderr := runCLI(t, "test", suitesDir+"/failing/failing_test.yaml", suitesDir+"/broken/alerts_test.yaml", "--junit", report)
	assert.Equal(t, exitBadArgs, code, stderr)
	assert.True(t, strings.HasSuffix(stdout, "1 passed, 4 failed\n"), stdout)
	data, err := os.ReadFile(report)
	require.NoError(t, err)
	got := regexp.MustCompile(`time="[0-9.]+"`).ReplaceAllString(string(data), `time="0"`)
	suiteGolden(t, "test-junit.xml", got)
	assert.Contains(t, got, `<testsuites name="fluxnotify test" tests="6" failures="4" errors="1"`)

	code, _, stderr = runCLI(t, "test", "--junit", filepath.Join(t.TempDir(), "no", "such", "dir.xml"), suitesDir+"/alerts_test.yaml")
	assert.Equal(t, exitBadArgs, code)
	assert.Contains(t, stderr, "fluxnotify test: --junit: open ")
}

func TestTestCommandUsage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no suite", nil, exitBadArgs, "", "fluxnotify test: no suite: give at least one suite FILE"},
		{"unknown flag", []string{"--junt", "x"}, exitBadArgs, "", "flag provided but not defined: -junt"},
		{"after --, only suites", []string{"--", "-junit"}, exitBadArgs, "BAD   -junit", "-junit: cannot read the suite: no such file or directory"},
		{"help", []string{"--help"}, exitOK, "Usage:\n  fluxnotify test [--junit FILE] SUITE [SUITE ...]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"test"}, tt.args...)...)
			assert.Equal(t, tt.code, code)
			assert.Contains(t, stdout, tt.stdout)
			assert.Contains(t, stderr, tt.stderr)
		})
	}
	_, stdout, _ := runCLI(t, "help")
	assert.Contains(t, stdout, "\n  test     run alert test suites")
}
