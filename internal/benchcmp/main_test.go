package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/fluxnotify/fluxnotify/slack
BenchmarkRender/custom-template-2         	  200010	      6000 ns/op	    3530 B/op	      23 allocs/op
BenchmarkRender/custom-template-2         	  200010	      5000 ns/op	    3530 B/op	      23 allocs/op
BenchmarkRender/custom-template-2         	  200010	      9000 ns/op	    3530 B/op	      23 allocs/op
BenchmarkRender/text-template-baseline-2  	  243769	      4000 ns/op	     802 B/op	      30 allocs/op
BenchmarkRender/flux-2         	  593302	      3000 ns/op	    1216 B/op	       9 allocs/op
pkg: github.com/fluxnotify/fluxnotify/match
BenchmarkMatchShapes/shape=one-ns-same-glob/alerts=100000/compiled-2 	 26	  500000 ns/op	 100000 matches/op	 5.0 ns/match	 0 B/op	 0 allocs/op
`

func TestParseAndCompare(t *testing.T) {
	r := parse(strings.NewReader(sample))
	if v, _ := r.get("slack BenchmarkRender/custom-template", "ns/op"); v != 6000 {
		t.Fatalf("median %v, want 6000", v)
	}
	if v, _ := r.get("match BenchmarkMatchShapes/shape=one-ns-same-glob/alerts=100000/compiled", "matches/op"); v != 100000 {
		t.Fatalf("matches/op %v", v)
	}
	rows := comparisons(r)
	want := map[string]string{
		"slack: custom-template ÷ text-template-baseline":                      "1.50×",
		"slack: flux (the default message) ÷ text-template-baseline":           "0.75×",
		"match: one-ns-same-glob at 100k alerts, 100000 matches: ns per match": "5.0",
	}
	for _, row := range rows {
		if w, ok := want[row.what]; ok {
			if row.value != w || !row.ok {
				t.Errorf("%s = %s (ok %v), want %s", row.what, row.value, row.ok, w)
			}
			delete(want, row.what)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing rows: %v", want)
	}
}

func TestReplaceSection(t *testing.T) {
	doc := "# Benchmarks\n\nintro\n\n## Old\n\nold text\n"
	once := replaceSection(doc, beginMarker+"\nA\n"+endMarker+"\n")
	twice := replaceSection(once, beginMarker+"\nB\n"+endMarker+"\n")
	if !strings.Contains(twice, "\nB\n") || strings.Contains(twice, "\nA\n") || !strings.Contains(twice, "## Old") {
		t.Fatalf("got %q", twice)
	}
	if strings.Count(twice, beginMarker) != 1 {
		t.Fatalf("two sections: %q", twice)
	}
}
