package manifest_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/fluxnotify/fluxnotify/manifest"
)

// sentinels are the errors every problem wraps.
var sentinels = []error{
	manifest.ErrSyntax, manifest.ErrTooLarge, manifest.ErrUnknownField, manifest.ErrDuplicateKey,
	manifest.ErrInvalidValue, manifest.ErrInvalid, manifest.ErrUnsupportedVersion, manifest.ErrRemovedVersion,
	manifest.ErrUnknownKind, manifest.ErrNotObject, manifest.ErrDuplicateObject, manifest.ErrProviderNotFound,
	manifest.ErrExtendedField,
}

// FuzzDecode feeds arbitrary streams to the decoder: it must never panic,
// must return a Config, and every problem and warning must name the
// stream, wrap one of the sentinels and point inside the stream. The seed
// corpus runs with plain go test.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/versions/*.yaml")
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		provider + "---\n" + alertDoc,
		"{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [null, 1, {\"kind\": \"List\", \"apiVersion\": \"v1\", \"items\": [{}]}]}",
		"{\"a\": 1} {\"b\": ",
		"[{\"op\": \"add\"}]",
		"a: &a [*a, *a]\nb: *a\n",
		"apiVersion: v1\nkind: Secret\nmetadata: &m {name: s, <<: *m}\nstringData: &d {<<: [*d, *d]}\n",
		"apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata: {name: a}\nspec: {template: &t {blocks: [*t]}, eventSources: [&s {kind: K, name: x}, {<<: *s, kind: L}]}\n",
		"apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: p, creationTimestamp: 2026-01-01}\nspec: {type: slack, timeout: 1h, suspend: yes}\n",
		"apiVersion: notification.fluxcd.io/v1alpha1\nkind: Alert\n",
		withGroup("fluxnotify.io/v1alpha1"),
		withGroup("notification.toolkit.fluxcd.io/v1beta3"),
		"apiVersion: fluxnotify.io/v2\nkind: List\nitems: [{apiVersion: fluxnotify.io/v1alpha1, kind: Receiver}]\n",
		"{{- if .Values.x }}\napiVersion: v1\n{{- end }}\n---\nkey: [\n",
		"--- # c\n...\n---\n? [a]\n: b\n",
		"\xef\xbb\xbf{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": {\"name\": \"s\"}, \"data\": {\"k\": \"@@\"}}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := manifest.Load(bytes.NewReader(data), "fuzz.yaml")
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
		lines := bytes.Count(data, []byte("\n")) + 1
		check := func(what string, e *manifest.Error) {
			if e.File != "fuzz.yaml" || e.Err == nil {
				t.Errorf("incomplete %s: %#v", what, e)
			}
			if e.Line < 0 || e.Line > lines || e.Column < 0 {
				t.Errorf("%s outside the stream (%d lines): %v", what, lines, e)
			}
			for _, s := range sentinels {
				if errors.Is(e, s) {
					return
				}
			}
			t.Errorf("%s wraps no sentinel: %v", what, e)
		}
		for _, w := range cfg.Warnings {
			check("warning", w)
		}
		if err == nil {
			return
		}
		les := manifest.Errors(err)
		if len(les) == 0 {
			t.Fatalf("error without a *manifest.Error: %v", err)
		}
		for _, le := range les {
			check("problem", le)
		}
	})
}
