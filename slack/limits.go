package slack

import (
	"strings"
	"unicode/utf8"
)

// Slack's limits, in characters, enforced before sending. Content over a
// limit is cut and ends with marker; it is never rejected.
const (
	// maxText bounds a message's and an attachment's text (Slack truncates
	// longer text itself).
	maxText = 40000
	// maxSectionText bounds the text of a section block.
	maxSectionText = 3000
	// maxHeader bounds the plain text of a header block.
	maxHeader = 150
	// maxFieldText bounds each field of a section block, and each title
	// and value of an attachment field.
	maxFieldText = 2000
	// maxSectionFields is the number of fields one section block holds.
	maxSectionFields = 10
	// maxContextElements is the number of elements of a context block.
	maxContextElements = 10
	// maxBlocks is the number of blocks of one message.
	maxBlocks = 50
	// maxAttachmentFields bounds the fields of an attachment (Slack sets no
	// number; we keep messages readable and bounded).
	maxAttachmentFields = 100
	// maxFieldsText bounds the text of all the fields of a message
	// together (our choice: Slack's limit on a message's text), so that
	// thousands of metadata entries make a long message, not a huge one.
	maxFieldsText = maxText
	// maxButtonText bounds a button's label.
	maxButtonText = 75
	// maxURL is the longest URL a button may carry; a longer link is
	// dropped, since a cut URL would be wrong.
	maxURL = 3000
	// maxFallback bounds the plain-text summary Slack shows in
	// notifications (our choice, not Slack's).
	maxFallback = 300
	// maxMarkdownBlock bounds the text of a markdown block.
	maxMarkdownBlock = 12000
)

// marker ends every text that was cut.
const marker = "…"

// cut returns s when it has at most limit characters, else its first
// limit-1 characters followed by marker. It never cuts an HTML entity
// ("&amp;") or a Slack link ("<https://…|text>") in two: the broken piece is
// dropped, so the result is never longer than limit characters and never
// more markup than s was.
func cut(s string, limit int) string {
	if len(s) <= limit || utf8.RuneCountInString(s) <= limit {
		return s
	}
	if limit < 1 {
		return ""
	}
	i := 0
	for n := 0; n < limit-1; n++ {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	head := s[:i]
	// An entity is at most "&amp;" long: drop a '&' without its ';'.
	if j := strings.LastIndexByte(head, '&'); j >= 0 && len(head)-j < len("&amp;") && !strings.Contains(head[j:], ";") {
		head = head[:j]
	}
	// Escaped text has no bare '<': one without its '>' opens a link.
	if j := strings.LastIndexByte(head, '<'); j >= 0 && !strings.Contains(head[j:], ">") {
		head = head[:j]
	}
	return head + marker
}

// firstLine returns s up to its first line break.
func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i] + marker
	}
	return s
}
