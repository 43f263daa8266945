package suggest

import (
	"strings"
	"testing"
)

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"eventSeverty", "eventSeverity", 1},
		{"discrod", "discord", 1}, // a swap is one edit
		{"sned", "send", 1},
		{"ab", "ba", 1},
		{"ca", "abc", 3},
		{"kitten", "sitting", 3},
		{"same", "same", 0},
		{strings.Repeat("a", 65), "a", 1 << 20},
	} {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestDistanceAllocates(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { Distance("eventSeverty", "eventSeverity") }); n != 0 {
		t.Errorf("Distance allocates %v times", n)
	}
}
