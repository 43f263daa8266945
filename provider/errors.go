package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Error is a classified delivery failure. It carries what the destination
// answered so callers can decide, log and test without parsing strings.
type Error struct {
	// StatusCode is the HTTP status, or 0 when no response arrived.
	StatusCode int
	// RetryAfter is the wait the destination asked for (429 or 503
	// Retry-After), or 0.
	RetryAfter time.Duration
	// Code is the destination's own error string, for example Slack's
	// "channel_not_found" or "invalid_payload"; may be empty.
	Code string
	// Retryable reports whether trying again may succeed: network errors,
	// 429 and 5xx are retryable; other 4xx and Slack's ok:false are not.
	Retryable bool
	// Err is the underlying cause, already free of secrets.
	Err error
}

// Error describes the failure without any secret.
func (e *Error) Error() string {
	var b strings.Builder
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "status %d", e.StatusCode)
	}
	if e.Code != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Code)
	}
	if e.Err != nil {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if b.Len() == 0 {
		return "delivery failed"
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// IsRetryable reports whether err is worth another attempt: a *Error marked
// Retryable, or any error that is not a *Error and not a context
// cancellation (an unclassified failure is treated like a network error).
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Retryable
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// ClassifyResponse turns an HTTP answer into nil (2xx) or a *Error: 429 and
// 5xx are retryable, with Retry-After honoured (seconds or an HTTP date);
// other statuses are permanent. body is the start of the response body; a
// short plain-text body (Slack's "invalid_payload") becomes Code.
func ClassifyResponse(resp *http.Response, body []byte) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	e := &Error{StatusCode: resp.StatusCode, Code: bodyCode(body)}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Retryable = true
	case resp.StatusCode >= 500:
		e.Retryable = true
	}
	if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && e.Retryable {
		e.RetryAfter = d
	}
	return e
}

// maxCodeLen bounds the body text kept as Error.Code.
const maxCodeLen = 200

// bodyCode keeps the start of a plain-text body as an error code, on one
// line and valid UTF-8. An HTML error page says nothing useful: it gives "".
func bodyCode(body []byte) string {
	s := strings.TrimSpace(string(body))
	if strings.Contains(s, "<") {
		return ""
	}
	if len(s) > maxCodeLen {
		cut := maxCodeLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Join(strings.Fields(s), " ")
}

// maxRetryAfter bounds what ParseRetryAfter returns, so arithmetic on it
// never overflows; RetryPolicy.MaxWait caps it far lower anyway.
const maxRetryAfter = 24 * time.Hour

// ParseRetryAfter parses a Retry-After header, in seconds or as an HTTP
// date, relative to now. It reports false for an empty or invalid value.
// A date in the past is a wait of 0; waits are capped at 24 hours.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		// A huge value must not overflow into a negative wait.
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	} else if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(v, "-") {
		return maxRetryAfter, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter), true
	}
	return 0, false
}

// RedactURL returns u with everything after the host replaced, so a webhook
// URL (whose path is the secret) can be named in a message:
// "https://hooks.slack.com/services/T0/B0/XXX" becomes
// "https://hooks.slack.com/<redacted>". Credentials in the URL are dropped,
// and so is a host label that looks generated (16 characters or more, with
// a digit: "https://<redacted>.webhook.example.com/<redacted>"). A value
// that does not parse as a URL is redacted whole.
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return "<redacted>"
	}
	host := p.Host
	if labels := strings.Split(host, "."); slices.ContainsFunc(labels, generatedLabel) {
		for i, l := range labels {
			if generatedLabel(l) {
				labels[i] = Redacted
			}
		}
		host = strings.Join(labels, ".")
	}
	out := p.Scheme + "://" + host
	if (p.Path != "" && p.Path != "/") || p.RawQuery != "" || p.User != nil {
		out += "/<redacted>"
	}
	return out
}

// Redact replaces in s every occurrence of each non-empty secret with
// "<redacted>", in every form a server or a library may echo it:
//
//   - as written, URL-escaped (query or path), percent-encoded in either
//     case (%2F, %2f), or JSON-escaped (\/, \u0053);
//   - for a URL: its path and query with or without the leading slash,
//     each path segment, query value and user name long enough to be
//     secret (8 characters with a digit or an upper-case letter, or 16),
//     its password, the base64 of "user:password" (a proxy's
//     Proxy-Authorization), and a host label that looks generated (16
//     characters or more, with a digit);
//   - for a value of several words ("Bearer xyz"), each word of 8
//     characters or more.
//
// Overlapping occurrences are redacted as one, so a short secret inside a
// longer one (a path inside its URL) never leaves part of the longer one
// shown.
func Redact(s string, secrets ...string) string {
	return redact(s, secretNeedles(secrets))
}

// SanitizeError returns an error whose text has every secret redacted,
// including the beginning of a secret where ClassifyResponse cut a long
// answer. A *url.Error (which net/http returns, quoting the URL) is reduced
// to its operation and cause. Classification survives: the result is a *Error,
// retryable unless err is a context cancellation or already a permanent
// *Error.
func SanitizeError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	var pe *Error
	if errors.As(err, &pe) {
		cp := *pe
		cp.Code = redactCode(cp.Code, secrets...) // a server may echo the secret back
		if cp.Err != nil {
			cp.Err = redactedError{msg: Redact(stripURLError(cp.Err).Error(), secrets...), cause: cp.Err}
		}
		return &cp
	}
	cause := stripURLError(err)
	return &Error{
		Retryable: !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded),
		Err:       redactedError{msg: Redact(cause.Error(), secrets...), cause: cause},
	}
}

// redactCode redacts the secrets in code, a destination's answer. When
// the answer was cut (ClassifyResponse keeps its start and ends it with
// "…"), the cut may have fallen inside a secret: its beginning, at the end
// of code, is redacted too.
func redactCode(code string, secrets ...string) string {
	code = Redact(code, secrets...)
	head, cut := strings.CutSuffix(code, "…")
	if !cut {
		return code
	}
	longest := 0
	for _, f := range secretNeedles(secrets) {
		for n := min(len(f), len(head)); n > longest; n-- {
			if strings.HasSuffix(head, f[:n]) {
				longest = n
				break
			}
		}
	}
	if longest == 0 {
		return code
	}
	return head[:len(head)-longest] + "<redacted>…"
}

func stripURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s request: %w", strings.ToUpper(ue.Op), ue.Err)
	}
	return err
}

// redactedError shows a redacted message but keeps the cause for errors.Is
// (context.Canceled, net.Error, ...).
type redactedError struct {
	msg   string
	cause error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.cause }
