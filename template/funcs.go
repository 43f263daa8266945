package template

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"sync"
	ttemplate "text/template"
	"unicode/utf8"

	"github.com/Masterminds/sprig/v3"
)

// removedFuncs are the Sprig functions a template cannot use, with the
// reason. The set is closed: nothing a template calls can read the
// environment, a file or the network, or burn seconds of CPU.
var removedFuncs = map[string]string{
	// The environment.
	"env":       "reads the environment",
	"expandenv": "reads the environment",
	// The network.
	"getHostByName": "resolves names over the network",
	// Files: these load the time zone database from disk by a name the
	// template chooses.
	"dateInZone":     "reads the time zone database from disk",
	"date_in_zone":   "reads the time zone database from disk",
	"htmlDateInZone": "reads the time zone database from disk",
	// Key material and password hashing: no use in a message, and each call
	// costs from milliseconds to seconds of CPU.
	"bcrypt":                   "costly key derivation",
	"htpasswd":                 "costly key derivation",
	"derivePassword":           "costly key derivation",
	"genPrivateKey":            "generates key material",
	"genCA":                    "generates key material",
	"genCAWithKey":             "generates key material",
	"genSelfSignedCert":        "generates key material",
	"genSelfSignedCertWithKey": "generates key material",
	"genSignedCert":            "generates key material",
	"genSignedCertWithKey":     "generates key material",
	"buildCustomCert":          "generates key material",
	"encryptAES":               "handles key material",
	"decryptAES":               "handles key material",
}

var (
	funcsOnce sync.Once
	baseFuncs ttemplate.FuncMap
)

// Funcs returns a copy of the functions every template can call: Sprig's
// text functions minus the ones that read the environment, files or the
// network (env, expandenv, getHostByName, dateInZone, ...) or generate key
// material, with the ones that can multiply their input or build a value
// of a size they are given (repeat, indent, replace, printf, until,
// randAlpha, ...) bounded by MaxOutput, plus fluxnotify's own
// (slackEscape, slackLink, slackMention, truncate, commitURL, commitSHA,
// shortRevision, safe). See the package documentation for each.
//
// It is meant for people who build their own text/template with the same
// functions; templates parsed by Parse already have them.
func Funcs() ttemplate.FuncMap {
	return maps.Clone(funcs())
}

func funcs() ttemplate.FuncMap {
	funcsOnce.Do(func() { baseFuncs = buildFuncs() })
	return baseFuncs
}

func buildFuncs() ttemplate.FuncMap {
	m := sprig.TxtFuncMap()
	for name := range removedFuncs {
		delete(m, name)
	}

	// Bounded replacements of functions whose output can be far larger
	// than their input.
	m["repeat"] = boundedRepeat
	m["indent"] = boundedIndent
	m["nindent"] = func(spaces int, s string) (string, error) {
		out, err := boundedIndent(spaces, s)
		return "\n" + out, err
	}
	m["replace"] = boundedReplace
	m["regexReplaceAll"] = func(re, s, repl string) (string, error) { return regexReplace(re, s, repl, false) }
	m["mustRegexReplaceAll"] = m["regexReplaceAll"]
	m["regexReplaceAllLiteral"] = func(re, s, repl string) (string, error) { return regexReplace(re, s, repl, true) }
	m["mustRegexReplaceAllLiteral"] = m["regexReplaceAllLiteral"]
	m["wrapWith"] = boundedWrapWith(m["wrapWith"].(func(int, string, string) string))
	m["until"] = boundedUntil
	m["untilStep"] = boundedUntilStep
	m["seq"] = boundedSeq
	// The text/template builtins that format: a width or precision
	// ("%99999999d") would allocate before any check could run.
	for _, name := range []string{"randAlphaNum", "randAlpha", "randAscii", "randNumeric"} {
		m[name] = boundedRand(name, m[name].(func(int) string))
	}
	m["randBytes"] = boundedRandBytes(m["randBytes"].(func(int) (string, error)))
	// Functions that cut a string into pieces: a 3 MiB message can hold
	// millions, which cost far more than the message before any result
	// check (see boundedPieces).
	m["splitList"] = func(sep, s string) ([]string, error) { return splitPieces("splitList", sep, -1, s) }
	m["split"] = func(sep, s string) (map[string]string, error) {
		return piecesMap(splitPieces("split", sep, -1, s))
	}
	m["splitn"] = func(sep string, n int, s string) (map[string]string, error) {
		return piecesMap(splitPieces("splitn", sep, n, s))
	}
	m["regexFindAll"] = func(expr, s string, n int) ([]string, error) {
		re, err := compileRegexp(expr)
		if err != nil {
			return nil, err
		}
		return boundedPieces("regexFindAll", n, func(n int) []string { return re.re.FindAllString(s, n) })
	}
	m["mustRegexFindAll"] = m["regexFindAll"]
	m["regexSplit"] = func(expr, s string, n int) ([]string, error) {
		re, err := compileRegexp(expr)
		if err != nil {
			return nil, err
		}
		return boundedPieces("regexSplit", n, func(n int) []string { return re.re.Split(s, n) })
	}
	m["mustRegexSplit"] = m["regexSplit"]
	// The other regular expression functions, with the bounded, cached
	// compilation (Sprig's compile the expression at every call). Sprig's
	// regexMatch and regexFind return false and "" for an invalid
	// expression; these say why.
	m["regexMatch"] = func(expr, s string) (bool, error) {
		re, err := compileRegexp(expr)
		if err != nil {
			return false, err
		}
		return re.re.MatchString(s), nil
	}
	m["mustRegexMatch"] = m["regexMatch"]
	m["regexFind"] = func(expr, s string) (string, error) {
		re, err := compileRegexp(expr)
		if err != nil {
			return "", err
		}
		return re.re.FindString(s), nil
	}
	m["mustRegexFind"] = m["regexFind"]
	// The builtins that escape, as functions, so that they are charged to
	// the work budget like the others.
	m["html"] = ttemplate.HTMLEscaper
	m["js"] = ttemplate.JSEscaper
	m["urlquery"] = ttemplate.URLQueryEscaper
	// Sprig's uniq compares every item with every other: bounded.
	m["uniq"] = boundedUniq(m["uniq"].(func(any) []any))
	m["mustUniq"] = boundedMustUniq(m["mustUniq"].(func(any) ([]any, error)))
	m["printf"] = boundedPrintf
	m["print"] = boundedPrint(fmt.Sprint)
	m["println"] = boundedPrint(fmt.Sprintln)

	// Sprig's keys and hasKey take only map[string]any; these take any map
	// with string keys, .Metadata included, and keys sorts.
	m["keys"] = sortedKeys
	m["hasKey"] = hasKey

	// fluxnotify's own.
	m["slackEscape"] = func(s string) Safe { return Safe(EscapeSlack(s)) }
	m["slackLink"] = SlackLink
	m["slackMention"] = slackMention
	m["truncate"] = Truncate
	m["commitURL"] = CommitURL
	m["commitSHA"] = CommitSHA
	m["shortRevision"] = ShortRevision
	m["safe"] = func(s string) Safe { return Safe(s) }
	return m
}

// ErrTooLarge is wrapped by the error of a Render call that would produce
// a string over MaxOutput, a message over MaxTotalOutput, or a value over
// MaxOutput in a template function.
var ErrTooLarge = errors.New("over the size limit")

func tooLarge(fn string, n int) error {
	return fmt.Errorf("%s: would produce about %d bytes, more than %d: %w", fn, n, MaxOutput, ErrTooLarge)
}

func boundedRepeat(count int, s string) (string, error) {
	if count < 0 {
		return "", fmt.Errorf("repeat: negative count %d", count)
	}
	if count > 0 && len(s) > MaxOutput/count {
		return "", tooLarge("repeat", count*min(len(s), MaxOutput))
	}
	return strings.Repeat(s, count), nil
}

func boundedIndent(spaces int, s string) (string, error) {
	if spaces < 0 {
		return "", fmt.Errorf("indent: negative count %d", spaces)
	}
	lines := strings.Count(s, "\n") + 1
	if spaces > MaxOutput || lines*spaces > MaxOutput-len(s) {
		return "", tooLarge("indent", len(s)+lines*min(spaces, MaxOutput))
	}
	pad := strings.Repeat(" ", spaces)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad), nil
}

// boundedRand bounds a function that builds a string of count characters
// (ASCII: one byte each) before anything could check its result.
func boundedRand(name string, rand func(int) string) func(int) (string, error) {
	return func(count int) (string, error) {
		if count > MaxOutput {
			return "", tooLarge(name, count)
		}
		return rand(count), nil
	}
}

// boundedRandBytes bounds randBytes, whose result is count random bytes in
// base64 (4 characters for every 3 bytes).
func boundedRandBytes(randBytes func(int) (string, error)) func(int) (string, error) {
	return func(count int) (string, error) {
		if count > MaxOutput/4*3 {
			return "", tooLarge("randBytes", count/3*4)
		}
		return randBytes(count)
	}
}

// boundedPieces calls cut, a function returning at most n pieces of a
// string (all of them when n < 0), with n at most MaxOutput. Fewer than
// MaxOutput pieces are then all there are; a list of MaxOutput pieces or
// more prints to more than MaxOutput bytes and is refused anyway, so it is
// refused without building the rest.
func boundedPieces(fn string, n int, cut func(n int) []string) ([]string, error) {
	if n >= 0 && n < MaxOutput {
		return cut(n), nil
	}
	pieces := cut(MaxOutput)
	if len(pieces) == MaxOutput {
		return nil, fmt.Errorf("%s: %d pieces or more: %w", fn, MaxOutput, ErrTooLarge)
	}
	return pieces, nil
}

// splitPieces is strings.SplitN(s, sep, n), bounded by boundedPieces.
func splitPieces(fn, sep string, n int, s string) ([]string, error) {
	return boundedPieces(fn, n, func(n int) []string { return strings.SplitN(s, sep, n) })
}

// piecesMap is Sprig's split result: piece i under the key "_i".
func piecesMap(pieces []string, err error) (map[string]string, error) {
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(pieces))
	for i, p := range pieces {
		m["_"+strconv.Itoa(i)] = p
	}
	return m, nil
}

func boundedReplace(old, repl, s string) (string, error) {
	if len(repl) > len(old) {
		n := strings.Count(s, old)
		if n > 0 && len(repl)-len(old) > (MaxOutput-len(s))/n {
			return "", tooLarge("replace", len(s)+n*(len(repl)-len(old)))
		}
	}
	return strings.ReplaceAll(s, old, repl), nil
}

// regexReplace is Sprig's regexReplaceAll (literal: regexReplaceAllLiteral),
// building the result with a bound.
func regexReplace(expr, s, repl string, literal bool) (string, error) {
	c, err := compileRegexp(expr)
	if err != nil {
		return "", err
	}
	re := c.re
	var out []byte
	last := 0
	replace := func(m []int) error {
		out = append(out, s[last:m[0]]...)
		if literal {
			out = append(out, repl...)
		} else {
			out = re.ExpandString(out, repl, s, m)
		}
		last = m[1]
		if len(out) > MaxOutput {
			return tooLarge("regexReplaceAll", len(out))
		}
		return nil
	}
	if lookBehindFree(expr) {
		// Find the matches one at a time, as FindAll does, so that a
		// message with a million matches costs no million-entry list.
		// Searching s[pos:] instead of s from pos is the same when no
		// assertion (^, \b, ...) looks at what comes before pos.
		for pos, prevEnd := 0, -1; pos <= len(s); {
			m := re.FindStringSubmatchIndex(s[pos:])
			if m == nil {
				break
			}
			for i := range m {
				if m[i] >= 0 {
					m[i] += pos
				}
			}
			accept := true
			if m[1] == pos { // an empty match at pos
				accept = m[0] != prevEnd // none right after a match
				if _, w := utf8.DecodeRuneInString(s[pos:]); w > 0 {
					pos += w
				} else {
					pos++
				}
			} else {
				pos = m[1]
			}
			prevEnd = m[1]
			if accept {
				if err := replace(m); err != nil {
					return "", err
				}
			}
		}
	} else {
		for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
			if err := replace(m); err != nil {
				return "", err
			}
		}
	}
	out = append(out, s[last:]...)
	if len(out) > MaxOutput {
		return "", tooLarge("regexReplaceAll", len(out))
	}
	return string(out), nil
}

// lookBehindFree reports whether expr has no empty-width assertion (^, $,
// \A, \z, \b, \B), so that whether it matches at a position does not
// depend on the text before it.
func lookBehindFree(expr string) bool {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return false
	}
	var free func(*syntax.Regexp) bool
	free = func(r *syntax.Regexp) bool {
		switch r.Op {
		case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
			syntax.OpWordBoundary, syntax.OpNoWordBoundary:
			return false
		}
		for _, sub := range r.Sub {
			if !free(sub) {
				return false
			}
		}
		return true
	}
	return free(re)
}

func boundedWrapWith(wrap func(int, string, string) string) func(int, string, string) (string, error) {
	return func(l int, sep, s string) (string, error) {
		if l < 1 {
			l = 1
		}
		if n := len(s) + (len(s)/l+1)*len(sep); n > MaxOutput {
			return "", tooLarge("wrapWith", n)
		}
		return wrap(l, sep, s), nil
	}
}

// maxUniq bounds the lists uniq takes, which costs the square of their
// length.
const maxUniq = 2000

func uniqCheck(list any) error {
	v := reflect.ValueOf(list)
	if (v.Kind() == reflect.Slice || v.Kind() == reflect.Array) && v.Len() > maxUniq {
		return fmt.Errorf("uniq: %d items, more than %d", v.Len(), maxUniq)
	}
	return nil
}

func boundedUniq(uniq func(any) []any) func(any) ([]any, error) {
	return func(list any) ([]any, error) {
		if err := uniqCheck(list); err != nil {
			return nil, err
		}
		return uniq(list), nil
	}
}

func boundedMustUniq(uniq func(any) ([]any, error)) func(any) ([]any, error) {
	return func(list any) ([]any, error) {
		if err := uniqCheck(list); err != nil {
			return nil, err
		}
		return uniq(list)
	}
}

// maxItems bounds the lists until, untilStep and seq build.
const maxItems = 10000

func tooManyItems(fn string, n uint64) error {
	return fmt.Errorf("%s: %d items, more than %d", fn, n, maxItems)
}

// until, untilStep and seq are Sprig's, rewritten so that no argument can
// make them loop: Sprig's add step to a counter until it passes stop,
// which never happens when the counter overflows first
// (untilStep 9223372036854775000 9223372036854775807 500).

// boundedUntil is Sprig's until: 0 to n, n excluded, counting down when n is
// negative.
func boundedUntil(n int) ([]int, error) {
	step := 1
	if n < 0 {
		step = -1
	}
	return stepsUntil("until", 0, n, step)
}

// boundedUntilStep is Sprig's untilStep: start, start+step, ... while before
// stop; empty when step does not lead from start towards stop.
func boundedUntilStep(start, stop, step int) ([]int, error) {
	return stepsUntil("untilStep", start, stop, step)
}

// boundedSeq is Sprig's seq: "seq end" (from 1), "seq start end" and "seq
// start step end", end included, as a space-separated string.
func boundedSeq(p ...int) (string, error) {
	var start, stop, step int
	switch len(p) {
	case 1:
		start, step = 1, 1
		if p[0] < start {
			step = -1
		}
		stop = p[0] + step
	case 2:
		start, step = p[0], 1
		if p[1] < start {
			step = -1
		}
		stop = p[1] + step
	case 3:
		start, step = p[0], p[1]
		increment := 1
		if p[2] < start {
			if step > 0 {
				return "", nil
			}
			increment = -1
		}
		stop = p[2] + increment
	default:
		return "", nil
	}
	v, err := stepsUntil("seq", start, stop, step)
	if err != nil {
		return "", err
	}
	out := make([]byte, 0, len(v)*4)
	for i, n := range v {
		if i > 0 {
			out = append(out, ' ')
		}
		out = strconv.AppendInt(out, int64(n), 10)
	}
	return string(out), nil
}

// stepsUntil returns start, start+step, ... up to stop excluded (down to it
// when step is negative), computing the count first without overflow.
func stepsUntil(fn string, start, stop, step int) ([]int, error) {
	var dist, stride uint64
	switch {
	case stop > start && step > 0:
		dist, stride = uint64(stop)-uint64(start), uint64(step)
	case stop < start && step < 0:
		dist, stride = uint64(start)-uint64(stop), -uint64(step)
	default:
		return []int{}, nil
	}
	n := dist / stride
	if dist%stride != 0 {
		n++
	}
	if n > maxItems {
		return nil, tooManyItems(fn, n)
	}
	v := make([]int, n)
	for i := range v {
		v[i] = start + i*step // between start and stop: no overflow
	}
	return v, nil
}

func boundedPrintf(format string, args ...any) (string, error) {
	if err := checkFormat(format); err != nil {
		return "", err
	}
	if n := len(format) + sizeOfAll(args); n > MaxOutput {
		return "", tooLarge("printf", n)
	}
	return fmt.Sprintf(format, args...), nil
}

func boundedPrint(print func(...any) string) func(...any) (string, error) {
	return func(args ...any) (string, error) {
		if n := sizeOfAll(args); n > MaxOutput {
			return "", tooLarge("print", n)
		}
		return print(args...), nil
	}
}

func sizeOfAll(args []any) int {
	n := 0
	for _, a := range args {
		n += sizeOf(a, MaxOutput+1-n)
		if n > MaxOutput {
			break
		}
	}
	return n
}

// checkFormat rejects a printf format whose width or precision would make
// fmt allocate more than MaxOutput, and widths taken from arguments ("*"),
// which cannot be checked as simply.
func checkFormat(format string) error {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		for i < len(format) {
			c := format[i]
			switch {
			case c == '*':
				return fmt.Errorf("printf: %q: a width or precision from an argument (*) is not supported", format)
			case c >= '0' && c <= '9':
				n := 0
				for i < len(format) && format[i] >= '0' && format[i] <= '9' {
					if n = n*10 + int(format[i]-'0'); n > MaxOutput {
						return fmt.Errorf("printf: %q: width or precision more than %d: %w", format, MaxOutput, ErrTooLarge)
					}
					i++
				}
				continue
			case strings.IndexByte("+-# .[]", c) >= 0:
			default:
				// The verb ends the directive.
				c = 0
			}
			if c == 0 {
				break
			}
			i++
		}
	}
	return nil
}

// sortedKeys returns the keys of maps with string keys, sorted, as Sprig's
// keys does for map[string]any (unsorted).
func sortedKeys(ms ...any) ([]string, error) {
	var keys []string
	for _, m := range ms {
		v := reflect.ValueOf(m)
		if v.Kind() != reflect.Map || v.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("keys: %T is not a map with string keys", m)
		}
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// hasKey reports whether m, a map with string keys, has key.
func hasKey(m any, key string) (bool, error) {
	v := reflect.ValueOf(m)
	if !v.IsValid() {
		return false, nil
	}
	if v.Kind() != reflect.Map || v.Type().Key().Kind() != reflect.String {
		return false, fmt.Errorf("hasKey: %T is not a map with string keys", m)
	}
	return v.MapIndex(reflect.ValueOf(key).Convert(v.Type().Key())).IsValid(), nil
}

// SlackLink returns a Slack mrkdwn link "<url|text>" that Render does not
// escape. text is escaped for Slack. url must be an absolute http, https or
// mailto URL; its "|" and ">" are percent-encoded so it cannot end the link
// early. Any other url yields the escaped text alone, without a link, so a
// link from event data ("javascript:...", "<!channel>") is shown as text.
// An empty text shows the URL.
func SlackLink(rawURL, text string) Safe {
	u, ok := linkURL(rawURL)
	if !ok {
		return Safe(EscapeSlack(text))
	}
	if text == "" {
		return Safe("<" + u + ">")
	}
	return Safe("<" + u + "|" + EscapeSlack(text) + ">")
}

var linkURLEscaper = strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C", " ", "%20", "\n", "%0A", "\r", "%0D", "\t", "%09")

func linkURL(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if plainHTTPURL(raw) {
		// What url.Parse would accept, with a host: no need to parse.
		return linkURLEscaper.Replace(raw), true
	}
	return parsedLinkURL(raw)
}

// parsedLinkURL is linkURL for any URL: it parses it.
func parsedLinkURL(raw string) (string, bool) {
	if raw == "" || !utf8.ValidString(raw) {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return "", false
		}
	case "mailto":
		if u.Opaque == "" {
			return "", false
		}
	default:
		return "", false
	}
	// & is left alone: Slack reads "&amp;" in a URL back as "&" and so
	// accepts both; percent-encoding the rest keeps the link whole.
	return linkURLEscaper.Replace(raw), true
}

// plainHTTPURL reports whether raw is "http://" or "https://", a host of
// letters, digits, dots and dashes, then only characters that url.Parse
// never refuses in a path, query or fragment (no "%", space, control, or
// non-ASCII): a URL that url.Parse accepts, with that host. The links
// templates build (commit and dashboard URLs) are such URLs; any other
// goes through url.Parse.
func plainHTTPURL(raw string) bool {
	rest, ok := strings.CutPrefix(raw, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(raw, "http://"); !ok {
			return false
		}
	}
	host := true // in the host, until the first '/', '?' or '#'
	n := 0
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '-':
			if host {
				n++
			}
		case c == '/' || c == '?' || c == '#':
			if host && n == 0 {
				return false
			}
			host = false
		case host:
			return false
		case strings.IndexByte("_~=&+:@!$,;*'()", c) >= 0:
		default:
			return false
		}
	}
	return n > 0
}

// slackMention returns a Slack mention that Render does not escape:
// "here", "channel" and "everyone" become "<!here>"...; a user ID (U... or
// W...) becomes "<@U...>"; a user group ID (S...) becomes
// "<!subteam^S...>". Anything else is an error, so a mention never comes
// from event text by accident.
func slackMention(id string) (Safe, error) {
	switch id {
	case "here", "channel", "everyone":
		return Safe("<!" + id + ">"), nil
	}
	if len(id) >= 2 && len(id) <= 32 && isSlackID(id[1:]) {
		switch id[0] {
		case 'U', 'W':
			return Safe("<@" + id + ">"), nil
		case 'S':
			return Safe("<!subteam^" + id + ">"), nil
		}
	}
	return "", fmt.Errorf("slackMention: %q is not here, channel, everyone or a user (U..., W...) or user group (S...) ID", id)
}

func isSlackID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// TruncateMarker ends text that Truncate shortened.
const TruncateMarker = "…"

// Truncate returns s cut to at most n runes, the last of which is
// TruncateMarker when s was longer. n < 1 yields "".
func Truncate(n int, s string) string {
	if n < 1 {
		return ""
	}
	if len(s) <= n { // fewer bytes than n: fewer runes too
		return s
	}
	i, runes := 0, 0
	for i < len(s) {
		if runes == n-1 {
			cut := i
			// Is the rest longer than one rune?
			_, size := utf8.DecodeRuneInString(s[i:])
			if i+size >= len(s) {
				return s
			}
			return s[:cut] + TruncateMarker
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		runes++
	}
	return s
}
