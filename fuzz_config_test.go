package fluxnotify

import (
	"bytes"
	"os"
	"testing"
)

// FuzzLoad feeds arbitrary streams to Load: it must never panic, must return
// a Config whenever the stream was read, and every problem must be a
// *LoadError naming the stream. The seed corpus (below and in
// testdata/fuzz/FuzzLoad) runs with plain go test.
func FuzzLoad(f *testing.F) {
	for _, path := range []string{exampleFile, "testdata/manifests/invalid.yaml", "testdata/manifests/tree/alerts/info.json", "testdata/manifests/tree/providers/slack.yaml"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"---\n---\n",
		"null",
		"[]",
		"{}",
		"{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [null, 1, {\"kind\": \"List\", \"apiVersion\": \"v1\", \"items\": [{}]}]}",
		"apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata: {name: a}\nspec: {eventSeverity: {a: b}, eventSources: [null]}\n",
		"apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: [a]}\n",
		"a: &a [*a, *a]\nb: *a\n",
		"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {url: '%%%'}\n",
		"{\"a\": 1} {\"b\": ",
		"\xef\xbb\xbfapiVersion: v1\nkind: Secret\nmetadata: {name: s}\n",
		"--- # c\n...\n---\n? [a]\n: b\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Load(bytes.NewReader(data), "fuzz.yaml")
		if cfg == nil {
			t.Fatalf("nil Config for a readable stream (err: %v)", err)
		}
		for _, a := range cfg.Alerts {
			if a.Namespace == "" {
				t.Errorf("alert %q without a namespace", a.Name)
			}
		}
		for _, p := range cfg.Providers {
			if p.Namespace == "" {
				t.Errorf("provider %q without a namespace", p.Name)
			}
		}
		if err == nil {
			return
		}
		les := LoadErrors(err)
		if len(les) == 0 {
			t.Fatalf("error without a *LoadError: %v", err)
		}
		for _, le := range les {
			if le.File != "fuzz.yaml" || le.Err == nil {
				t.Errorf("incomplete problem: %#v", le)
			}
		}
	})
}
