package event_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/fluxnotify/fluxnotify/event"
)

// FuzzUnmarshal feeds arbitrary bodies to Unmarshal: it must never panic,
// an accepted event must pass Validate, and an accepted event must survive
// a round trip through its JSON. The seed corpus runs with plain go test.
func FuzzUnmarshal(f *testing.F) {
	for _, name := range []string{"testdata/v1.json", "testdata/v1beta1.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		``, `null`, `{}`, `[]`, `"x"`, `{"severity": "WARNING"}`,
		`{"involvedObject": {"kind": "K", "name": "n"}, "severity": "info", "message": "m"}`,
		`{"involvedObject": {"kind": "K", "name": "n"}, "severity": "info", "message": "m", "timestamp": "2026-01-01T00:00:00+02:00"}`,
		`{"involvedObject": {"kind": "K", "name": "n"}, "severity": "info", "message": "m", "timestamp": null, "metadata": null}`,
		`{"involvedObject": {"kind": "K", "name": "n"}, "severity": 3, "message": "m"}`,
		`{"involvedObject": {"kind": "K", "name": "n"}, "severity": "info", "message": "\u0000\ud800"}`,
		`{"involvedObject": "K/n"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := event.Unmarshal(data)
		if err != nil {
			if e != nil {
				t.Fatalf("event and error both returned: %v", err)
			}
			return
		}
		if verr := event.Validate(e); verr != nil {
			t.Fatalf("accepted an invalid event: %v", verr)
		}
		if _, serr := event.SeverityOf(e); serr != nil {
			t.Fatalf("accepted an unknown severity: %v", serr)
		}
		out, merr := json.Marshal(e)
		if merr != nil {
			t.Fatalf("cannot marshal an accepted event: %v", merr)
		}
		if _, rerr := event.Unmarshal(out); rerr != nil {
			t.Fatalf("round trip failed: %v\n%s", rerr, out)
		}
	})
}

// FuzzUnmarshalFlux feeds arbitrary bodies to UnmarshalFlux: it must never
// panic, it accepts everything Unmarshal accepts, an accepted event passes
// ValidateFlux and survives a round trip through its JSON.
func FuzzUnmarshalFlux(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `{"severity": "WARNING"}`,
		`{"involvedObject": {"kind": "K", "name": "n"}, "severity": "info", "message": "m"}`,
		`{"involvedObject": {"kind": "K", "name": "n"}, "message": "m"}`,
		`{"involvedObject": {"kind": "K", "name": "n"}, "severity": "Critical", "message": "m"}`,
		`{"involvedObject": {"kind": "K", "name": "n"}, "severity": "\ud800", "message": "m"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := event.UnmarshalFlux(data)
		if _, strictErr := event.Unmarshal(data); strictErr == nil && err != nil {
			t.Fatalf("flux mode refuses what extended mode accepts: %v", err)
		}
		if err != nil {
			if e != nil {
				t.Fatalf("event and error both returned: %v", err)
			}
			return
		}
		if verr := event.ValidateFlux(e); verr != nil {
			t.Fatalf("accepted an invalid event: %v", verr)
		}
		out, merr := json.Marshal(e)
		if merr != nil {
			t.Fatalf("cannot marshal an accepted event: %v", merr)
		}
		if _, rerr := event.UnmarshalFlux(out); rerr != nil {
			t.Fatalf("round trip failed: %v\n%s", rerr, out)
		}
	})
}
