package provider

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Redacted is what every form of a Secret shows.
const Redacted = "<redacted>"

// Secret holds a secret value (a token, a webhook URL, a password) so that
// it never shows by accident: String, GoString, Format (every fmt verb),
// LogValue, MarshalJSON and MarshalText all give "<redacted>" (or "" for
// an empty Secret), and printing a struct that holds a Secret, in an
// exported field or not, shows no byte of the value. Reveal returns the
// value, for the one place that sends it. The zero Secret is empty.
//
// Hold secrets in Secret fields rather than writing String, Format and
// LogValue methods for each type that holds one (see log/slog's LogValuer
// example).
type Secret struct {
	// p points to the value: fmt prints a pointer inside a struct as an
	// address, never as what it points to.
	p *string
}

// NewSecret returns a Secret holding v.
func NewSecret(v string) Secret {
	if v == "" {
		return Secret{}
	}
	return Secret{p: &v}
}

// Reveal returns the secret value.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsZero reports whether s is empty.
func (s Secret) IsZero() bool { return s.p == nil || *s.p == "" }

// String returns "<redacted>", or "" for an empty Secret.
func (s Secret) String() string {
	if s.IsZero() {
		return ""
	}
	return Redacted
}

// GoString is String, so %#v shows no secret.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// Format prints String for every verb.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = io.WriteString(f, strconv.Quote(s.String()))
		return
	}
	_, _ = io.WriteString(f, s.String())
}

// LogValue makes log/slog log String.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON encodes String.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText encodes String.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// minSecretPart is the length from which a part of a secret URL (a path
// segment, a query value, a user name) is treated as a secret of its own:
// a server may echo it alone.
const minSecretPart = 8

// secretNeedles returns what to look for in text to redact secrets: each
// secret; for a URL, its path and query with and without the leading
// slash, every path segment, query value and user name long enough to be
// secret (minSecretPart, with a digit or an upper-case letter unless
// longer), its password, the base64 of "user:password" (as sent in a
// Proxy-Authorization header), and a host label that looks generated (16
// characters or more, with a digit); for a header value such as "Bearer
// xyz", each word long enough; plus each needle's URL-escaped forms. They
// come longest first.
func secretNeedles(secrets []string) []string {
	seen := make(map[string]bool)
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		add(sec)
		if u, err := url.Parse(sec); err == nil && u.Host != "" {
			if rest := u.RequestURI(); len(rest) > 1 {
				add(rest)
				add(strings.TrimPrefix(rest, "/"))
			}
			if p := strings.Trim(u.EscapedPath(), "/"); p != "" {
				add(p)
				for seg := range strings.SplitSeq(p, "/") {
					if secretLooking(seg) {
						add(seg)
						if s, err := url.PathUnescape(seg); err == nil {
							add(s)
						}
					}
				}
			}
			if u.RawQuery != "" {
				add(u.RawQuery)
				for _, vs := range u.Query() {
					for _, v := range vs {
						if len(v) >= minSecretPart {
							add(v)
						}
					}
				}
			}
			if u.User != nil {
				user := u.User.Username()
				pw, hasPW := u.User.Password()
				if len(user) >= minSecretPart {
					add(user)
				}
				if pw != "" {
					add(pw)
				}
				if hasPW {
					for _, b := range base64Forms(user + ":" + pw) {
						add(b)
					}
				}
			}
			for label := range strings.SplitSeq(u.Hostname(), ".") {
				if generatedLabel(label) {
					add(label)
				}
			}
		} else if strings.ContainsAny(sec, " \t") {
			for _, w := range strings.Fields(sec) {
				if len(w) >= minSecretPart {
					add(w)
				}
			}
		}
	}
	for _, n := range slices.Clone(out) {
		add(url.QueryEscape(n))
		add(url.PathEscape(n))
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// secretLooking reports whether a path segment or word is long enough to
// be a secret: minSecretPart characters with a digit or an upper-case
// letter ("T00000000", "B0A1C2"), or twice that ("abcdefghijklmnop"); plain
// words such as "services" or "webhooks" are not.
func secretLooking(s string) bool {
	if len(s) >= 2*minSecretPart {
		return true
	}
	if len(s) < minSecretPart {
		return false
	}
	return strings.ContainsAny(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
}

// generatedLabel reports whether a host name label looks generated, and so
// secret: 16 characters or more, with a digit.
func generatedLabel(s string) bool {
	return len(s) >= 2*minSecretPart && strings.ContainsAny(s, "0123456789")
}

// base64Forms returns s in standard and URL base64, with and without
// padding.
func base64Forms(s string) []string {
	b := []byte(s)
	out := []string{base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b)}
	if u := base64.URLEncoding.EncodeToString(b); u != out[0] {
		out = append(out, u, base64.RawURLEncoding.EncodeToString(b))
	}
	if out[0] == out[1] {
		out = out[1:]
	}
	return out
}

// decodeEscapes returns s with its escapes decoded — percent-encoding
// (%2F and %2f), JSON's \uXXXX, \/, \" and \\ — and, for each byte of the
// result, the offset in s where the text it comes from starts (plus one
// last entry, len(s)).
func decodeEscapes(s string) ([]byte, []int) {
	dec := make([]byte, 0, len(s))
	pos := make([]int, 0, len(s)+1)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			dec = append(dec, unhex(s[i+1])<<4|unhex(s[i+2]))
			pos = append(pos, i)
			i += 3
			continue
		case c == '\\' && i+1 < len(s):
			switch s[i+1] {
			case '/', '"', '\\':
				dec = append(dec, s[i+1])
				pos = append(pos, i)
				i += 2
				continue
			case 'u':
				if i+6 <= len(s) {
					if r, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil && !(r >= 0xD800 && r < 0xE000) {
						n := len(dec)
						dec = utf8.AppendRune(dec, rune(r))
						for range len(dec) - n {
							pos = append(pos, i)
						}
						i += 6
						continue
					}
				}
			}
		}
		dec = append(dec, c)
		pos = append(pos, i)
		i++
	}
	return dec, append(pos, len(s))
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// redact replaces in s every occurrence of a needle, as written or once its
// escapes are decoded (percent-encoding in either case, JSON escapes), with
// "<redacted>". Overlapping occurrences become one.
func redact(s string, needles []string) string {
	if len(needles) == 0 || s == "" {
		return s
	}
	type span struct{ start, end int }
	var spans []span
	find := func(text string, toSource func(i int) int) {
		for _, n := range needles {
			for from := 0; ; {
				i := strings.Index(text[from:], n)
				if i < 0 {
					break
				}
				i += from
				spans = append(spans, span{toSource(i), toSource(i + len(n))})
				from = i + 1
			}
		}
	}
	find(s, func(i int) int { return i })
	if strings.ContainsAny(s, `%\`) {
		dec, pos := decodeEscapes(s)
		find(string(dec), func(i int) int { return pos[i] })
	}
	if len(spans) == 0 {
		return s
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var b strings.Builder
	last := 0
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		for i++; i < len(spans) && spans[i].start <= end; i++ {
			end = max(end, spans[i].end)
		}
		if start < last { // inside the previous span
			start = last
		}
		b.WriteString(s[last:start])
		b.WriteString(Redacted)
		last = max(last, end)
	}
	b.WriteString(s[last:])
	return b.String()
}
