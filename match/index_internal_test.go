package match

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/alert"
)

func TestLiteralAffixes(t *testing.T) {
	for _, tc := range []struct {
		glob, prefix, suffix string
		affix                bool
	}{
		{"app-*", "app-", "", true},
		{"*-api", "", "-api", true},
		{"app-*-api", "app-", "-api", true},
		{"app-?", "app-", "", false},
		{"app-{1,2}", "app-", "", false},
		{"{a,b}-x", "", "-x", false},
		{"[a-c]*", "", "", false},
		{`*\*`, "", "", false},
		{`a*\x`, "a", "x", false},
		{"**", "", "", false},
		{"é*é", "é", "é", true},
	} {
		p, err := compilePattern(tc.glob, true, true)
		if !assert.NoError(t, err, tc.glob) {
			continue
		}
		var l nameLevel
		child(&levelBuilder{globChildren: map[globChildKey]any{}}, &l, &p)
		gc := l.groups[0].children[0]
		assert.Equal(t, tc.prefix, l.groups[0].prefix, "prefix of %q", tc.glob)
		assert.Equal(t, tc.suffix, gc.suffix, "suffix of %q", tc.glob)
		assert.Equal(t, tc.affix, gc.affix, "affix of %q", tc.glob)
	}
}

// FuzzGlobAffixes checks what the index assumes of a glob: every value it
// matches starts with its literal prefix and ends with its literal suffix,
// and an affix glob matches exactly those values that are long enough to
// hold both.
func FuzzGlobAffixes(f *testing.F) {
	for _, s := range [][2]string{
		{"app-*", "app-1"}, {"*-api", "web-api"}, {"ab*ba", "aba"}, {`a*\*`, "a*"}, {"é*", "é\xff"},
		{"*\xff", "\xff"}, {"{a,b}*c", "ac"}, {"a?*", "a"}, {"[!a]*z", "bz"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, text, v string) {
		p, err := compilePattern(text, true, true)
		if err != nil || p.g == nil {
			return
		}
		var l nameLevel
		child(&levelBuilder{globChildren: map[globChildKey]any{}}, &l, &p)
		prefix, gc := l.groups[0].prefix, l.groups[0].children[0]
		ok := p.g.Match(v)
		if ok && (!strings.HasPrefix(v, prefix) || !strings.HasSuffix(v, gc.suffix)) {
			t.Fatalf("%q matches %q, which lacks the prefix %q or the suffix %q", text, v, prefix, gc.suffix)
		}
		if gc.affix {
			want := len(v) >= len(prefix)+len(gc.suffix) && strings.HasPrefix(v, prefix) && strings.HasSuffix(v, gc.suffix)
			if ok != want {
				t.Fatalf("affix glob %q on %q: glob %v, affixes %v", text, v, ok, want)
			}
		}
	})
}

// TestFilterSetsNumbering: alerts share a filter number exactly when their
// inclusionList and exclusionList hold the same expressions.
func TestFilterSetsNumbering(t *testing.T) {
	spec := func(name string, include, exclude []string) alert.Alert {
		a := alert.Alert{}
		a.Name, a.Namespace = name, "apps"
		a.Spec.ProviderRef.Name = "slack"
		a.Spec.EventSources = []alert.CrossNamespaceObjectReference{{Kind: "Kustomization", Name: "*"}}
		a.Spec.InclusionList, a.Spec.ExclusionList = include, exclude
		return a
	}
	m, err := Compile([]alert.Alert{
		spec("none", nil, nil),
		spec("inc-a", []string{"a"}, nil),
		spec("exc-a", nil, []string{"a"}),
		spec("inc-a-again", []string{"a"}, nil),
		spec("inc-ab", []string{"a", "b"}, nil),
		spec("inc-a-exc-b", []string{"a"}, []string{"b"}),
		spec("inc-ab-again", []string{"a", "b"}, nil),
		spec("none-again", nil, nil),
	})
	require.NoError(t, err)
	assert.Equal(t, []int32{-1, 0, 1, 0, 2, 3, 2, -1}, m.index.filterSet)
	assert.Equal(t, int32(4), m.index.nFilterSets)
}

func TestGlobValues(t *testing.T) {
	for _, tc := range []struct {
		glob string
		want []string
	}{
		{"{Kustomization,HelmRelease}", []string{"HelmRelease", "Kustomization"}},
		{"app-{1,2,3}", []string{"app-1", "app-2", "app-3"}},
		{"{a,b}-{x,y}", []string{"a-x", "a-y", "b-x", "b-y"}},
		{"{a,{b,c}}", []string{"a", "b", "c"}},
		{"{a,a,}", []string{"", "a"}},
		{"[ab]x", []string{"ax", "bx"}},
		{"v[1-3]", []string{"v1", "v2", "v3"}},
		{`\*{a,b}`, []string{"*a", "*b"}},
		{"é{1,2}", []string{"é1", "é2"}},
		{"app-*", nil},
		{"app-?", nil},
		{"{a,b*}", nil},
		{"[!a]", nil},
		{"[a-z]", nil},                // 26 values
		{"{a,b}{c,d}{e,f}{g,h}", nil}, // 16 values
		{"{a,b,c,d,e,f,g,h,i}", nil},  // 9 values
		{"\uFFFD{a,b}", nil},          // would match an invalid byte
		{"{a,b}**", nil},
	} {
		assert.Equal(t, tc.want, globValues(tc.glob, maxGlobValues), "%q", tc.glob)
	}
}

// FuzzGlobValues checks that a glob filed under its values matches exactly
// those values.
func FuzzGlobValues(f *testing.F) {
	for _, s := range [][2]string{
		{"{Kustomization,HelmRelease}", "HelmRelease"}, {"app-{1,2,3}", "app-4"}, {"[ab]x", "bx"},
		{"v[1-3]", "v2"}, {"{a,{b,c}}", "c"}, {"{a,}", ""}, {`\{{a,b}`, "{a"}, {"[a-c]", "\xff"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, text, v string) {
		p, err := compilePattern(text, true, true)
		if err != nil || p.g == nil {
			return
		}
		vs := globValues(text, maxGlobValues)
		if vs == nil {
			return
		}
		if got, want := slices.Contains(vs, v), p.g.Match(v); got != want {
			t.Fatalf("glob %q on %q: values %q say %v, the glob %v", text, v, vs, got, want)
		}
		for _, w := range vs {
			if !p.g.Match(w) {
				t.Fatalf("glob %q does not match its value %q", text, w)
			}
		}
	})
}
