package event

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzFastUnmarshal: what fastUnmarshal accepts, json.Unmarshal accepts
// too, with the same result.
func FuzzFastUnmarshal(f *testing.F) {
	f.Add([]byte(`{"involvedObject":{"kind":"Kustomization","namespace":"flux-system","name":"app","uid":"u","apiVersion":"v1","resourceVersion":"1","fieldPath":"f"},` +
		`"relatedObject":{"kind":"GitRepository","name":"repo"},"severity":"error","timestamp":"2026-11-26T00:00:00Z","message":"health check failed é",` +
		`"reason":"R","action":"A","metadata":{"a":"b","a":"c"},"reportingController":"kc","reportingInstance":"ki"}`))
	f.Add([]byte(` { "message" : "x" } `))
	f.Add([]byte(`{"message":"x","message":"y"}`))
	f.Add([]byte(`{"Message":"x"}`))
	f.Add([]byte(`{"message":"a\"b"}`))
	f.Add([]byte(`{"message":"\xff"}`))
	f.Add([]byte(`{"timestamp":"bad"}`))
	f.Add([]byte(`{"metadata":{}}`))
	f.Add([]byte(`{"metadata":null}`))
	f.Add([]byte(`{}{}`))
	f.Add([]byte(`{"message":"x",}`))
	if files, _ := filepath.Glob("testdata/*.json"); len(files) > 0 {
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := fastUnmarshal(data)
		if !ok {
			return
		}
		var want Event
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("fast path accepted %q, json.Unmarshal: %v", data, err)
		}
		if !reflect.DeepEqual(got, &want) {
			t.Fatalf("%q:\nfast %#v\njson %#v", data, got, &want)
		}
	})
}

func BenchmarkFastUnmarshal(b *testing.B) {
	data := []byte(`{"involvedObject":{"apiVersion":"kustomize.toolkit.fluxcd.io/v1","kind":"Kustomization","namespace":"flux-system","name":"app-a"},` +
		`"severity":"error","timestamp":"2026-11-26T00:00:00Z","message":"health check failed","reason":"HealthCheckFailed",` +
		`"reportingController":"kustomize-controller","metadata":{"kustomize.toolkit.fluxcd.io/revision":"main@sha1:2f3c4d5e"}}`)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := fastUnmarshal(data); !ok {
				b.Fatal("not taken")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var e Event
			if err := json.Unmarshal(data, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
