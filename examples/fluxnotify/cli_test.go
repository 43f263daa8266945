package main

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/slack/slacktest"
)

func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "version", "-version"} {
		code, stdout, stderr := runCLI(t, arg)
		assert.Equal(t, exitOK, code, stderr)
		assert.Regexp(t, `^fluxnotify \S+.* go1\.\d+`, stdout)
	}
}

func TestDidYouMean(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"rout"}, `unknown command "rout" (did you mean route?)`},
		{[]string{"sned"}, `unknown command "sned" (did you mean send?)`},
		{[]string{"serv"}, `(did you mean serve?)`},
		{[]string{"route", "--evnet", failedEvent}, "flag provided but not defined: -evnet (did you mean --event?)"},
		{[]string{"route", "-f", manifests, "--substitue", "A=b"}, "(did you mean --substitute?)"},
		{[]string{"render", "--clustr", "x"}, "(did you mean --cluster?)"},
		{[]string{"send", "--secrets", "x"}, "(did you mean --secret?)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			assert.Equal(t, exitBadArgs, code)
			assert.Contains(t, stderr, tt.want)
		})
	}
	code, _, stderr := runCLI(t, "frobnicate")
	assert.Equal(t, exitBadArgs, code)
	assert.NotContains(t, stderr, "did you mean", "no suggestion when nothing is close")
}

// TestHelp_flags checks that each command's help lists the flags it uses
// and only those.
func TestHelp_flags(t *testing.T) {
	all := []string{"f", "substitute", "substitute-from", "v", "mode", "no-cross-namespace-refs", "event", "labels",
		"expect", "o", "cluster", "repository-url", "dashboard-url", "retries", "secret", "addr", "dedup-window", "state", "shutdown-timeout"}
	common := []string{"f", "substitute", "substitute-from", "v", "mode", "no-cross-namespace-refs"}
	message := []string{"cluster", "repository-url", "dashboard-url"}
	want := map[string][]string{
		"route":  append(slices.Clone(common), "event", "labels", "expect", "o"),
		"render": append(append(slices.Clone(common), message...), "event", "labels", "o"),
		"send":   append(append(slices.Clone(common), message...), "event", "labels", "o", "retries", "secret"),
		"serve":  append(append(slices.Clone(common), message...), "addr", "dedup-window", "state", "shutdown-timeout"),
	}
	flagLine := regexp.MustCompile(`(?m)^  -([a-z-]+)`)
	for cmd, flags := range want {
		t.Run(cmd, func(t *testing.T) {
			code, stdout, _ := runCLI(t, cmd, "--help")
			require.Equal(t, exitOK, code)
			var got []string
			for _, m := range flagLine.FindAllStringSubmatch(stdout, -1) {
				got = append(got, m[1])
			}
			assert.ElementsMatch(t, flags, got)
			for _, f := range all {
				if !slices.Contains(flags, f) {
					assert.NotContains(t, got, f)
				}
			}
		})
	}
}

// example is one command line of a help text or of the README.
type example struct {
	where string
	stdin string   // files cat-ed into the command
	args  []string // after "fluxnotify"
}

// parseExample reads "[cat FILE... |] fluxnotify ARGS [# comment]" with
// shell quoting ('...' and "...") and, as a shell does, expands an unquoted
// word with a * that names files. ok is false for other lines.
func parseExample(t *testing.T, where, line string) (example, bool) {
	t.Helper()
	line = strings.TrimSpace(line)
	if i := strings.Index(line, "   #"); i >= 0 {
		line = strings.TrimSpace(line[:i])
	}
	ex := example{where: where}
	if rest, ok := strings.CutPrefix(line, "cat "); ok {
		files, cmd, ok := strings.Cut(rest, " | ")
		if !ok {
			return ex, false
		}
		for _, pattern := range strings.Fields(files) {
			matches, err := filepath.Glob(pattern)
			require.NoError(t, err)
			require.NotEmpty(t, matches, "%s: %s names no file", where, pattern)
			for _, m := range matches {
				ex.stdin += readFile(t, m) + "\n---\n"
			}
		}
		line = cmd
	}
	rest, ok := strings.CutPrefix(line, "fluxnotify ")
	if !ok {
		return ex, false
	}
	var cur strings.Builder
	inWord, quoted, quote := false, false, rune(0)
	endWord := func() {
		word := cur.String()
		cur.Reset()
		inWord = false
		if !quoted && strings.Contains(word, "*") {
			matches, err := filepath.Glob(word)
			require.NoError(t, err)
			if len(matches) > 0 {
				ex.args = append(ex.args, matches...)
				return
			}
		}
		ex.args = append(ex.args, word)
	}
	for _, r := range rest {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord, quoted = r, true, true
		case r == ' ':
			if inWord {
				endWord()
				quoted = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		endWord()
	}
	return ex, true
}

// runExample runs an example as written, except that a Slack webhook URL is
// replaced by a local sink's and a file it writes (--junit FILE) goes to a
// temporary folder, never into the source tree or a shared /tmp; it checks
// that the example is not bad input and wrote its file. serve runs
// forever: its examples are only checked for the files they name.
func runExample(t *testing.T, ex example, sink *slacktest.Server) {
	t.Helper()
	for _, a := range ex.args {
		if p, ok := strings.CutPrefix(strings.TrimPrefix(a, "@"), "testdata/"); ok {
			_, err := os.Stat(filepath.Join("testdata", p))
			assert.NoError(t, err, "%s: fluxnotify %s", ex.where, strings.Join(ex.args, " "))
		}
	}
	if len(ex.args) == 0 || ex.args[0] == "serve" {
		return
	}
	args := slices.Clone(ex.args)
	for i, a := range args {
		if strings.Contains(a, "https://hooks.slack.com/") {
			pre, _, _ := strings.Cut(a, "https://hooks.slack.com/")
			args[i] = pre + sink.WebhookURL()
		}
	}
	args, outputs := redirectOutputs(args, t.TempDir())
	code, stdout, stderr := runWithStdin(t, ex.stdin, args...)
	assert.Equal(t, exitOK, code, "%s: fluxnotify %s\n%s", ex.where, strings.Join(ex.args, " "), stderr)
	if args[0] != "--help" && args[0] != "help" && args[0] != "--version" {
		assert.NotEmpty(t, stdout, ex.where)
	}
	for _, out := range outputs {
		assert.FileExists(t, out, "%s: the example writes it", ex.where)
	}
}

// outputFlags are the flags whose value is a file the command writes.
var outputFlags = []string{"junit"}

// redirectOutputs returns args with the file of every output flag
// ("--junit FILE", "-junit=FILE") moved into dir, keeping its base name,
// and the files it will write.
func redirectOutputs(args []string, dir string) (out, files []string) {
	out = slices.Clone(args)
	for i := 0; i < len(out); i++ {
		if out[i] == "--" {
			break // after "--", only suites
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(out[i], "-"), "=")
		if !strings.HasPrefix(out[i], "-") || !slices.Contains(outputFlags, name) {
			continue
		}
		switch {
		case hasValue:
			f := filepath.Join(dir, filepath.Base(value))
			out[i] = out[i][:len(out[i])-len(value)] + f
			files = append(files, f)
		case i+1 < len(out):
			i++
			f := filepath.Join(dir, filepath.Base(out[i]))
			out[i] = f
			files = append(files, f)
		}
	}
	return out, files
}

func TestRedirectOutputs(t *testing.T) {
	dir := filepath.Join("tmp", "x")
	tests := []struct {
		name      string
		args      []string
		wantArgs  []string
		wantFiles []string
	}{
		{"none", []string{"test", "a_test.yaml"}, []string{"test", "a_test.yaml"}, nil},
		{"relative", []string{"test", "--junit", "alert-tests.xml", "tests/*_test.yaml"},
			[]string{"test", "--junit", filepath.Join(dir, "alert-tests.xml"), "tests/*_test.yaml"}, []string{filepath.Join(dir, "alert-tests.xml")}},
		{"absolute, one dash", []string{"test", "-junit", "/tmp/alert-tests.xml", "s.yaml"},
			[]string{"test", "-junit", filepath.Join(dir, "alert-tests.xml"), "s.yaml"}, []string{filepath.Join(dir, "alert-tests.xml")}},
		{"with =", []string{"test", "--junit=/tmp/r.xml", "s.yaml"},
			[]string{"test", "--junit=" + filepath.Join(dir, "r.xml"), "s.yaml"}, []string{filepath.Join(dir, "r.xml")}},
		{"after --, a suite", []string{"test", "--", "--junit", "r.xml"}, []string{"test", "--", "--junit", "r.xml"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, files := redirectOutputs(tt.args, dir)
			assert.Equal(t, tt.wantArgs, got)
			assert.Equal(t, tt.wantFiles, files)
		})
	}
}

// TestHelp_examples runs every example of every command's help, from this
// folder, as the help says.
func TestHelp_examples(t *testing.T) {
	sink := slacktest.NewServer()
	defer sink.Close()
	for _, cmd := range []command{routeCommand, renderCommand, sendCommand, serveCommand, testCommand} {
		n := 0
		for _, line := range strings.Split(cmd.examples, "\n") {
			ex, ok := parseExample(t, cmd.name+" --help", line)
			if !ok {
				continue
			}
			n++
			t.Run(strings.Join(ex.args, " "), func(t *testing.T) { runExample(t, ex, sink) })
		}
		assert.NotZero(t, n, cmd.name)
	}
}

// TestREADME_examples runs the command lines of the README's CLI section
// that start with fluxnotify, from this folder (the README says to cd
// here), the way TestHelp_examples does.
func TestREADME_examples(t *testing.T) {
	sink := slacktest.NewServer()
	defer sink.Close()
	f, err := os.Open("../../README.md")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	inShell, n := false, 0
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		switch {
		case strings.HasPrefix(text, "```sh"):
			inShell = true
			continue
		case strings.HasPrefix(text, "```"):
			inShell = false
			continue
		}
		if !inShell {
			continue
		}
		ex, ok := parseExample(t, "README.md:"+strconv.Itoa(line), text)
		if !ok {
			continue
		}
		n++
		t.Run(strings.Join(ex.args, " "), func(t *testing.T) { runExample(t, ex, sink) })
	}
	assert.NotZero(t, n, "the README shows the command-line tool")
}
