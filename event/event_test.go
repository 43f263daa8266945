package event_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/event"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	return data
}

func TestUnmarshalV1(t *testing.T) {
	e, err := event.Unmarshal(readFile(t, "testdata/v1.json"))
	require.NoError(t, err)
	assert.Equal(t, "Kustomization", e.InvolvedObject.Kind)
	assert.Equal(t, "flux-system", e.InvolvedObject.Namespace)
	assert.Equal(t, "apps", e.InvolvedObject.Name)
	require.NotNil(t, e.RelatedObject)
	assert.Equal(t, "GitRepository", e.RelatedObject.Kind)
	assert.Equal(t, "error", e.Severity)
	assert.Equal(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), e.Timestamp.UTC())
	assert.Equal(t, "ReconciliationFailed", e.Reason)
	assert.Equal(t, "Reconcile", e.Action)
	assert.Equal(t, "kustomize-controller", e.ReportingController)
	rev, ok := event.Revision(e)
	assert.True(t, ok)
	assert.Equal(t, "main@sha1:2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e", rev)
}

func TestUnmarshalV1beta1(t *testing.T) {
	e, err := event.Unmarshal(readFile(t, "testdata/v1beta1.json"))
	require.NoError(t, err)
	assert.Equal(t, "HelmRelease", e.InvolvedObject.Kind)
	assert.Equal(t, "podinfo", e.InvolvedObject.Name)
	assert.Nil(t, e.RelatedObject, "v1beta1 has no relatedObject")
	assert.Empty(t, e.Action, "v1beta1 has no action")
	sev, err := event.SeverityOf(e)
	require.NoError(t, err)
	assert.Equal(t, event.SeverityInfo, sev)
	rev, ok := event.Revision(e)
	assert.True(t, ok, "v1beta1 revisions are unprefixed")
	assert.Equal(t, "6.1.4", rev)
}

// TestRevisionDoesNotAllocate: Revision is read for every delivery.
func TestRevisionDoesNotAllocate(t *testing.T) {
	for _, file := range []string{"testdata/v1beta1.json", "testdata/v1.json"} {
		e, err := event.Unmarshal(readFile(t, file))
		require.NoError(t, err)
		allocs := testing.AllocsPerRun(100, func() { _, _ = event.Revision(e) })
		assert.Zero(t, allocs, file)
	}
}

// valid returns a minimal valid event as JSON, with overrides applied.
func valid(overrides map[string]any) []byte {
	m := map[string]any{
		"involvedObject": map[string]any{"kind": "Kustomization", "name": "apps", "namespace": "flux-system"},
		"severity":       "info",
		"message":        "applied",
	}
	for k, v := range overrides {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	data, _ := json.Marshal(m)
	return data
}

func TestUnmarshalErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		wantErr []string // substrings
		is      error
	}{
		{name: "valid", in: valid(nil)},
		{name: "severity is case-insensitive", in: valid(map[string]any{"severity": "ERROR"})},
		{name: "warning is warn", in: valid(map[string]any{"severity": "warning"})},
		{name: "unknown fields are ignored (newer Flux)", in: valid(map[string]any{"futureField": 1})},
		{name: "empty body", in: nil, wantErr: []string{"empty body"}, is: event.ErrInvalid},
		{name: "blank body", in: []byte(" \n\t"), wantErr: []string{"empty body"}, is: event.ErrInvalid},
		{name: "broken JSON", in: []byte(`{"involvedObject": `), wantErr: []string{"decoding event", "unexpected end of JSON input"}, is: event.ErrInvalid},
		{name: "not an object", in: []byte(`[1, 2]`), wantErr: []string{"cannot unmarshal array"}, is: event.ErrInvalid},
		{name: "wrong type names the field", in: valid(map[string]any{"message": 42}), wantErr: []string{"field message: cannot use JSON number as string"}, is: event.ErrInvalid},
		{name: "bad timestamp", in: valid(map[string]any{"timestamp": "yesterday"}), wantErr: []string{"yesterday"}, is: event.ErrInvalid},
		{name: "unknown severity", in: valid(map[string]any{"severity": "critical"}), wantErr: []string{`severity: unknown value "critical"`, "Kustomization/flux-system/apps"}, is: event.ErrInvalid},
		{name: "missing severity", in: valid(map[string]any{"severity": nil}), wantErr: []string{"severity: required"}, is: event.ErrInvalid},
		{name: "missing message", in: valid(map[string]any{"message": ""}), wantErr: []string{"message: required"}, is: event.ErrInvalid},
		{name: "missing kind", in: valid(map[string]any{"involvedObject": map[string]any{"name": "apps"}}), wantErr: []string{"involvedObject.kind: required"}, is: event.ErrInvalid},
		{
			name:    "every problem at once",
			in:      []byte(`{"severity": "loud"}`),
			wantErr: []string{"(no involvedObject)", "involvedObject.kind: required", "involvedObject.name: required", `severity: unknown value "loud"`, "message: required"},
			is:      event.ErrInvalid,
		},
		{name: "too large", in: bytes.Repeat([]byte(" "), event.MaxSize+1), wantErr: []string{"exceeds 3 MiB"}, is: event.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := event.Unmarshal(tt.in)
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				require.NotNil(t, e)
				return
			}
			require.Error(t, err)
			assert.Nil(t, e)
			for _, w := range tt.wantErr {
				assert.Contains(t, err.Error(), w)
			}
			assert.ErrorIs(t, err, tt.is)
		})
	}
}

func TestUnmarshalAtMaxSize(t *testing.T) {
	body := valid(nil)
	padded := append(body, bytes.Repeat([]byte(" "), event.MaxSize-len(body))...)
	require.Len(t, padded, event.MaxSize)
	_, err := event.Unmarshal(padded)
	assert.NoError(t, err, "exactly MaxSize bytes is accepted")
}

func TestDecode(t *testing.T) {
	e, err := event.Decode(bytes.NewReader(readFile(t, "testdata/v1.json")))
	require.NoError(t, err)
	assert.Equal(t, "apps", e.InvolvedObject.Name)

	_, err = event.Decode(iotest.ErrReader(errors.New("connection reset")))
	assert.EqualError(t, err, "reading event: connection reset")

	// Decode stops reading after MaxSize+1 bytes.
	r := &countingReader{r: strings.NewReader(strings.Repeat(" ", 2*event.MaxSize))}
	_, err = event.Decode(r)
	assert.ErrorIs(t, err, event.ErrTooLarge)
	assert.LessOrEqual(t, r.n, event.MaxSize+1+512)
}

type countingReader struct {
	r interface{ Read([]byte) (int, error) }
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestValidate(t *testing.T) {
	e := event.New(corev1.ObjectReference{Kind: "Kustomization", Name: "apps"}, event.SeverityInfo, "Applied", "ok")
	assert.NoError(t, event.Validate(e))
	e.Severity = "nope"
	err := event.Validate(e)
	assert.ErrorIs(t, err, event.ErrInvalid)
	assert.EqualError(t, err, `invalid event Kustomization/apps: severity: unknown value "nope": want one of trace, info, warn, error`)

	err = event.Validate(nil)
	assert.ErrorIs(t, err, event.ErrInvalid, "a nil event is invalid, not a panic")
	assert.EqualError(t, err, "invalid event: no event (nil)")
}

func TestNew(t *testing.T) {
	obj := corev1.ObjectReference{APIVersion: "apps.example.com/v1", Kind: "Database", Name: "orders", Namespace: "shop"}
	at := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	before := time.Now().Add(-time.Second)

	e := event.New(obj, event.SeverityWarn, "BackupFailed", "backup failed: disk full")
	assert.Equal(t, obj, e.InvolvedObject)
	assert.Equal(t, "warn", e.Severity)
	assert.Equal(t, "BackupFailed", e.Reason)
	assert.Equal(t, "backup failed: disk full", e.Message)
	assert.False(t, e.Timestamp.Time.Before(before), "the timestamp defaults to now")
	assert.Nil(t, e.Metadata)
	assert.NoError(t, event.Validate(e))

	e = event.New(obj, event.SeverityError, "BackupFailed", "disk full",
		event.WithController("db-operator"),
		event.WithInstance("db-operator-0"),
		event.WithAction("Backup"),
		event.WithTimestamp(at),
		event.WithMetadata(map[string]string{"apps.example.com/size": "10Gi"}),
		event.WithMetadata(nil),
		event.WithRevision("v1.2.3"),
	)
	assert.Equal(t, "db-operator", e.ReportingController)
	assert.Equal(t, "db-operator-0", e.ReportingInstance)
	assert.Equal(t, "Backup", e.Action)
	assert.True(t, at.Equal(e.Timestamp.Time))
	assert.Equal(t, map[string]string{
		"apps.example.com/size":     "10Gi",
		"apps.example.com/revision": "v1.2.3",
	}, e.Metadata)
	rev, ok := event.Revision(e)
	assert.True(t, ok)
	assert.Equal(t, "v1.2.3", rev)

	// An event built by New survives the wire.
	data, err := json.Marshal(e)
	require.NoError(t, err)
	back, err := event.Unmarshal(data)
	require.NoError(t, err)
	assert.Equal(t, e.Metadata, back.Metadata)
	assert.True(t, at.Equal(back.Timestamp.Time))

	// Options that set metadata work in any order.
	e = event.New(obj, event.SeverityInfo, "R", "m", event.WithRevision("r1"), event.WithMetadata(map[string]string{"k": "v"}))
	assert.Equal(t, map[string]string{"apps.example.com/revision": "r1", "k": "v"}, e.Metadata)
}

func BenchmarkUnmarshal(b *testing.B) {
	data := readFile(b, "testdata/v1.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := event.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}
