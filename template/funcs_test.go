package template_test

import (
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/Masterminds/sprig/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/template"
)

// render parses text as the message text and renders it on the sample
// data with Slack escaping.
func render(t *testing.T, text string) (string, error) {
	t.Helper()
	tmpl, err := template.Parse(&template.Spec{Text: text})
	if err != nil {
		return "", err
	}
	m, err := tmpl.Render(template.Sample(), template.EscapeSlack)
	if err != nil {
		return "", err
	}
	return m.Text, nil
}

func TestFuncs(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"slackEscape is not escaped twice", `{{ "a<b>&c" | slackEscape }}`, "a&lt;b&gt;&amp;c"},
		{"slackLink", `{{ slackLink "https://example.com/a?b=1&c=2" "x<y" }}`, "<https://example.com/a?b=1&c=2|x&lt;y>"},
		{"slackLink pipe and angle in url", `{{ slackLink "https://example.com/a|b>c" "t" }}`, "<https://example.com/a%7Cb%3Ec|t>"},
		{"slackLink empty text", `{{ slackLink "https://example.com" "" }}`, "<https://example.com>"},
		{"slackLink mailto", `{{ slackLink "mailto:ops@example.com" "ops" }}`, "<mailto:ops@example.com|ops>"},
		{"slackLink javascript", `{{ slackLink "javascript:alert(1)" "click" }}`, "click"},
		{"slackLink relative", `{{ slackLink "/path" "p" }}`, "p"},
		{"slackLink empty url", `{{ slackLink "" "<!here>" }}`, "&lt;!here&gt;"},
		{"slackLink from data", `{{ slackLink .Links.Dashboard .Object.Name }}`,
			"<https://dashboard.example.com/flux-system/Kustomization/my-app-kustomization|my-app-kustomization>"},
		{"slackMention here", `{{ slackMention "here" }}`, "<!here>"},
		{"slackMention user", `{{ slackMention "U012AB3CD" }}`, "<@U012AB3CD>"},
		{"slackMention group", `{{ slackMention "S0614TZR7" }}`, "<!subteam^S0614TZR7>"},
		{"truncate", `{{ truncate 5 "abcdefgh" }}`, "abcd…"},
		{"truncate runes", `{{ truncate 3 "héllo wörld" }}`, "hé…"},
		{"truncate exact", `{{ truncate 5 "héllo" }}`, "héllo"},
		{"truncate short", `{{ truncate 50 "abc" }}`, "abc"},
		{"truncate zero", `{{ truncate 0 "abc" }}`, ""},
		{"truncate then escape", `{{ truncate 4 "<!channel>" }}`, "&lt;!c…"},
		{"commitURL", `{{ commitURL "git@gitlab.com:org/repo.git" "main@sha1:2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e" }}`,
			"https://gitlab.com/org/repo/-/commit/2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"},
		{"commitSHA", `{{ commitSHA .Revision }}`, "2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"},
		{"shortRevision", `{{ .Revision | shortRevision }}`, "main@2f3c4d5"},
		{"safe", `{{ safe "<!here>" }}`, "<!here>"},
		{"safe lost through printf", `{{ printf "%s!" (safe "<b>") }}`, "&lt;b&gt;!"},
		{"sprig", `{{ .Object.Kind | lower }} {{ .Metadata | keys | sortAlpha | join "," }} {{ .Severity | upper | quote }}`,
			`kustomization revision "ERROR"`},
		{"sprig default", `{{ .Metadata.summary | default "no summary" }}`, "no summary"},
		{"missing metadata key is empty", `[{{ .Metadata.nope }}]`, "[]"},
		{"bounded repeat", `{{ repeat 3 "ab" }}`, "ababab"},
		{"bounded indent", `{{ indent 2 "a\nb" }}`, "  a\n  b"},
		{"bounded nindent", `{{ nindent 1 "a" }}`, "\n a"},
		{"bounded replace", `{{ replace "a" "xy" "banana" }}`, "bxynxynxy"},
		{"bounded regexReplaceAll", `{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}`, "-W-xxW-"},
		{"bounded regexReplaceAllLiteral", `{{ regexReplaceAllLiteral "a(x*)b" "-ab-" "${1}" }}`, "-${1}-"},
		{"bounded wrapWith", `{{ wrapWith 3 "|" "abcdef" }}`, "abc|def"},
		{"bounded until", `{{ until 3 }}`, "[0 1 2]"},
		{"bounded untilStep", `{{ untilStep 0 10 4 }}`, "[0 4 8]"},
		{"bounded seq", `{{ seq 3 }}`, "1 2 3"},
		{"bounded printf", `{{ printf "%05d|%-4s|%.2f" 42 "ab" 3.14159 }}`, "00042|ab  |3.14"},
		{"bounded randAlpha", `{{ randAlpha 7 | len }} {{ randNumeric 3 | regexMatch "^[0-9]{3}$" }}`, "7 true"},
		{"bounded randBytes", `{{ randBytes 6 | b64dec | len }}`, "6"},
		{"bounded print", `{{ print "a" 1 }} {{ println "b" }}`, "a1 b\n"},
		{"time", `{{ .Timestamp.Format "2006-01-02T15:04:05Z07:00" }} {{ .Timestamp | date "15:04" }}`, "2025-03-14T09:26:53Z 09:26"},
		{"range metadata is sorted", `{{ range $k, $v := dict "b" 2 "a" 1 "c" 3 }}{{ $k }}{{ $v }}{{ end }}`, "a1b2c3"},
		{"no value", `{{ $x := dict }}{{ $x.nope }}`, "&lt;no value&gt;"},
		{"keys", `{{ keys .Metadata (dict "a" 1) }}`, "[a revision]"},
		{"hasKey", `{{ hasKey .Metadata "revision" }} {{ hasKey .Metadata "nope" }}`, "true false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := render(t, tt.text)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestFuncsRemoved(t *testing.T) {
	for _, name := range []string{
		"env", "expandenv", "getHostByName", "dateInZone", "date_in_zone", "htmlDateInZone",
		"genPrivateKey", "genCA", "genSelfSignedCert", "genSignedCert", "buildCustomCert",
		"bcrypt", "htpasswd", "derivePassword", "encryptAES", "decryptAES",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := render(t, "{{ "+name+" }}")
			require.Error(t, err)
			assert.Contains(t, err.Error(), `function "`+name+`" not defined`)
			assert.NotContains(t, template.Funcs(), name)
		})
	}
}

func TestFuncsBounded(t *testing.T) {
	big := `{{ $s := repeat 60000 "x" }}`
	tests := []struct {
		name, text, want string
	}{
		{"repeat", `{{ repeat 100000000 "x" }}`, "repeat: would produce about 100000000 bytes"},
		{"repeat overflow", `{{ repeat 9223372036854775807 "xx" }}`, "repeat: would produce"},
		{"indent", `{{ indent 100000000 "x" }}`, "indent: would produce"},
		{"indent lines", big + `{{ indent 3 (replace "x" "\n" $s) }}`, "indent: would produce"},
		{"nindent", `{{ nindent 100000000 "x" }}`, "indent: would produce"},
		{"replace", big + `{{ replace "x" "yy" $s }}`, "replace: would produce"},
		{"replace empty old", big + `{{ replace "" "yy" $s }}`, "replace: would produce"},
		{"regexReplaceAll", `{{ regexReplaceAll "x" (repeat 3000 "x") (repeat 30 "${0}") }}`, "regexReplaceAll: would produce"},
		{"regexReplaceAllLiteral", `{{ regexReplaceAllLiteral "" (repeat 3000 "x") (repeat 30 "y") }}`, "regexReplaceAll: would produce"},
		{"wrapWith", big + `{{ wrapWith 1 "--" $s }}`, "wrapWith: would produce"},
		{"printf width", `{{ printf "%999999999d" 1 }}`, "width or precision more than 65536"},
		{"printf precision", `{{ printf "%.999999999f" 1.0 }}`, "width or precision more than 65536"},
		{"printf args", big + `{{ printf "%s%s" $s $s }}`, "printf: would produce"},
		{"print args", big + `{{ print $s $s }}`, "print: would produce"},
		{"list growth", big + `{{ $l := list }}{{ range until 100 }}{{ $l = append $l $s }}{{ end }}`, "a function's result of about"},
		{"randAlpha", `{{ randAlpha 100000 }}`, "randAlpha: would produce about 100000 bytes"},
		{"randAlphaNum", `{{ randAlphaNum 100000 }}`, "randAlphaNum: would produce"},
		{"randAscii", `{{ randAscii 100000 }}`, "randAscii: would produce"},
		{"randNumeric", `{{ randNumeric 100000 }}`, "randNumeric: would produce"},
		{"randBytes", `{{ randBytes 60000 }}`, "randBytes: would produce about 80000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(t, tt.text)
			require.Error(t, err)
			assert.ErrorIs(t, err, template.ErrTooLarge)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "text: "), err.Error())
		})
	}

	_, err := render(t, `{{ printf "%*d" 1000000000 1 }}`)
	assert.ErrorContains(t, err, "(*) is not supported")

	for _, text := range []string{
		`{{ until 100000 }}`, `{{ untilStep 0 1000000 1 }}`, `{{ seq 1 1000000 }}`, `{{ seq 0 1 1000000 }}`,
	} {
		_, err := render(t, text)
		assert.ErrorContains(t, err, "more than 10000", text)
	}
	for _, text := range []string{
		`{{ range until 1000 }}{{ range until 1000 }}{{ end }}{{ end }}`,
		`{{ range 1000000000 }}{{ end }}`,
	} {
		_, err := render(t, text)
		assert.ErrorIs(t, err, template.ErrTooManyIterations, text)
	}
}

func TestFuncsReturnsACopy(t *testing.T) {
	fm := template.Funcs()
	require.Contains(t, fm, "slackLink")
	require.Contains(t, fm, "upper")
	delete(fm, "slackLink")
	for name := range fm {
		assert.False(t, strings.HasPrefix(name, "_"), name)
	}
	assert.Contains(t, template.Funcs(), "slackLink")
}

func TestFuncsGrowthInLoops(t *testing.T) {
	for _, text := range []string{
		`{{ $x := "ȿȿȿȿ" }}{{ range until 100 }}{{ $x = cat $x (upper $x) }}{{ end }}{{ $x }}`,
		`{{ $x := "<>" }}{{ range until 20 }}{{ $x = printf "%s%s" $x $x }}{{ end }}{{ $x }}`,
		`{{ $x := "ab" }}{{ range until 40 }}{{ $x = cat $x $x }}{{ end }}{{ $x }}`,
	} {
		// Refused (too large, or too much work), or each value cut to
		// MaxOutput.
		out, err := render(t, text)
		if err != nil {
			assert.True(t, errors.Is(err, template.ErrTooLarge) || errors.Is(err, template.ErrWorkBudget), "%s: %v", text, err)
			continue
		}
		assert.LessOrEqual(t, len(out), template.MaxOutput, text)
		assert.True(t, strings.HasSuffix(out, template.TruncateMarker), text)
	}
}

// TestFuncsCountingNeverLoops covers until, untilStep and seq where a
// counter stepping towards stop would overflow first: Sprig's versions loop
// for ever there, allocating.
func TestFuncsCountingNeverLoops(t *testing.T) {
	tests := []struct{ text, want string }{
		{`{{ untilStep 9223372036854775000 9223372036854775807 500 }}`, "[9223372036854775000 9223372036854775500]"},
		{`{{ untilStep -9223372036854775000 -9223372036854775808 -500 }}`, "[-9223372036854775000 -9223372036854775500]"},
		{`{{ untilStep -9223372036854775808 9223372036854775807 4611686018427387904 }}`,
			"[-9223372036854775808 -4611686018427387904 0 4611686018427387904]"},
		{`{{ seq 9223372036854775000 700 9223372036854775806 }}`, "9223372036854775000 9223372036854775700"},
		{`{{ seq -9223372036854775000 -700 -9223372036854775807 }}`, "-9223372036854775000 -9223372036854775700"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := render(t, tt.text)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	for _, text := range []string{
		`{{ until 9223372036854775807 }}`, `{{ until -9223372036854775808 }}`,
		`{{ untilStep -9223372036854775808 9223372036854775807 1 }}`, `{{ seq -9223372036854775808 9223372036854775806 }}`,
	} {
		_, err := render(t, text)
		assert.ErrorContains(t, err, "more than 10000", text)
	}
}

// TestFuncsCountingAgreesWithSprig checks until, untilStep and seq against
// Sprig's on small arguments, where Sprig's terminate.
func TestFuncsCountingAgreesWithSprig(t *testing.T) {
	ours, theirs := template.Funcs(), sprig.TxtFuncMap()
	for start := -4; start <= 4; start++ {
		want := theirs["until"].(func(int) []int)(start)
		got, err := ours["until"].(func(int) ([]int, error))(start)
		require.NoError(t, err)
		assert.Equal(t, want, got, "until %d", start)
		for stop := -4; stop <= 4; stop++ {
			for step := -3; step <= 3; step++ {
				want := theirs["untilStep"].(func(int, int, int) []int)(start, stop, step)
				got, err := ours["untilStep"].(func(int, int, int) ([]int, error))(start, stop, step)
				require.NoError(t, err)
				assert.Equal(t, want, got, "untilStep %d %d %d", start, stop, step)
				for _, args := range [][]int{{start}, {start, stop}, {start, step, stop}, {}, {1, 2, 3, 4}} {
					want := theirs["seq"].(func(...int) string)(args...)
					got, err := ours["seq"].(func(...int) (string, error))(args...)
					require.NoError(t, err)
					assert.Equal(t, want, got, "seq %s", fmt.Sprint(args))
				}
			}
		}
	}
}

// TestRegexReplaceAgreesWithRegexp checks regexReplaceAll and
// regexReplaceAllLiteral, which find matches one at a time when they can,
// against regexp's ReplaceAllString and ReplaceAllLiteralString.
func TestRegexReplaceAgreesWithRegexp(t *testing.T) {
	exprs := []string{
		"", "a", "a*", "a+", "a*?", `\s+`, "x*", "(a)(b)?", "(?i)é", ".", "(?s).", "ab|a", "b*|a",
		"^a", "a$", `\bb`, `\B`, "(?m)^", "(?m)$", `\Aa`, `a\z`, "[^a]*", "(?U)a+",
	}
	inputs := []string{"", "a", "aaa", "abab", "a b  c\n a", "baaab", "héllo é", "\xffa\xfe", "xyz", "\n\n", "ab\nab"}
	repls := []string{"", "-", "<$1>", "${0}${0}", "$", "$$"}
	fns := template.Funcs()
	expand := fns["regexReplaceAll"].(func(string, string, string) (string, error))
	literal := fns["regexReplaceAllLiteral"].(func(string, string, string) (string, error))
	for _, expr := range exprs {
		re := regexp.MustCompile(expr)
		for _, in := range inputs {
			for _, repl := range repls {
				got, err := expand(expr, in, repl)
				require.NoError(t, err)
				assert.Equal(t, re.ReplaceAllString(in, repl), got, "regexReplaceAll %q %q %q", expr, in, repl)
				got, err = literal(expr, in, repl)
				require.NoError(t, err)
				assert.Equal(t, re.ReplaceAllLiteralString(in, repl), got, "regexReplaceAllLiteral %q %q %q", expr, in, repl)
			}
		}
	}
}

// TestRegexReplaceDoesNotListEveryMatch: a 3 MB message with 1.5 million
// matches used to cost over 200 MB (one index slice per match).
func TestRegexReplaceDoesNotListEveryMatch(t *testing.T) {
	tmpl, err := template.Parse(&template.Spec{Text: `{{ regexReplaceAll "\\s+" .Message " " | truncate 100 }}`})
	require.NoError(t, err)
	d := template.Sample()
	d.Message = strings.Repeat("a ", 1500000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = tmpl.Render(d, template.EscapeSlack)
	runtime.ReadMemStats(&after)
	assert.ErrorIs(t, err, template.ErrTooLarge)
	if !raceEnabled {
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20))
	}
}

// TestSplitFuncsAgreeWithSprig checks split, splitList, splitn, regexFindAll
// and regexSplit, bounded here, against Sprig's on small inputs.
func TestSplitFuncsAgreeWithSprig(t *testing.T) {
	ours, theirs := template.Funcs(), sprig.TxtFuncMap()
	for _, in := range []string{"", "a", "a b  c", "a,b,,c,", "héllo wörld", "\xff \xfe"} {
		for _, sep := range []string{" ", ",", "", "b"} {
			got, err := ours["splitList"].(func(string, string) ([]string, error))(sep, in)
			require.NoError(t, err)
			assert.Equal(t, theirs["splitList"].(func(string, string) []string)(sep, in), got, "splitList %q %q", sep, in)
			gotMap, err := ours["split"].(func(string, string) (map[string]string, error))(sep, in)
			require.NoError(t, err)
			assert.Equal(t, theirs["split"].(func(string, string) map[string]string)(sep, in), gotMap, "split %q %q", sep, in)
			for _, n := range []int{-1, 0, 1, 2, 100} {
				gotMap, err := ours["splitn"].(func(string, int, string) (map[string]string, error))(sep, n, in)
				require.NoError(t, err)
				assert.Equal(t, theirs["splitn"].(func(string, int, string) map[string]string)(sep, n, in), gotMap, "splitn %q %d %q", sep, n, in)
			}
		}
		for _, expr := range []string{" +", "", "[a-z]+", "(,)", "x*"} {
			for _, n := range []int{-1, 0, 1, 2, 100} {
				for _, fn := range []string{"regexFindAll", "mustRegexFindAll", "regexSplit", "mustRegexSplit"} {
					got, err := ours[fn].(func(string, string, int) ([]string, error))(expr, in, n)
					require.NoError(t, err)
					var want []string
					switch f := theirs[fn].(type) {
					case func(string, string, int) []string:
						want = f(expr, in, n)
					case func(string, string, int) ([]string, error):
						want, err = f(expr, in, n)
						require.NoError(t, err)
					}
					assert.Equal(t, want, got, "%s %q %q %d", fn, expr, in, n)
				}
			}
		}
	}
	_, err := ours["regexFindAll"].(func(string, string, int) ([]string, error))("(", "x", -1)
	assert.ErrorContains(t, err, "missing closing )")
}

// TestSplitFuncsBounded: cutting a 3 MB message into 1.5 million pieces
// used to cost 20 to 150 MB and a second before the result was refused.
func TestSplitFuncsBounded(t *testing.T) {
	for _, text := range []string{
		`{{ len (split " " .Message) }}`,
		`{{ len (splitList " " .Message) }}`,
		`{{ len (splitn " " -1 .Message) }}`,
		`{{ len (regexFindAll "a" .Message -1) }}`,
		`{{ len (mustRegexFindAll "a" .Message 10000000) }}`,
		`{{ len (regexSplit " " .Message -1) }}`,
	} {
		tmpl, err := template.Parse(&template.Spec{Text: text})
		require.NoError(t, err, text)
		d := template.Sample()
		d.Message = strings.Repeat("a ", 1500000)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err = tmpl.Render(d, template.EscapeSlack)
		runtime.ReadMemStats(&after)
		assert.ErrorIs(t, err, template.ErrTooLarge, text)
		assert.ErrorContains(t, err, "65536 pieces or more", text)
		if !raceEnabled {
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), text)
		}
	}
}
