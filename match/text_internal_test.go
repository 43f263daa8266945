package match

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTextMatcherAgreesWithRegexp checks the literal fast paths of
// inclusionList and exclusionList against regexp itself.
func TestTextMatcherAgreesWithRegexp(t *testing.T) {
	exprs := []string{
		"", ".*", "(?s).*", "dry-run", ".*dry-run.*", ".*?dry-run", "(?s).*dry-run.*", "^dry-run", "dry-run$",
		"(?i)timeout", "(?i)TimeOut", "(?i).*kelvin.*", "(?i)straße", "timeout|dry-run", "time.ut", `\.`, "(?:)", "a*",
		"\uFFFD", ".*\uFFFD.*", "(?i)\uFFFD",
		"(?i)(error|failed).*timeout", "fail(ed|ure)", "(dry)-(run)", "^health.*failed$", "(?i)k.*elvin", "x\uFFFDy.*z",
		"(?i)stra(ß)e.*x", "(?s)time.ut.*", "(?i:ERROR) .*[0-9]+", "^dry-run.*", "^(dry-run)", "(?m)^dry-run", "^\uFFFD", "^é",
	}
	messages := []string{
		"", "dry-run failed", "apply failed: TIMEOUT", "Timeout", "\u212aelvin", "kelvin", "STRASSE", "straße",
		"multi\nline dry-run", "time-out", ".", "tim", "ok",
		"\xff", "bad \xfe\xff byte", "\uFFFD",
		"health check failed: Timeout", "ERROR 42", "error 4", "x\xffy then z", "\u212a then elvin", "k then elvin",
		"health check failed", "failure", "STRASSE x", "straße x", "x\ndry-run", "é", "\xffé",
	}
	for _, expr := range exprs {
		re := regexp.MustCompile(expr)
		tm := newTextMatcher(expr, re)
		for _, msg := range messages {
			assert.Equal(t, re.MatchString(msg), tm.match(msg), "%q on %q", expr, msg)
		}
	}
}

func TestTextMatcherFastPaths(t *testing.T) {
	for _, tc := range []struct {
		expr    string
		literal string
		fold    bool
		regexp  bool
		prefix  bool
		need    []requiredLiteral
	}{
		{expr: ".*dry-run.*", literal: "dry-run"},
		{expr: "dry-run", literal: "dry-run"},
		{expr: ".*", literal: ""},
		{expr: "(?:)", literal: ""},
		{expr: "(?i)TimeOut", literal: "timeout", fold: true, regexp: true},
		{expr: "(?i)straße", regexp: true},
		{expr: "^dry-run", literal: "dry-run", prefix: true},
		{expr: "^dry-run.*", literal: "dry-run", prefix: true},
		{expr: "^(dry-run)", regexp: true, need: []requiredLiteral{{lower: "dry-run"}}},
		{expr: "(?m)^dry-run", regexp: true, need: []requiredLiteral{{lower: "dry-run"}}},
		{expr: "time.ut", regexp: true, need: []requiredLiteral{{lower: "time"}, {lower: "ut"}}},
		{expr: "\uFFFD", regexp: true}, // regexp reads each invalid byte as U+FFFD
		{expr: "(?i)(error|failed).*timeout", regexp: true, need: []requiredLiteral{{lower: "timeout", fold: true}}},
		{expr: "fail(ed|ure)", regexp: true, need: []requiredLiteral{{lower: "fail"}}},
		{expr: "^health.*(failed)$", regexp: true, need: []requiredLiteral{{lower: "health"}, {lower: "failed"}}},
		{expr: "x\uFFFDy.*z", regexp: true, need: []requiredLiteral{{lower: "z"}}},
	} {
		tm := newTextMatcher(tc.expr, regexp.MustCompile(tc.expr))
		assert.Equal(t, tc.regexp, tm.re != nil, tc.expr)
		assert.Equal(t, tc.fold, tm.fold, tc.expr)
		assert.Equal(t, tc.need, tm.need, tc.expr)
		assert.Equal(t, tc.prefix, tm.prefix, tc.expr)
		if !tc.regexp || tc.fold {
			assert.Equal(t, tc.literal, tm.literal, tc.expr)
		}
	}
}

func TestMatcherMode(t *testing.T) {
	m, err := Compile(nil, WithMode(Flux))
	assert.NoError(t, err)
	assert.Equal(t, Flux, m.Mode())
}
