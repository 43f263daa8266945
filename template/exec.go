package template

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
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
	fnArg    = "_arg"       // function arguments pass through _arg $
	fnRegexp = "_argRe"     // a regexp's subject passes through _argRe $ expr
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
	event       event.Event
	related     corev1.ObjectReference
	eventCopied bool
	w           outWriter
	iterations  int
	limits      Limits
	budget      budget
}

// outWriter appends the output of one field to buf, escaping the values of
// actions with esc. Output beyond max bytes is cut: what fits, at a rune
// boundary and never inside an escape, then TruncateMarker, and the
// execution stops with errCut.
type outWriter struct {
	buf  *bytes.Buffer
	max  int
	esc  Escaper
	text map[*byte]int // the template's literal text: start → length
}

func (w *outWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if w.esc == nil || w.text[&p[0]] == len(p) {
		return len(p), writeRaw(w, p, false)
	}
	return len(p), writeEscaped(w, p)
}

// writeRaw writes p as it is; markup says whether p is escaped text, which
// a cut must not leave half an entity or link of.
func writeRaw[S ~string | ~[]byte](w *outWriter, p S, markup bool) error {
	room := w.max - w.buf.Len()
	if len(p) <= room {
		w.buf.WriteString(string(p))
		return nil
	}
	if room >= len(TruncateMarker) {
		head := p[:runeStart(p, room-len(TruncateMarker))]
		if markup {
			head = trimMarkup(head)
		}
		w.buf.WriteString(string(head))
		w.buf.WriteString(TruncateMarker)
	}
	return errCut
}

// writeEscaped writes p escaped. When the escaped text does not fit, it
// escapes the longest start of p that fits, so the cut falls between two
// characters of p, never inside an escape.
func writeEscaped[S ~string | ~[]byte](w *outWriter, p S) error {
	room := w.max - w.buf.Len()
	if len(p) <= room {
		if e := w.esc(string(p)); len(e) <= room {
			w.buf.WriteString(e)
			return nil
		}
	}
	limit := room - len(TruncateMarker)
	if limit < 0 {
		return errCut
	}
	// Escaping does not shorten text: no more than limit bytes of p can fit.
	raw := p[:runeStart(p, limit)]
	for range 8 {
		e := w.esc(string(raw))
		if len(e) <= limit {
			w.buf.WriteString(e)
			break
		}
		n := len(raw) * limit / len(e)
		raw = raw[:runeStart(raw, min(n, len(raw)-1))]
	}
	w.buf.WriteString(TruncateMarker)
	return errCut
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
	fnArg:    chargeArg,
	fnRegexp: chargeRegexp,
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
			return "", writeRaw(w, v.String(), true)
		case stringType:
			if w.esc == nil {
				return "", writeRaw(w, v.String(), false)
			}
			return "", writeEscaped(w, v.String())
		}
	}
	if n := sizeOfValue(v, MaxOutput+1); n > MaxOutput {
		return "", tooLarge("print", n)
	}
	s, err := printValue(v)
	if err != nil {
		return "", err
	}
	if w.esc == nil {
		return "", writeRaw(w, s, false)
	}
	return "", writeEscaped(w, s)
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
// loops would visit more than Limits.Iterations elements (MaxIterations by
// default).
var ErrTooManyIterations = errors.New("range loops visit too many elements")

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
		n = int(min(max(w.Int(), 0), 1<<40))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n = int(min(w.Uint(), 1<<40))
	}
	limit := d.rs.limits.Iterations
	d.rs.iterations += n
	if d.rs.iterations > limit {
		return v, &limitError{fmt.Errorf("more than %d: %w", limit, ErrTooManyIterations)}
	}
	return v, d.rs.budget.charge(int64(n) * iterationCost)
}

// checkValue cuts v, a function's result, when it is a string longer than
// MaxOutput, and fails when it is another value larger than MaxOutput once
// printed, so no loop can grow a value without bound.
func checkValue(v reflect.Value) (reflect.Value, error) {
	if c, ok := cutValue(v); ok {
		return c, nil
	}
	if n := sizeOfValue(v, MaxOutput+1); n > MaxOutput {
		return v, &limitError{fmt.Errorf("a function's result of about %d bytes: %w", n, ErrTooLarge)}
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
	// dotIsData says whether dot is the Data in the pipeline being
	// rewritten, so that field paths from it can be resolved statically.
	dotIsData bool
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
		r.dotIsData = dotIsData
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
	r.dotIsData = dotInElse // the pipeline sees the enclosing dot
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
	for i, c := range p.Cmds {
		if len(c.Args) > maxArgs+1 {
			return fmt.Errorf("%s: more than %d arguments", location(r.tree, c), maxArgs)
		}
		for _, a := range c.Args {
			if err := r.arg(a); err != nil {
				return err
			}
		}
		if charge := r.charge(c, i > 0); charge != nil {
			cmds = append(cmds, charge)
		}
		cmds = append(cmds, c)
		if r.mayCallMethod(c) {
			// A method of the data (time.Time's Format, an event's
			// DeepCopy, ...) may read or copy much: charge what it
			// returns, and cut it like a function's result.
			charge := internalCmd(r.tree, c.Pos, fnArg, true)
			charge.Args = append(charge.Args, weightNode(c.Pos, 1))
			cmds = append(cmds, charge, internalCmd(r.tree, c.Pos, fnCheck, false))
		}
		if id, ok := c.Args[0].(*parse.IdentifierNode); ok && !smallResult[id.Ident] {
			cmds = append(cmds, internalCmd(r.tree, c.Pos, fnCheck, false))
		}
	}
	p.Cmds = cmds
	return nil
}

// regexpFuncs are the functions whose first argument is a regular
// expression and second the text it searches.
var regexpFuncs = map[string]bool{
	"regexMatch": true, "mustRegexMatch": true, "regexFind": true, "mustRegexFind": true,
	"regexFindAll": true, "mustRegexFindAll": true, "regexReplaceAll": true,
	"mustRegexReplaceAll": true, "regexReplaceAllLiteral": true,
	"mustRegexReplaceAllLiteral": true, "regexSplit": true, "mustRegexSplit": true,
}

// charge makes c, a call of a template function, charge its arguments to
// the work budget: each argument that is not a literal becomes
// (_arg $ arg), and the text a regular expression searches
// (_argRe $ expr text). When c takes the value of the previous command
// (piped), the returned command, to put before c, charges that value.
func (r *rewriter) charge(c *parse.CommandNode, piped bool) *parse.CommandNode {
	id, ok := c.Args[0].(*parse.IdentifierNode)
	if !ok {
		if !r.mayCallMethod(c) {
			return nil
		}
		// A method call: charge its arguments as a function's.
		for i := 1; i < len(c.Args); i++ {
			c.Args[i] = r.wrap(c.Args[i], fnArg, weightNode(c.Pos, defaultWeight))
		}
		if piped {
			cmd := internalCmd(r.tree, c.Pos, fnArg, true)
			cmd.Args = append(cmd.Args, weightNode(c.Pos, defaultWeight))
			return cmd
		}
		return nil
	}
	if _, ok := r.funcs[id.Ident]; !ok || strings.HasPrefix(id.Ident, "_") {
		return nil // a builtin (and, len, index, ...): no work to speak of
	}
	if regexpFuncs[id.Ident] && len(c.Args) >= 2 {
		expr := c.Args[1]
		if len(c.Args) >= 3 {
			c.Args[2] = r.wrap(c.Args[2], fnRegexp, expr)
			return nil
		}
		if piped {
			cmd := internalCmd(r.tree, c.Pos, fnRegexp, true)
			cmd.Args = append(cmd.Args, expr)
			return cmd
		}
		return nil
	}
	weight := weightNode(c.Pos, weightOf(id.Ident))
	for i := 1; i < len(c.Args); i++ {
		c.Args[i] = r.wrap(c.Args[i], fnArg, weight)
	}
	if piped {
		cmd := internalCmd(r.tree, c.Pos, fnArg, true)
		cmd.Args = append(cmd.Args, weight)
		return cmd
	}
	return nil
}

// weightNode is the number literal w, a cost per byte for fnArg.
func weightNode(pos parse.Pos, w int) *parse.NumberNode {
	return &parse.NumberNode{NodeType: parse.NodeNumber, Pos: pos, IsInt: true, Int64: int64(w), Text: strconv.Itoa(w)}
}

var dataType = reflect.TypeFor[Data]()

// mayCallMethod reports whether c, a command, may call a method of the
// data: c starts with a field path (.A.B, $.A.B, $x.A, (X).A) that does
// not resolve, from Data's type, to fields and map keys only. The paths
// templates use most (.Message, .Object.Name, .Metadata.key) do.
func (r *rewriter) mayCallMethod(c *parse.CommandNode) bool {
	switch n := c.Args[0].(type) {
	case *parse.FieldNode:
		return len(c.Args) > 1 || !r.dotIsData || !fieldsOnly(dataType, n.Ident)
	case *parse.VariableNode:
		if len(n.Ident) < 2 {
			return false // a variable's value: no call
		}
		return len(c.Args) > 1 || n.Ident[0] != "$" || !fieldsOnly(dataType, n.Ident[1:])
	case *parse.ChainNode:
		return len(n.Field) > 0
	}
	return false
}

// fieldsOnly reports whether the path idents, from a value of type t, goes
// through struct fields and string-keyed map entries only, never a method.
func fieldsOnly(t reflect.Type, idents []string) bool {
	for _, id := range idents {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Struct:
			if _, ok := reflect.PointerTo(t).MethodByName(id); ok {
				return false
			}
			f, ok := t.FieldByName(id)
			if !ok || !f.IsExported() {
				return false
			}
			t = f.Type
		case reflect.Map:
			if t.Key().Kind() != reflect.String {
				return false
			}
			t = t.Elem()
		default:
			return false
		}
	}
	return true
}

// wrap returns a, an argument, as the pipeline (fn $ [extra] a), or a
// itself when it is a literal.
func (r *rewriter) wrap(a parse.Node, fn string, extra parse.Node) parse.Node {
	switch a.(type) {
	case *parse.StringNode, *parse.NumberNode, *parse.BoolNode, *parse.NilNode:
		return a
	}
	cmd := internalCmd(r.tree, a.Position(), fn, true)
	if extra != nil {
		cmd.Args = append(cmd.Args, extra)
	}
	if p, ok := a.(*parse.PipeNode); ok && len(p.Decl) == 0 {
		// (X | f) becomes (X | f | fn $).
		p.Cmds = append(p.Cmds, cmd)
		return p
	}
	cmd.Args = append(cmd.Args, a)
	return &parse.PipeNode{NodeType: parse.NodePipe, Pos: a.Position(), Cmds: []*parse.CommandNode{cmd}}
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
