package event

import (
	"fmt"
	"strings"
)

// Severity is the level of an event. Levels are ordered: SeverityTrace <
// SeverityInfo < SeverityWarn < SeverityError, so a threshold can be checked
// with a comparison. The zero value is not a valid severity.
type Severity uint8

// The known severities, in increasing order.
const (
	SeverityTrace Severity = iota + 1
	SeverityInfo
	SeverityWarn
	SeverityError
)

// Severities lists every known severity in increasing order.
var Severities = [...]Severity{SeverityTrace, SeverityInfo, SeverityWarn, SeverityError}

var severityNames = [...]string{"", "trace", "info", "warn", "error"}

// ParseSeverity parses s case-insensitively. "warning" is accepted as
// SeverityWarn. Any other unknown value, including the empty string, is an
// error that quotes the value and lists the accepted ones.
func ParseSeverity(s string) (Severity, error) {
	if sev, ok := lookupSeverity(s); ok {
		return sev, nil
	}
	return 0, fmt.Errorf("unknown severity %q: want one of trace, info, warn, error", s)
}

func lookupSeverity(s string) (Severity, bool) {
	// Fast path for the canonical lower-case spellings Flux sends.
	switch s {
	case "info":
		return SeverityInfo, true
	case "error":
		return SeverityError, true
	case "trace":
		return SeverityTrace, true
	case "warn":
		return SeverityWarn, true
	}
	// Any other case or surrounding space, without allocating.
	s = strings.TrimSpace(s)
	for _, sev := range Severities {
		if strings.EqualFold(s, severityNames[sev]) {
			return sev, true
		}
	}
	if strings.EqualFold(s, "warning") {
		return SeverityWarn, true
	}
	return 0, false
}

// String returns the canonical lower-case name ("trace", "info", "warn",
// "error"), or "Severity(N)" for an invalid value.
func (s Severity) String() string {
	if s.Valid() {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", uint8(s))
}

// Valid reports whether s is one of the known severities.
func (s Severity) Valid() bool { return s >= SeverityTrace && s <= SeverityError }

// MarshalText encodes s as its canonical name.
func (s Severity) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("invalid severity %d", uint8(s))
	}
	return []byte(severityNames[s]), nil
}

// UnmarshalText parses text with ParseSeverity.
func (s *Severity) UnmarshalText(text []byte) error {
	v, err := ParseSeverity(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// SeverityOf returns the parsed severity of e.
func SeverityOf(e *Event) (Severity, error) {
	return ParseSeverity(e.Severity)
}
