package template

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"text/template/parse"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/event"
)

// Names of the internal functions the parse tree is rewritten to call. They
// cannot clash with a user's: names starting with "_" are reserved.
const (
	fnEscape = "_escape"    // {{ X }} may become {{ X | _escape $ }}
	fnRange  = "_countLoop" // {{ range X }} becomes {{ range X | _countLoop $ }}
	fnCheck  = "_checkSize" // function results pass through _checkSize
)

// maxArgs bounds the arguments of one command, which bounds what a single
// call can concatenate.
const maxArgs = 32

// How escaping works. The output of a template goes to an outWriter, which
// knows the Render call's escaper and the literal text of the template (the
// TextNode slices text/template writes as they are). Everything else it is
// given is the value of an action, which it escapes. An action whose value
// may be Safe (a variable, a function returning Safe or an interface) is
// rewritten at Parse time to end with "_escape $": _escape finds the
// Render call in $, a per-call copy of Data, writes the value there itself,
// escaped unless Safe, and returns "" to text/template. Nothing is shared
// between Render calls and nothing is parsed again.

// renderState is what one Render call carries through the templates, via
// the unexported field of its copy of Data.
type renderState struct {
	data Data
	// event is a copy of data.Event, and related of its RelatedObject: a
	// template can call a pointer method on a field it reaches (metav1.Time's
	// UnmarshalQueryParameter, ObjectReference's Unmarshal), which must not
	// change the caller's event. (Its Metadata map is shared: no function
	// can write to a map[string]string.)
	event      event.Event
	related    corev1.ObjectReference
	w          outWriter
	iterations int
}

// outWriter appends the output of one field to buf, escaping the values of
// actions with esc, and fails with err beyond max bytes.
type outWriter struct {
	buf  *bytes.Buffer
	max  int
	err  error
	esc  Escaper
	text map[*byte]int // the template's literal text: start → length
}

func (w *outWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if w.esc == nil || w.text[&p[0]] == len(p) {
		return len(p), w.writeRaw(p)
	}
	return len(p), w.writeRawString(w.esc(string(p)))
}

func (w *outWriter) writeRaw(p []byte) error {
	if w.buf.Len()+len(p) > w.max {
		return w.err
	}
	w.buf.Write(p)
	return nil
}

func (w *outWriter) writeRawString(s string) error {
	if w.buf.Len()+len(s) > w.max {
		return w.err
	}
	w.buf.WriteString(s)
	return nil
}

var (
	safeType    = reflect.TypeFor[Safe]()
	stringType  = reflect.TypeFor[string]()
	errorType   = reflect.TypeFor[error]()
	stringerTyp = reflect.TypeFor[fmt.Stringer]()
	valueType   = reflect.TypeFor[reflect.Value]()
)

// internalFuncs are added to every template after the user's.
var internalFuncs = map[string]any{
	fnEscape: escapeValue,
	fnRange:  chargeRange,
	fnCheck:  checkValue,
}

// escapeValue writes v, printed the way text/template prints the value of
// an action, to the output of the Render call, escaped unless v is Safe,
// and returns "" for text/template to print.
func escapeValue(d *Data, v reflect.Value) (string, error) {
	if d == nil || d.rs == nil {
		return "", errors.New("_escape: not in a Render call")
	}
	w := &d.rs.w
	if v.IsValid() && v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	if v.IsValid() {
		switch v.Type() {
		case safeType:
			return "", w.writeRawString(v.String())
		case stringType:
			if w.esc == nil {
				return "", w.writeRawString(v.String())
			}
			return "", w.writeRawString(w.esc(v.String()))
		}
	}
	if n := sizeOfValue(v, MaxOutput+1); n > MaxOutput {
		return "", tooLarge("print", n)
	}
	s, err := printValue(v)
	if err != nil {
		return "", err
	}
	if w.esc != nil {
		s = w.esc(s)
	}
	return "", w.writeRawString(s)
}

// printValue formats v as text/template prints the value of an action.
func printValue(v reflect.Value) (string, error) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			if v.Kind() == reflect.Interface {
				return "<no value>", nil
			}
			return "<nil>", nil
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		return "<no value>", nil
	}
	if !v.Type().Implements(errorType) && !v.Type().Implements(stringerTyp) {
		if v.CanAddr() && (reflect.PointerTo(v.Type()).Implements(errorType) || reflect.PointerTo(v.Type()).Implements(stringerTyp)) {
			v = v.Addr()
		} else {
			switch v.Kind() {
			case reflect.Chan, reflect.Func:
				return "", fmt.Errorf("can't print value of type %s", v.Type())
			}
		}
	}
	return fmt.Sprint(v.Interface()), nil
}

// ErrTooManyIterations is wrapped by the error of a Render call whose range
// loops would visit more than MaxIterations elements.
var ErrTooManyIterations = fmt.Errorf("range loops visit more than %d elements", MaxIterations)

// chargeRange counts the elements a range loop is about to visit against
// the Render call's budget, and returns v unchanged.
func chargeRange(d *Data, v reflect.Value) (reflect.Value, error) {
	if d == nil || d.rs == nil || !v.IsValid() {
		return v, nil
	}
	n := 1
	w := v
	for w.Kind() == reflect.Interface || w.Kind() == reflect.Pointer {
		if w.IsNil() {
			return v, nil
		}
		w = w.Elem()
	}
	switch w.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.String:
		n = w.Len()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n = int(min(max(w.Int(), 0), MaxIterations+1))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n = int(min(w.Uint(), MaxIterations+1))
	}
	d.rs.iterations += n
	if d.rs.iterations > MaxIterations {
		return v, ErrTooManyIterations
	}
	return v, nil
}

// checkValue fails when v, a function's result, is larger than MaxOutput
// once printed, so no loop can grow a value without bound.
func checkValue(v reflect.Value) (reflect.Value, error) {
	if n := sizeOfValue(v, MaxOutput+1); n > MaxOutput {
		return v, fmt.Errorf("a value of about %d bytes: %w", n, ErrTooLarge)
	}
	return v, nil
}

// sizeOf estimates the printed size of v, stopping once it exceeds limit.
func sizeOf(v any, limit int) int {
	switch v := v.(type) {
	case string:
		return len(v)
	case Safe:
		return len(v)
	case nil:
		return 0
	}
	return sizeOfValue(reflect.ValueOf(v), limit)
}

func sizeOfValue(v reflect.Value, limit int) int {
	if !v.IsValid() {
		return 0
	}
	switch v.Kind() {
	case reflect.String:
		return v.Len()
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return 5
		}
		if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
			return 64 // data: bounded by the event
		}
		return sizeOfValue(v.Elem(), limit)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Len()
		}
		n := 2
		for i := 0; i < v.Len() && n <= limit; i++ {
			n += 1 + sizeOfValue(v.Index(i), limit-n)
		}
		return n
	case reflect.Map:
		n := 2
		it := v.MapRange()
		for it.Next() && n <= limit {
			n += 2 + sizeOfValue(it.Key(), limit-n)
			n += sizeOfValue(it.Value(), limit-n)
		}
		return n
	case reflect.Struct:
		return 64
	}
	return 8
}

// rewriter prepares a parsed tree for bounded, escaped execution: actions
// whose value may be Safe go through fnEscape, every range through fnRange,
// every function's result through fnCheck, and the literal text is
// recorded for the outWriter. It rejects what Render cannot bound or
// escape: {{template}} and {{block}} (a called template sees another $),
// and declaring $.
type rewriter struct {
	tree  *parse.Tree
	funcs map[string]any
	text  map[*byte]int
}

func (r *rewriter) list(l *parse.ListNode, dotIsData bool) error {
	if l == nil {
		return nil
	}
	for _, n := range l.Nodes {
		if err := r.node(n, dotIsData); err != nil {
			return err
		}
	}
	return nil
}

func (r *rewriter) node(n parse.Node, dotIsData bool) error {
	switch n := n.(type) {
	case *parse.TextNode:
		if len(n.Text) > 0 {
			if r.text == nil {
				r.text = make(map[*byte]int)
			}
			r.text[&n.Text[0]] = len(n.Text)
		}
	case *parse.ActionNode:
		if err := r.pipe(n.Pipe); err != nil {
			return err
		}
		if len(n.Pipe.Decl) == 0 && r.maybeSafe(n.Pipe, dotIsData) {
			n.Pipe.Cmds = append(n.Pipe.Cmds, internalCmd(r.tree, n.Pipe.Pos, fnEscape, true))
		}
	case *parse.IfNode:
		return r.branch(&n.BranchNode, dotIsData, dotIsData)
	case *parse.WithNode:
		return r.branch(&n.BranchNode, false, dotIsData)
	case *parse.RangeNode:
		if err := r.branch(&n.BranchNode, false, dotIsData); err != nil {
			return err
		}
		n.Pipe.Cmds = append(n.Pipe.Cmds, internalCmd(r.tree, n.Pipe.Pos, fnRange, true))
	case *parse.TemplateNode:
		return fmt.Errorf("%s: {{template}} and {{block}} are not supported: each string is one template", location(r.tree, n))
	}
	return nil
}

func (r *rewriter) branch(b *parse.BranchNode, dotInList, dotInElse bool) error {
	if err := r.pipe(b.Pipe); err != nil {
		return err
	}
	if err := r.list(b.List, dotInList); err != nil {
		return err
	}
	return r.list(b.ElseList, dotInElse)
}

// maybeSafe reports whether the value of p may be Safe, and so must be
// escaped by fnEscape rather than by the outWriter. A field of Data, a
// literal, or a function with a concrete result type other than Safe
// cannot be Safe; a variable, ., an interface or a builtin may be.
func (r *rewriter) maybeSafe(p *parse.PipeNode, dotIsData bool) bool {
	// The command that makes the value: the last before any fnCheck.
	last := p.Cmds[len(p.Cmds)-1]
	for i := len(p.Cmds) - 1; i >= 0; i-- {
		if id, ok := p.Cmds[i].Args[0].(*parse.IdentifierNode); !ok || id.Ident != fnCheck {
			last = p.Cmds[i]
			break
		}
	}
	switch a := last.Args[0].(type) {
	case *parse.FieldNode:
		return !dotIsData
	case *parse.VariableNode:
		return a.Ident[0] != "$" || len(a.Ident) == 1
	case *parse.StringNode, *parse.NumberNode, *parse.BoolNode:
		return false
	case *parse.IdentifierNode:
		switch a.Ident {
		case "eq", "ne", "lt", "le", "gt", "ge", "not", "len", "html", "js", "urlquery":
			return false
		}
		f, ok := r.funcs[a.Ident]
		if !ok {
			return true
		}
		t := reflect.TypeOf(f)
		if t == nil || t.Kind() != reflect.Func || t.NumOut() == 0 {
			return true
		}
		out := t.Out(0)
		return out == safeType || out == valueType || out.Kind() == reflect.Interface
	}
	return true
}

// pipe inserts fnCheck after every function call of p and of the
// pipelines nested in its arguments.
func (r *rewriter) pipe(p *parse.PipeNode) error {
	if p == nil {
		return nil
	}
	for _, v := range p.Decl {
		if v.Ident[0] == "$" {
			return fmt.Errorf("%s: $ cannot be declared or assigned", location(r.tree, v))
		}
	}
	cmds := make([]*parse.CommandNode, 0, len(p.Cmds)+1)
	for _, c := range p.Cmds {
		if len(c.Args) > maxArgs+1 {
			return fmt.Errorf("%s: more than %d arguments", location(r.tree, c), maxArgs)
		}
		for _, a := range c.Args {
			if err := r.arg(a); err != nil {
				return err
			}
		}
		cmds = append(cmds, c)
		if id, ok := c.Args[0].(*parse.IdentifierNode); ok && !smallResult[id.Ident] {
			cmds = append(cmds, internalCmd(r.tree, c.Pos, fnCheck, false))
		}
	}
	p.Cmds = cmds
	return nil
}

func (r *rewriter) arg(a parse.Node) error {
	switch a := a.(type) {
	case *parse.PipeNode:
		return r.pipe(a)
	case *parse.ChainNode:
		return r.arg(a.Node)
	}
	return nil
}

// smallResult names the functions whose result is a number, a boolean, one
// of their arguments, or a string at most a few bytes longer than one:
// applied in a loop, they cannot grow a value exponentially, so their
// results need no check. (upper and lower are not here: case mapping can
// lengthen UTF-8.)
var smallResult = map[string]bool{
	"and": true, "or": true, "not": true, "eq": true, "ne": true, "lt": true, "le": true,
	"gt": true, "ge": true, "len": true, "index": true, "slice": true,
	"default": true, "empty": true, "coalesce": true, "ternary": true,
	"contains": true, "hasPrefix": true, "hasSuffix": true, "hasKey": true, "has": true,
	"trunc": true, "truncate": true, "trim": true,
	"first": true, "last": true, "get": true, "kindIs": true, "typeIs": true,
	"atoi": true, "int": true, "int64": true, "float64": true, "add": true, "add1": true,
	"sub": true, "mul": true, "div": true, "mod": true, "max": true, "min": true,
	"regexMatch": true, "semverCompare": true, "safe": true,
	"shortRevision": true, "commitSHA": true,
}

// internalCmd builds the command "name $" (withData) or "name".
func internalCmd(t *parse.Tree, pos parse.Pos, name string, withData bool) *parse.CommandNode {
	c := &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos}
	c.Args = append(c.Args, parse.NewIdentifier(name).SetTree(t).SetPos(pos))
	if withData {
		c.Args = append(c.Args, &parse.VariableNode{NodeType: parse.NodeVariable, Pos: pos, Ident: []string{"$"}})
	}
	return c
}

func location(t *parse.Tree, n parse.Node) string {
	loc, _ := t.ErrorContext(n)
	return loc
}
