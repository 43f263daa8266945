package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCut(t *testing.T) {
	tests := []struct {
		name  string
		s     string
		limit int
		want  string
	}{
		{"short", "abc", 3, "abc"},
		{"cut", "abcdef", 4, "abc…"},
		{"runes, not bytes", "ééééé", 3, "éé…"},
		{"multibyte within limit", "éé", 2, "éé"},
		{"no limit left", "abc", 0, ""},
		{"limit one", "abc", 1, "…"},
		{"entity kept whole", "a &amp; b", 7, "a &amp…"[:0] + "a …"},
		{"entity complete", "a &amp; b", 8, "a &amp;…"},
		{"link not cut in two", "see <https://example.com|x> now", 20, "see …"},
		{"link complete", "<https://e.com|x> now", 19, "<https://e.com|x> …"},
		{"invalid UTF-8 counts as one each", "\xff\xff\xff\xff", 3, "\xff\xff…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cut(tt.s, tt.limit)
			assert.Equal(t, tt.want, got)
			assert.LessOrEqual(t, utf8.RuneCountInString(got), max(tt.limit, 0))
		})
	}
}

// TestRender_Bounded feeds a megabyte-long event, with
// thousands of long metadata entries: the payload stays within Slack's
// limits and a bounded size, in every format.
func TestRender_Bounded(t *testing.T) {
	n := exampleNotification(nil)
	n.Data.Message = strings.Repeat("<!channel> & ", 1<<20/13)
	n.Data.Object.Name = strings.Repeat("n", 10000)
	n.Data.Reason = strings.Repeat("r", 10000)
	n.Data.Controller = strings.Repeat("c", 10000)
	n.Data.Metadata = make(map[string]string, 2000)
	for i := range 2000 {
		n.Data.Metadata[fmt.Sprintf("key-%05d-%s", i, strings.Repeat("k", 300))] = strings.Repeat("v", 3000)
	}
	for _, format := range []string{FormatFlux, FormatBlocks} {
		t.Run(format, func(t *testing.T) {
			body := render(t, exampleProvider(), n, WithFormat(format))
			require.True(t, json.Valid(body))
			assert.LessOrEqual(t, len(body), maxPayload, "payload of %d bytes", len(body))
			assert.NotContains(t, string(body), "<!channel>")
		})
	}
}

// maxPayload bounds the body of any message, for ASCII text: text, fields
// and the JSON around them.
const maxPayload = maxText + maxFieldsText + maxFieldText + maxFallback + maxAttachmentFields*64 + 16<<10

func TestWithinLimits(t *testing.T) {
	many := func(n int, elem string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(elem+",", n), ",") + "]"
	}
	tests := []struct {
		name string
		raw  string
		want bool
	}{
		{"small", `[{"type":"section","text":{"type":"mrkdwn","text":"a \"quoted\" ]} text"}}]`, true},
		{"50 blocks", many(50, `{"type":"divider"}`), true},
		{"51 blocks", many(51, `{"type":"divider"}`), false},
		{"10 fields", `[{"type":"section","fields":` + many(10, `{"type":"mrkdwn","text":"f"}`) + `}]`, true},
		{"11 fields", `[{"type":"section","fields":` + many(11, `{"type":"mrkdwn","text":"f"}`) + `}]`, false},
		{"long string", `[{"type":"header","text":{"type":"plain_text","text":"` + strings.Repeat("h", maxHeader+1) + `"}}]`, false},
		{"string at the limit", `[{"type":"header","text":{"type":"plain_text","text":"` + strings.Repeat("h", maxHeader) + `"}}]`, true},
		{"escaped backslash before the quote", `[{"text":"a\\"}]`, true},
		{"unbalanced", `[{"text":"a"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, withinLimits([]byte(tt.raw)))
			if tt.want {
				got, err := limitBlocks([]byte(tt.raw))
				require.NoError(t, err)
				assert.Equal(t, tt.raw, string(got), "nothing to cut: unchanged")
			}
		})
	}
}
