package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/fluxnotify/fluxnotify/template"
)

// defaultBlocks lays p out as Block Kit: header, message, fields, context
// line and link buttons, within Slack's limits. It returns nil when there
// is nothing to show.
func defaultBlocks(d *template.Data, p parts) any {
	blocks := make([]slack.Block, 0, 5)
	if p.title != "" {
		blocks = append(blocks, slack.NewHeaderBlock(plainText(cut(p.title, maxHeader))))
	}
	if p.text != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(cut(p.text, maxSectionText)), nil, nil))
	}
	context, actions := contextBlock(d), actionsBlock(d)
	tail := 0
	if context != nil {
		tail++
	}
	if actions != nil {
		tail++
	}
	blocks = appendFieldSections(blocks, p.fields, maxBlocks-len(blocks)-tail)
	if context != nil {
		blocks = append(blocks, context)
	}
	if actions != nil {
		blocks = append(blocks, actions)
	}
	if len(blocks) == 0 {
		return nil
	}
	return blocks
}

// emoji is the "emoji": true of plain text objects; shared, never written.
var emoji = true

func plainText(s string) *slack.TextBlockObject {
	return &slack.TextBlockObject{Type: slack.PlainTextType, Text: s, Emoji: &emoji}
}

func mrkdwn(s string) *slack.TextBlockObject {
	return &slack.TextBlockObject{Type: slack.MarkdownType, Text: s}
}

// appendFieldSections adds fields as sections of at most ten fields each,
// using at most budget blocks; fields that do not fit are counted in a last
// "… N more" field.
func appendFieldSections(blocks []slack.Block, fields []template.Field, budget int) []slack.Block {
	if len(fields) == 0 || budget <= 0 {
		return blocks
	}
	capacity := budget * maxSectionFields
	texts := make([]*slack.TextBlockObject, 0, min(len(fields), capacity))
	total := 0
	for i, f := range fields {
		var s string
		switch {
		case f.Title != "" && f.Value != "":
			s = "*" + f.Title + "*\n" + f.Value
		case f.Title != "":
			s = "*" + f.Title + "*"
		default:
			s = f.Value
		}
		if s == "" {
			continue
		}
		s = cut(s, maxFieldText)
		total += utf8.RuneCountInString(s)
		if len(texts) == capacity-1 && i < len(fields)-1 || total > maxFieldsText {
			texts = append(texts, mrkdwn(marker+" "+strconv.Itoa(len(fields)-i)+" more"))
			break
		}
		texts = append(texts, mrkdwn(s))
	}
	for len(texts) > 0 {
		n := min(len(texts), maxSectionFields)
		blocks = append(blocks, slack.NewSectionBlock(nil, texts[:n:n], nil))
		texts = texts[n:]
	}
	return blocks
}

// contextBlock is the line under the message: severity and reason,
// controller, time (shown in the reader's time zone) and cluster.
func contextBlock(d *template.Data) slack.Block {
	// One allocation for the block and its elements.
	var c struct {
		block textContext
		ptrs  [4]*slack.TextBlockObject
		objs  [4]slack.TextBlockObject
	}
	elems := c.ptrs[:0]
	add := func(s string) {
		o := &c.objs[len(elems)]
		o.Type, o.Text = slack.MarkdownType, s
		elems = append(elems, o)
	}
	switch {
	case d.Severity != "" && d.Reason != "":
		add(cut("*"+template.EscapeSlack(d.Severity)+"* · "+template.EscapeSlack(d.Reason), maxFieldText))
	case d.Severity != "":
		add(cut("*"+template.EscapeSlack(d.Severity)+"*", maxFieldText))
	case d.Reason != "":
		add(cut(template.EscapeSlack(d.Reason), maxFieldText))
	}
	if d.Controller != "" {
		add(cut(template.EscapeSlack(d.Controller), maxFieldText))
	}
	if !d.Timestamp.IsZero() {
		t := d.Timestamp.UTC()
		// Slack shows <!date^…> in the reader's time zone, the text after
		// '|' where it cannot.
		b := make([]byte, 0, 80)
		b = append(b, "<!date^"...)
		b = strconv.AppendInt(b, t.Unix(), 10)
		b = append(b, "^{date_short_pretty} {time_secs}|"...)
		b = t.AppendFormat(b, "2006-01-02 15:04:05 UTC")
		add(string(append(b, '>')))
	}
	if d.Cluster != "" {
		add(cut("cluster *"+template.EscapeSlack(d.Cluster)+"*", maxFieldText))
	}
	if len(elems) == 0 {
		return nil
	}
	block := &c.block
	*block = textContext{Type: slack.MBTContext, Elements: elems}
	return block
}

// actionsBlock holds link buttons to the commit and the dashboard, when
// their URLs are known and usable.
func actionsBlock(d *template.Data) slack.Block {
	var elems []*slack.ButtonBlockElement
	for _, l := range [...]struct{ label, url string }{
		{"View commit", d.Links.Commit},
		{"Open dashboard", d.Links.Dashboard},
	} {
		if !linkable(l.url) {
			continue
		}
		b := slack.NewButtonBlockElement("", "", plainText(cut(l.label, maxButtonText)))
		b.URL = l.url
		elems = append(elems, b)
	}
	if len(elems) == 0 {
		return nil
	}
	return &buttons{Type: slack.MBTAction, Elements: elems}
}

// textContext is a context block of text elements, and buttons an actions
// block of buttons. slack.ContextBlock and slack.ActionBlock encode their
// elements with json.Marshal, which escapes '<', '>' and '&' as \u003c...:
// valid, but not the JSON one reads in a golden file or a log.
type (
	textContext struct {
		Type     slack.MessageBlockType   `json:"type"`
		Elements []*slack.TextBlockObject `json:"elements"`
	}
	buttons struct {
		Type     slack.MessageBlockType      `json:"type"`
		Elements []*slack.ButtonBlockElement `json:"elements"`
	}
)

// BlockType returns "context".
func (b *textContext) BlockType() slack.MessageBlockType { return b.Type }

// ID returns "": the block has no block_id.
func (b *textContext) ID() string { return "" }

// BlockType returns "actions".
func (b *buttons) BlockType() slack.MessageBlockType { return b.Type }

// ID returns "": the block has no block_id.
func (b *buttons) ID() string { return "" }

// linkable reports whether u can be a button's URL.
func linkable(u string) bool {
	return u != "" && len(u) <= maxURL && (strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) &&
		!strings.ContainsAny(u, " <>\n")
}

// limitBlocks enforces Slack's limits on a Block Kit array rendered from a
// template: at most 50 blocks, header and section texts, section fields and
// context elements. Content over a limit is cut with marker. Blocks it
// does not know are left as they are. The result is raw when nothing was
// cut (compacted), re-encoded otherwise.
func limitBlocks(raw []byte) (json.RawMessage, error) {
	if withinLimits(raw) {
		return raw, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var blocks []any
	if err := dec.Decode(&blocks); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, errors.New("not a JSON array of blocks")
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	changed := false
	if len(blocks) > maxBlocks {
		rest := len(blocks) - (maxBlocks - 1)
		blocks = append(blocks[:maxBlocks-1], map[string]any{
			"type":     "context",
			"elements": []any{map[string]any{"type": "mrkdwn", "text": marker + " " + strconv.Itoa(rest) + " more blocks"}},
		})
		changed = true
	}
	for _, b := range blocks {
		if m, ok := b.(map[string]any); ok && limitBlock(m) {
			changed = true
		}
	}
	if !changed {
		return raw, nil // the payload's encoder compacts it
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(blocks); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// withinLimits is limitBlocks' fast path: a scan of the JSON text that
// reports true when no limit can be exceeded: at most maxBlocks blocks, no
// nested array of more than ten elements, no string longer than maxHeader
// bytes (the smallest text limit). It may report false for blocks within
// the limits; limitBlocks then checks them one by one.
func withinLimits(raw []byte) bool {
	const maxDepth = 32
	var (
		commas  [maxDepth]int
		isArray [maxDepth]bool
		depth   int
		inStr   bool
		escaped bool
		start   int
	)
	for i, c := range raw {
		if inStr {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inStr = false
				if i-start-1 > maxHeader {
					return false
				}
			}
			continue
		}
		switch c {
		case '"':
			inStr, start = true, i
		case '[', '{':
			if depth++; depth >= maxDepth {
				return false
			}
			commas[depth], isArray[depth] = 0, c == '['
		case ']', '}':
			if depth == 0 {
				return false
			}
			depth--
		case ',':
			if !isArray[depth] {
				continue
			}
			commas[depth]++
			limit := maxSectionFields
			if depth == 1 {
				limit = maxBlocks
			}
			if commas[depth] >= limit {
				return false
			}
		}
	}
	return depth == 0 && !inStr
}

// limitBlock cuts what is too long in one block; it reports a change.
func limitBlock(b map[string]any) bool {
	switch b["type"] {
	case "header":
		return cutTextObject(b["text"], maxHeader)
	case "section":
		changed := cutTextObject(b["text"], maxSectionText)
		if fields, ok := b["fields"].([]any); ok {
			if len(fields) > maxSectionFields {
				rest := len(fields) - (maxSectionFields - 1)
				fields = append(fields[:maxSectionFields-1], map[string]any{"type": "mrkdwn", "text": marker + " " + strconv.Itoa(rest) + " more"})
				b["fields"] = fields
				changed = true
			}
			for _, f := range fields {
				changed = cutTextObject(f, maxFieldText) || changed
			}
		}
		return changed
	case "context":
		changed := false
		if elems, ok := b["elements"].([]any); ok {
			if len(elems) > maxContextElements {
				elems = elems[:maxContextElements]
				elems[maxContextElements-1] = map[string]any{"type": "mrkdwn", "text": marker}
				b["elements"] = elems
				changed = true
			}
			for _, e := range elems {
				changed = cutTextObject(e, maxFieldText) || changed
			}
		}
		return changed
	case "markdown":
		if s, ok := b["text"].(string); ok {
			if c := cut(s, maxMarkdownBlock); c != s {
				b["text"] = c
				return true
			}
		}
	}
	return false
}

// cutTextObject cuts the "text" of a text object ({"type": "mrkdwn",
// "text": …}); it reports a change.
func cutTextObject(v any, limit int) bool {
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	s, ok := obj["text"].(string)
	if !ok {
		return false
	}
	if c := cut(s, limit); c != s {
		obj["text"] = c
		return true
	}
	return false
}
