package template

import (
	"reflect"
	"text/template/parse"
	"unsafe"
)

// The direct executor. text/template calls every function, the internal
// ones the rewriter adds included, through reflection: a custom template of
// four actions made a dozen reflective calls per render, most of its cost.
// Parse therefore also compiles each rewritten tree, when it stays within a
// small subset, into Go closures that do the same thing directly:
//
//   - literal text, comments, {{ if }} / {{ else }} on eq or ne of two
//     strings;
//   - string literals, and paths of fields (and .Metadata keys) of Data that
//     resolve to strings from its type, from . or $;
//   - the internal _arg (charged to the budget exactly as chargeArg does),
//     _checkSize (checkValue) and _escape (escapeValue);
//   - the functions of pureFuncs, with string arguments and a string or
//     Safe result, called without reflection.
//
// Anything else (range, with, variables, numbers, methods, other functions,
// a user's function) leaves the field to text/template. The direct run does
// only the successful path: on any error, panic or output cut it undoes its
// output and its charges, and the field runs again in text/template, which
// then stops at the same place with its own error. Both run the same
// functions on the same values in the same order, so the output and the
// work charged are the same; TestDirectAgreesWithTextTemplate and
// FuzzDirect compare them.

// fval is a value in the direct executor: a string, a Safe, or a bool.
type fval struct {
	s    string
	safe bool // the value is a Safe
	b    bool // for kindBool
}

type fkind uint8

const (
	kindString fkind = iota
	kindSafe
	kindBool
)

// fexpr evaluates a command or pipeline; final is the value piped into it.
// It reports false when the direct run must give up.
type fexpr func(st *renderState, final fval) (fval, bool)

// fstep runs one node of a list.
type fstep func(st *renderState) bool

// pureFuncs are the functions of the default set the direct executor may
// call: they only compute their result from their arguments, so running one
// again in text/template after a failed direct run changes nothing.
var pureFuncs = map[string]bool{
	"slackLink": true, "slackEscape": true, "shortRevision": true, "commitSHA": true,
	"commitURL": true, "safe": true, "upper": true, "lower": true, "title": true,
	"trim": true, "untitle": true, "trimPrefix": true, "trimSuffix": true, "trimAll": true,
	"nospace": true, "snakecase": true, "kebabcase": true, "camelcase": true, "swapcase": true,
	"initials": true, "b64enc": true, "b64dec": true, "b32enc": true, "b32dec": true,
	"sha256sum": true, "sha1sum": true, "adler32sum": true, "replace": true,
}

// directCompiler compiles one rewritten tree.
type directCompiler struct {
	funcs map[string]any
	user  map[string]any // the user's functions: never called directly
}

// compileDirect returns the direct program of tree, or nil when the tree
// uses something outside the subset.
func (c *directCompiler) compileDirect(tree *parse.Tree) []fstep {
	steps, ok := c.list(tree.Root)
	if !ok {
		return nil
	}
	return steps
}

func (c *directCompiler) list(l *parse.ListNode) ([]fstep, bool) {
	if l == nil {
		return nil, true
	}
	steps := make([]fstep, 0, len(l.Nodes))
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			if len(n.Text) == 0 {
				continue
			}
			text := n.Text
			steps = append(steps, func(st *renderState) bool { return writeRaw(&st.w, text, false) == nil })
		case *parse.CommentNode:
		case *parse.ActionNode:
			s, ok := c.action(n)
			if !ok {
				return nil, false
			}
			steps = append(steps, s)
		case *parse.IfNode:
			cond, kind, ok := c.pipe(n.Pipe)
			if !ok || kind != kindBool {
				return nil, false
			}
			then, ok := c.list(n.List)
			if !ok {
				return nil, false
			}
			els, ok := c.list(n.ElseList)
			if !ok {
				return nil, false
			}
			steps = append(steps, func(st *renderState) bool {
				v, ok := cond(st, fval{})
				if !ok {
					return false
				}
				run := els
				if v.b {
					run = then
				}
				for _, s := range run {
					if !s(st) {
						return false
					}
				}
				return true
			})
		default:
			return nil, false
		}
	}
	return steps, true
}

// action compiles {{ pipeline }}: text/template prints the pipeline's value,
// which the outWriter escapes; a pipeline ending in _escape has written its
// value itself and prints "".
func (c *directCompiler) action(n *parse.ActionNode) (fstep, bool) {
	if len(n.Pipe.Decl) > 0 {
		return nil, false
	}
	p, kind, ok := c.pipe(n.Pipe)
	if !ok {
		return nil, false
	}
	last := n.Pipe.Cmds[len(n.Pipe.Cmds)-1]
	if id, isID := last.Args[0].(*parse.IdentifierNode); isID && id.Ident == fnEscape {
		return func(st *renderState) bool { _, ok := p(st, fval{}); return ok }, true
	}
	if kind != kindString {
		return nil, false
	}
	return func(st *renderState) bool {
		v, ok := p(st, fval{})
		if !ok {
			return false
		}
		return printString(&st.w, v.s) == nil
	}, true
}

// printString writes s as text/template prints a string action's value
// (one Write of its bytes, which the outWriter escapes).
func printString(w *outWriter, s string) error {
	if len(s) == 0 {
		return nil
	}
	if w.esc == nil {
		return writeRaw(w, s, false)
	}
	return writeEscaped(w, s)
}

// pipe compiles a pipeline: each command's value is the final argument of
// the next.
func (c *directCompiler) pipe(p *parse.PipeNode) (fexpr, fkind, bool) {
	if p == nil || len(p.Decl) > 0 || p.IsAssign || len(p.Cmds) == 0 {
		return nil, 0, false
	}
	cmds := make([]fexpr, len(p.Cmds))
	var kind fkind
	for i, cmd := range p.Cmds {
		var ok bool
		if cmds[i], kind, ok = c.command(cmd, i > 0, kind); !ok {
			return nil, 0, false
		}
	}
	if len(cmds) == 1 {
		return cmds[0], kind, true
	}
	return func(st *renderState, _ fval) (fval, bool) {
		var v fval
		for _, cmd := range cmds {
			var ok bool
			if v, ok = cmd(st, v); !ok {
				return v, false
			}
		}
		return v, true
	}, kind, true
}

// command compiles one command; piped says a value of kind finalKind comes
// from the previous command.
func (c *directCompiler) command(cmd *parse.CommandNode, piped bool, finalKind fkind) (fexpr, fkind, bool) {
	id, isID := cmd.Args[0].(*parse.IdentifierNode)
	if !isID {
		if piped || len(cmd.Args) > 1 {
			return nil, 0, false
		}
		return c.operand(cmd.Args[0])
	}
	args := cmd.Args[1:]
	switch id.Ident {
	case fnArg:
		return c.charge(args, piped, finalKind)
	case fnCheck:
		if !piped || len(args) > 0 || finalKind == kindBool {
			return nil, 0, false
		}
		return func(_ *renderState, v fval) (fval, bool) {
			if len(v.s) > MaxOutput {
				v.s = cutString(v.s, MaxOutput, v.safe)
			}
			return v, true
		}, finalKind, true
	case fnEscape:
		if !piped || len(args) != 1 || !isDollar(args[0]) || finalKind == kindBool {
			return nil, 0, false
		}
		return func(st *renderState, v fval) (fval, bool) {
			w := &st.w
			var err error
			switch {
			case v.safe:
				err = writeRaw(w, v.s, true)
			case w.esc == nil:
				err = writeRaw(w, v.s, false)
			default:
				err = writeEscaped(w, v.s)
			}
			return fval{}, err == nil
		}, kindString, true
	case "eq", "ne":
		if _, redefined := c.funcs[id.Ident]; redefined || piped || len(args) != 2 {
			return nil, 0, false
		}
		a, ka, ok1 := c.operand(args[0])
		b, kb, ok2 := c.operand(args[1])
		if !ok1 || !ok2 || ka == kindBool || kb == kindBool {
			return nil, 0, false
		}
		want := id.Ident == "eq"
		return func(st *renderState, _ fval) (fval, bool) {
			x, ok := a(st, fval{})
			if !ok {
				return x, false
			}
			y, ok := b(st, fval{})
			if !ok {
				return y, false
			}
			return fval{b: (x.s == y.s) == want}, true
		}, kindBool, true
	}
	return c.call(id.Ident, args, piped, finalKind)
}

// charge compiles (_arg $ weight X) or (X | _arg $ weight): chargeArg.
func (c *directCompiler) charge(args []parse.Node, piped bool, finalKind fkind) (fexpr, fkind, bool) {
	if len(args) < 2 || !isDollar(args[0]) {
		return nil, 0, false
	}
	num, ok := args[1].(*parse.NumberNode)
	if !ok || !num.IsInt {
		return nil, 0, false
	}
	weight := num.Int64
	var x fexpr
	kind := finalKind
	switch {
	case piped && len(args) == 2:
	case !piped && len(args) == 3:
		if x, kind, ok = c.operand(args[2]); !ok {
			return nil, 0, false
		}
	default:
		return nil, 0, false
	}
	if kind == kindBool {
		return nil, 0, false
	}
	return func(st *renderState, v fval) (fval, bool) {
		if x != nil {
			var ok bool
			if v, ok = x(st, fval{}); !ok {
				return v, false
			}
		}
		return v, st.budget.charge(callCost+weight*int64(len(v.s))) == nil
	}, kind, true
}

// operand compiles an argument: a string literal, a path of Data's fields
// of type string, or a parenthesized pipeline.
func (c *directCompiler) operand(n parse.Node) (fexpr, fkind, bool) {
	switch n := n.(type) {
	case *parse.StringNode:
		v := fval{s: n.Text}
		return func(*renderState, fval) (fval, bool) { return v, true }, kindString, true
	case *parse.FieldNode:
		return dataPath(n.Ident)
	case *parse.VariableNode:
		if len(n.Ident) < 2 || n.Ident[0] != "$" {
			return nil, 0, false
		}
		return dataPath(n.Ident[1:])
	case *parse.PipeNode:
		return c.pipe(n)
	}
	return nil, 0, false
}

// dataPath compiles a path of fields from Data, ending in a string field or
// a key of a map[string]string field (a missing key is "", as with
// missingkey=zero). The path goes through struct fields only, never a
// pointer, so the field is at a fixed offset in Data, computed here.
func dataPath(idents []string) (fexpr, fkind, bool) {
	if !fieldsOnly(dataType, idents) {
		return nil, 0, false
	}
	var off uintptr
	t := dataType
	for i, name := range idents {
		if t.Kind() == reflect.Map {
			if i != len(idents)-1 || t != mapStringStringType {
				return nil, 0, false
			}
			at := off
			return func(st *renderState, _ fval) (fval, bool) {
				m := *(*map[string]string)(unsafe.Add(unsafe.Pointer(&st.data), at))
				return fval{s: m[name]}, true
			}, kindString, true
		}
		if t.Kind() != reflect.Struct {
			return nil, 0, false
		}
		f, _ := t.FieldByName(name)
		if len(f.Index) != 1 {
			return nil, 0, false // promoted through an embedded field
		}
		off += f.Offset
		t = f.Type
	}
	if t != stringType {
		return nil, 0, false
	}
	return func(st *renderState, _ fval) (fval, bool) {
		return fval{s: *(*string)(unsafe.Add(unsafe.Pointer(&st.data), off))}, true
	}, kindString, true
}

var mapStringStringType = reflect.TypeFor[map[string]string]()

// call compiles a call of a function of pureFuncs whose parameters are
// strings and whose result is a string or a Safe (and maybe an error).
func (c *directCompiler) call(name string, args []parse.Node, piped bool, finalKind fkind) (fexpr, fkind, bool) {
	if _, user := c.user[name]; user || !pureFuncs[name] {
		return nil, 0, false
	}
	fn, kind, nargs, ok := directFunc(c.funcs[name])
	if !ok {
		return nil, 0, false
	}
	n := len(args)
	if piped {
		n++
	}
	if n != nargs || nargs > 3 {
		return nil, 0, false
	}
	ops := make([]fexpr, len(args))
	for i, a := range args {
		var k fkind
		if ops[i], k, ok = c.operand(a); !ok || k != kindString {
			return nil, 0, false // text/template refuses a Safe for a string
		}
	}
	if piped && finalKind != kindString {
		return nil, 0, false
	}
	return func(st *renderState, final fval) (fval, bool) {
		var in [3]string
		for i, op := range ops {
			v, ok := op(st, fval{})
			if !ok {
				return v, false
			}
			in[i] = v.s
		}
		if piped {
			in[len(ops)] = final.s
		}
		s, err := fn(&in)
		return fval{s: s, safe: kind == kindSafe}, err == nil
	}, kind, true
}

// directFunc returns f as a call on up to three strings, when its type is
// one the direct executor knows.
func directFunc(f any) (func(*[3]string) (string, error), fkind, int, bool) {
	switch f := f.(type) {
	case func(string) string:
		return func(a *[3]string) (string, error) { return f(a[0]), nil }, kindString, 1, true
	case func(string) Safe:
		return func(a *[3]string) (string, error) { return string(f(a[0])), nil }, kindSafe, 1, true
	case func(string, string) string:
		return func(a *[3]string) (string, error) { return f(a[0], a[1]), nil }, kindString, 2, true
	case func(string, string) Safe:
		return func(a *[3]string) (string, error) { return string(f(a[0], a[1])), nil }, kindSafe, 2, true
	case func(string) (string, error):
		return func(a *[3]string) (string, error) { return f(a[0]) }, kindString, 1, true
	case func(string, string) (string, error):
		return func(a *[3]string) (string, error) { return f(a[0], a[1]) }, kindString, 2, true
	case func(string, string, string) string:
		return func(a *[3]string) (string, error) { return f(a[0], a[1], a[2]), nil }, kindString, 3, true
	case func(string, string, string) (string, error):
		return func(a *[3]string) (string, error) { return f(a[0], a[1], a[2]) }, kindString, 3, true
	}
	return nil, 0, 0, false
}

func isDollar(n parse.Node) bool {
	v, ok := n.(*parse.VariableNode)
	return ok && len(v.Ident) == 1 && v.Ident[0] == "$"
}

// directOff turns the direct executor off, for the tests that compare it
// with text/template.
var directOff bool

// runDirect runs steps; false means the direct run gave up (an error, a
// panic or a cut), and the field must run in text/template.
func runDirect(st *renderState, steps []fstep) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	for _, s := range steps {
		if !s(st) {
			return false
		}
	}
	return true
}
