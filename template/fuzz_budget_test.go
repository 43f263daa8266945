package template_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fluxnotify/fluxnotify/template"
)

// sprigGrammar are the productions of FuzzBudget's templates: each turns an
// operand X (a string) into a string, with the Sprig functions (and ours)
// that read, grow, split, search or encode their input.
var sprigGrammar = []string{
	"upper X", "lower X", "title X", "untitle X", "swapcase X", "snakecase X", "camelcase X",
	"kebabcase X", "initials X", "nospace X", "trim X", "trimAll \"a\" X", "trimPrefix \"a\" X",
	"sha256sum X", "sha1sum X", "adler32sum X", "b64enc X", "b64dec X", "b32enc X", "b32dec X",
	"quote X", "squote X", "html X", "js X", "urlquery X", "toJson X", "toPrettyJson X", "toString X",
	"trunc 100 X", "abbrev 50 X", "wrap 10 X", "wrapWith 5 \"\\n\" X", "indent 4 X", "nindent 2 X",
	"repeat 3 X", "replace \"a\" \"bb\" X", "regexReplaceAll \"a+\" X \"b\"",
	"regexReplaceAllLiteral \"[ab]\" X \"$1\"", "regexFind \"[a-z]+\" X",
	"join \",\" (regexFindAll \"a.\" X 100)", "join \",\" (splitList \" \" X)",
	"join \" \" (splitList \" \" X | sortAlpha)", "join \"-\" (regexSplit \"\\\\s+\" X -1)",
	"cat X X", "printf \"%s-%q\" X X", "print X X", "slackEscape X | toString", "truncate 100 X",
	"substr 0 1000 X", "toString (contains \"x\" X)", "toString (regexMatch \"(?i)(error|failed).*timeout\" X)",
	"toString (len X)", "shuffle X", "plural X \"b\" 2", "default \"d\" X", "coalesce X \"c\"",
	"toString (hasPrefix \"a\" X)", "X | upper | lower", "toString (splitn \" \" 3 X)",
	"join \",\" (list X X X | uniq)", "toJson (dict \"a\" X \"b\" X)", "(fromJson (toJson (dict \"m\" X))).m",
}

// FuzzBudget drives templates built from sprigGrammar, nested and looped,
// over large messages: whatever the template, Render ends within the time
// a work budget allows (a generous bound: it detects work the budget does
// not count, and is not a speed test), with an error naming the field or a
// bounded message. Its corpus runs in go test and stays quick.
func FuzzBudget(f *testing.F) {
	f.Add([]byte{0, 1, 2}, uint16(100), "deployment failed: timeout ", uint32(64<<10))
	f.Add([]byte{14, 20, 35, 36, 37}, uint16(9999), "aaaa bbbb <&> ", uint32(256<<10))
	f.Add([]byte{41, 42, 43, 47, 48}, uint16(50), "a", uint32(3<<20))
	f.Add([]byte{59, 60, 61, 62, 63}, uint16(200), "ȿ é a.b ", uint32(1<<20))
	f.Add([]byte{30, 31, 32, 33, 45}, uint16(1000), "x", uint32(128<<10))
	const work = 8 << 20 // about 10 ms of CPU: fuzzing, instrumented, is slow
	f.Fuzz(func(t *testing.T, ops []byte, loops uint16, unit string, size uint32) {
		if len(ops) == 0 || len(ops) > 8 || unit == "" {
			return
		}
		size = min(size, 3<<20)
		msg := strings.Repeat(unit, int(size)/len(unit)+1)[:size]
		expr := "$x"
		for i, op := range ops {
			operand := expr
			if i == 0 && op&0x80 != 0 {
				operand = "$.Message"
			}
			expr = "(" + strings.ReplaceAll(sprigGrammar[int(op&0x7f)%len(sprigGrammar)], "X", operand) + ")"
		}
		text := fmt.Sprintf("{{ $x := .Message }}{{ range until %d }}{{ $x = %s }}{{ end }}{{ $x }}", min(loops, 7000), expr)
		opts := template.WithLimits(template.Limits{Work: work})

		start := time.Now()
		tmpl, err := template.Parse(&template.Spec{Text: text, Fields: []template.Field{{Title: "t", Value: "{{ $x := .Message }}{{ " + expr + " }}"}}}, opts)
		if err == nil {
			d := template.Sample()
			d.Message = msg
			var m *template.Message
			m, err = tmpl.Render(d, template.EscapeSlack)
			if err == nil {
				checkMessage(t, m)
			}
		}
		if elapsed := time.Since(start); elapsed > 20*time.Second {
			t.Fatalf("%s on a message of %d bytes: %s, far past the budget", text, len(msg), elapsed)
		}
		if err != nil {
			var fe *template.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error without a field: %v", err)
			}
		}
	})
}
