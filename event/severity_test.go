package event_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/event"
)

func TestParseSeverity(t *testing.T) {
	tests := []struct {
		in      string
		want    event.Severity
		wantErr bool
	}{
		{in: "trace", want: event.SeverityTrace},
		{in: "info", want: event.SeverityInfo},
		{in: "warn", want: event.SeverityWarn},
		{in: "error", want: event.SeverityError},
		{in: "INFO", want: event.SeverityInfo},
		{in: "Error", want: event.SeverityError},
		{in: "warning", want: event.SeverityWarn},
		{in: "Warning", want: event.SeverityWarn},
		{in: " error ", want: event.SeverityError},
		{in: "", wantErr: true},
		{in: "critical", wantErr: true},
		{in: "warnings", wantErr: true},
		{in: "err", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := event.ParseSeverity(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), `unknown severity "`+tt.in+`"`)
				assert.Contains(t, err.Error(), "trace, info, warn, error")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSeverityOrder(t *testing.T) {
	assert.True(t, slices.IsSorted(event.Severities[:]))
	assert.Less(t, event.SeverityTrace, event.SeverityInfo)
	assert.Less(t, event.SeverityInfo, event.SeverityWarn)
	assert.Less(t, event.SeverityWarn, event.SeverityError)
	for _, s := range event.Severities {
		assert.True(t, s.Valid())
		back, err := event.ParseSeverity(s.String())
		require.NoError(t, err)
		assert.Equal(t, s, back, "String and ParseSeverity round-trip")
	}
}

func TestSeverityInvalid(t *testing.T) {
	for _, s := range []event.Severity{0, event.SeverityError + 1, 255} {
		assert.False(t, s.Valid())
		assert.Contains(t, s.String(), "Severity(")
		_, err := s.MarshalText()
		assert.Error(t, err)
	}
}

func TestSeverityText(t *testing.T) {
	type doc struct {
		Level event.Severity `json:"level"`
	}
	data, err := json.Marshal(doc{Level: event.SeverityWarn})
	require.NoError(t, err)
	assert.JSONEq(t, `{"level": "warn"}`, string(data))

	var d doc
	require.NoError(t, json.Unmarshal([]byte(`{"level": "Warning"}`), &d))
	assert.Equal(t, event.SeverityWarn, d.Level)
	assert.Error(t, json.Unmarshal([]byte(`{"level": "loud"}`), &d))
	assert.Error(t, json.Unmarshal([]byte(`{"level": 3}`), &d))

	_, err = json.Marshal(doc{})
	assert.Error(t, err, "the zero Severity is not valid")
}

func BenchmarkParseSeverity(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range [...]string{"info", "error", "Warning", "TRACE"} {
			if _, err := event.ParseSeverity(s); err != nil {
				b.Fatal(err)
			}
		}
	}
}
