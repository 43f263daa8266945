package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// This file templates Spec.Blocks as a generic JSON tree: every string in it
// is a template, everything else is kept as written. It knows nothing of
// Block Kit: the Slack notifier (package slack) lays out its default
// blocks, applies Slack's limits to these and builds the payload.

// segment is a piece of the Blocks JSON: literal JSON text, then optionally
// one templated string, rendered and quoted at Render time.
type segment struct {
	lit []byte
	str *field
}

// blocks parses raw, a JSON array (or a JSON string holding one, as a YAML
// block scalar gives), into segments: everything but the templated strings
// is encoded once, here, keeping the order of object keys.
func (p *parser) blocks(raw json.RawMessage) ([]segment, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, &FieldError{Field: "blocks", Err: err}
		}
		raw = bytes.TrimSpace([]byte(s))
	}
	if len(raw) == 0 || raw[0] != '[' {
		return nil, &FieldError{Field: "blocks", Err: errors.New("must be a JSON array of Block Kit blocks")}
	}
	b := blocksParser{p: p, dec: json.NewDecoder(bytes.NewReader(raw))}
	b.dec.UseNumber()
	if err := b.value("blocks", 0); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, &FieldError{Field: "blocks", Err: err}
	}
	if _, err := b.dec.Token(); err != io.EOF {
		return nil, &FieldError{Field: "blocks", Err: errors.New("unexpected data after the array")}
	}
	b.flush(nil)
	return b.segs, nil
}

// maxBlocksDepth bounds the nesting of arrays and objects in Blocks. Block
// Kit nests a few levels (rich_text: blocks, elements, elements, style);
// without a bound, the field path of each level, which repeats the path of
// the level above, made a deep array cost memory quadratic in its depth.
const maxBlocksDepth = 64

type blocksParser struct {
	p    *parser
	dec  *json.Decoder
	lit  []byte
	segs []segment
}

func (b *blocksParser) flush(f *field) {
	b.segs = append(b.segs, segment{lit: b.lit, str: f})
	b.lit = nil
}

func (b *blocksParser) value(path string, depth int) error {
	tok, err := b.dec.Token()
	if err != nil {
		return err
	}
	switch tok := tok.(type) {
	case json.Delim:
		if depth == maxBlocksDepth {
			return &FieldError{Field: path, Err: fmt.Errorf("arrays and objects nested more than %d levels deep", maxBlocksDepth)}
		}
		switch tok {
		case '[':
			b.lit = append(b.lit, '[')
			for i := 0; b.dec.More(); i++ {
				if i > 0 {
					b.lit = append(b.lit, ',')
				}
				if err := b.value(path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
					return err
				}
			}
			b.lit = append(b.lit, ']')
		case '{':
			b.lit = append(b.lit, '{')
			for i := 0; b.dec.More(); i++ {
				if i > 0 {
					b.lit = append(b.lit, ',')
				}
				k, err := b.dec.Token()
				if err != nil {
					return err
				}
				key, _ := k.(string)
				b.lit = appendJSONString(b.lit, key)
				b.lit = append(b.lit, ':')
				if err := b.value(path+"."+key, depth+1); err != nil {
					return err
				}
			}
			b.lit = append(b.lit, '}')
		}
		// Consume the closing delimiter.
		if _, err := b.dec.Token(); err != nil {
			return err
		}
	case string:
		f, err := b.p.field(path, tok)
		if err != nil {
			return err
		}
		if f.tmpl == nil {
			b.lit = appendJSONString(b.lit, tok)
			return nil
		}
		b.flush(&f)
	case json.Number:
		b.lit = append(b.lit, tok...)
	case bool:
		b.lit = strconv.AppendBool(b.lit, tok)
	case nil:
		b.lit = append(b.lit, "null"...)
	default:
		return fmt.Errorf("%s: unexpected JSON token %v", path, tok)
	}
	return nil
}

// blocks renders segs into a JSON array. The array counts towards
// MaxTotalOutput as encoded, literal JSON and quoting included.
func (r *renderer) blocks(segs []segment) (json.RawMessage, error) {
	start := r.total
	size := 0
	for _, s := range segs {
		size += len(s.lit)
	}
	if start+size > MaxTotalOutput {
		return nil, &FieldError{Field: "blocks", Err: errTotal}
	}
	out := make([]byte, 0, size+64*len(segs))
	litLeft := size // literal JSON still to come
	for _, s := range segs {
		out = append(out, s.lit...)
		litLeft -= len(s.lit)
		if s.str == nil {
			continue
		}
		r.total = start + len(out) + litLeft
		if err := r.exec(s.str); err != nil {
			return nil, err
		}
		out = appendJSONFit(out, r.buf.Bytes(), MaxTotalOutput-start-len(out)-litLeft, r.st.w.esc != nil)
	}
	r.total = start + len(out)
	return out, nil
}

// appendJSONFit appends s to dst as a JSON string of at most room bytes: s
// is cut (at a rune boundary, never inside an escape when markup is set,
// and ending with TruncateMarker) when its JSON form is longer.
func appendJSONFit(dst, s []byte, room int, markup bool) []byte {
	n := len(dst)
	dst = appendJSONString(dst, s)
	for i := 0; len(dst)-n > room && i < 8; i++ {
		// Keep the share of s that fits, as escaping goes in s.
		keep := len(s) * max(room-2-len(TruncateMarker), 0) / max(len(dst)-n-2, 1)
		head := s[:runeStart(s, min(keep, max(len(s)-1, 0)))]
		if markup {
			head = trimMarkup(head)
		}
		s = append(head[:len(head):len(head)], TruncateMarker...)
		dst = appendJSONString(dst[:n], s)
	}
	if len(dst)-n > room {
		dst = append(dst[:n], `""`...)
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s to dst as a JSON string. Invalid UTF-8 becomes
// U+FFFD; control characters and U+2028/U+2029 are escaped; <, > and & are
// kept as they are (Slack reads them as mrkdwn, already escaped).
func appendJSONString[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
