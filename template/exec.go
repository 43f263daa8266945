package template

import (
	"fmt"
	"reflect"
	"text/template/parse"
)

// Names of the internal functions the parse tree is rewritten to call. They
// cannot clash with a user's: Funcs has no name starting with "_".
const (
	fnEscape = "_escape"    // {{ X }} becomes {{ X | _escape $ }}
	fnRange  = "_countLoop" // {{ range X }} becomes {{ range X | _countLoop $ }}
	fnCheck  = "_checkSize" // every function result passes through _checkSize
)

// maxArgs bounds the arguments of one command, which bounds what a single
// call can concatenate.
const maxArgs = 32

// renderState is what one Render call carries through the templates, via
// the unexported field of its copy of Data: nothing is shared between calls.
type renderState struct {
	data       Data
	esc        Escaper
	iterations int
}

var (
	dataPtrType = reflect.TypeFor[*Data]()
	safeType    = reflect.TypeFor[Safe]()
	stringType  = reflect.TypeFor[string]()
	errorType   = reflect.TypeFor[error]()
	stringerTyp = reflect.TypeFor[fmt.Stringer]()
)

// internalFuncs are added to every template after the user's.
var internalFuncs = map[string]any{
	fnEscape: escapeValue,
	fnRange:  chargeRange,
	fnCheck:  checkValue,
}

// escapeValue prints v the way text/template does and escapes the text
// with the escaper of the Render call, unless v is Safe.
func escapeValue(d *Data, v reflect.Value) (string, error) {
	var esc Escaper
	if d != nil && d.rs != nil {
		esc = d.rs.esc
	}
	if v.IsValid() && v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	if v.IsValid() {
		switch v.Type() {
		case stringType:
			if esc == nil {
				return v.String(), nil
			}
			return esc(v.String()), nil
		case safeType:
			return v.String(), nil
		}
	}
	if n := sizeOfValue(v, MaxOutput+1); n > MaxOutput {
		return "", tooLarge("print", n)
	}
	s, err := printValue(v)
	if err != nil || esc == nil {
		return s, err
	}
	return esc(s), nil
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

// rewrite prepares a parsed tree for bounded, escaped execution: every
// action's value goes through fnEscape, every range through fnRange, every
// function's result through fnCheck. It rejects what Render cannot bound or
// escape: {{ template }} and {{ block }} (a called template sees another $).
func rewrite(t *parse.Tree) error {
	if t == nil || t.Root == nil {
		return nil
	}
	return rewriteList(t, t.Root)
}

func rewriteList(t *parse.Tree, l *parse.ListNode) error {
	if l == nil {
		return nil
	}
	for _, n := range l.Nodes {
		if err := rewriteNode(t, n); err != nil {
			return err
		}
	}
	return nil
}

func rewriteNode(t *parse.Tree, n parse.Node) error {
	switch n := n.(type) {
	case *parse.ActionNode:
		if err := rewritePipe(t, n.Pipe); err != nil {
			return err
		}
		if len(n.Pipe.Decl) == 0 {
			n.Pipe.Cmds = append(n.Pipe.Cmds, internalCmd(t, n.Pipe.Pos, fnEscape, true))
		}
	case *parse.IfNode:
		return rewriteBranch(t, &n.BranchNode)
	case *parse.WithNode:
		return rewriteBranch(t, &n.BranchNode)
	case *parse.RangeNode:
		if err := rewriteBranch(t, &n.BranchNode); err != nil {
			return err
		}
		n.Pipe.Cmds = append(n.Pipe.Cmds, internalCmd(t, n.Pipe.Pos, fnRange, true))
	case *parse.TemplateNode:
		return fmt.Errorf("%s: {{template}} and {{block}} are not supported: each string is one template", location(t, n))
	}
	return nil
}

func rewriteBranch(t *parse.Tree, b *parse.BranchNode) error {
	if err := rewritePipe(t, b.Pipe); err != nil {
		return err
	}
	if err := rewriteList(t, b.List); err != nil {
		return err
	}
	return rewriteList(t, b.ElseList)
}

// rewritePipe inserts fnCheck after every function call of p and of the
// pipelines nested in its arguments.
func rewritePipe(t *parse.Tree, p *parse.PipeNode) error {
	if p == nil {
		return nil
	}
	cmds := make([]*parse.CommandNode, 0, len(p.Cmds)+1)
	for _, v := range p.Decl {
		if v.Ident[0] == "$" {
			return fmt.Errorf("%s: $ cannot be declared or assigned", location(t, v))
		}
	}
	for _, c := range p.Cmds {
		if len(c.Args) > maxArgs+1 {
			return fmt.Errorf("%s: more than %d arguments", location(t, c), maxArgs)
		}
		for _, a := range c.Args {
			if err := rewriteArg(t, a); err != nil {
				return err
			}
		}
		cmds = append(cmds, c)
		if id, ok := c.Args[0].(*parse.IdentifierNode); ok && !smallResult[id.Ident] {
			cmds = append(cmds, internalCmd(t, c.Pos, fnCheck, false))
		}
	}
	p.Cmds = cmds
	return nil
}

func rewriteArg(t *parse.Tree, a parse.Node) error {
	switch a := a.(type) {
	case *parse.PipeNode:
		return rewritePipe(t, a)
	case *parse.ChainNode:
		return rewriteArg(t, a.Node)
	}
	return nil
}

// smallResult names the functions whose result is never larger than a
// few bytes or than one of their arguments, which need no check.
var smallResult = map[string]bool{
	"and": true, "or": true, "not": true, "eq": true, "ne": true, "lt": true, "le": true,
	"gt": true, "ge": true, "len": true, "index": true, "slice": true,
	"default": true, "empty": true, "coalesce": true, "ternary": true,
	"contains": true, "hasPrefix": true, "hasSuffix": true, "hasKey": true, "has": true,
	"trunc": true, "truncate": true, "lower": true, "upper": true, "trim": true,
	"first": true, "last": true, "get": true, "kindIs": true, "typeIs": true,
	"atoi": true, "int": true, "int64": true, "float64": true, "add": true, "add1": true,
	"sub": true, "mul": true, "div": true, "mod": true, "max": true, "min": true,
	"regexMatch": true, "semverCompare": true, "safe": true, "slackEscape": true,
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
