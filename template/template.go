package template

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	ttemplate "text/template"
)

// Limits of one Render call. Output over a size limit is cut and ends with
// TruncateMarker; a template that would loop or compute past the other
// limits fails with an error naming the field, before the memory is
// allocated or the work done.
const (
	// MaxOutput is the largest rendered string, in bytes, and the largest
	// value a template function may produce: longer strings are cut, other
	// values (lists, maps) refused.
	MaxOutput = 64 << 10
	// MaxTotalOutput is the largest rendered message: every string and the
	// Blocks JSON together, in bytes; what comes past it is cut.
	MaxTotalOutput = 256 << 10
	// MaxIterations is how many elements the range loops of one Render call
	// may visit in all, unless Limits.Iterations says otherwise.
	MaxIterations = 10000
)

// Template is a parsed Spec, safe for concurrent use. Parse it once, when
// configuration loads, and render it for every event.
type Template struct {
	spec      *Spec
	title     field
	text      field
	color     field
	iconEmoji field
	iconURL   field
	fields    []fieldPair
	blocks    []segment // nil when the spec has no blocks
	static    *Message  // the message, when no string has an action
	limits    Limits
}

// field is one string of a Spec: a literal, or a template when it has an
// action.
type field struct {
	path string
	lit  string
	tmpl *ttemplate.Template
	text map[*byte]int // literal text of tmpl, for outWriter
	// direct is tmpl compiled for the direct executor (fast.go), or nil.
	direct []fstep
}

type fieldPair struct {
	title, value field
	short        bool
}

// Message is a rendered template: the strings of Spec with every template
// executed. Blocks is the rendered Block Kit array, valid JSON, or nil when
// the Spec has none. Format is Spec.Format, as written. Color, IconEmoji,
// IconURL and Blocks are Slack-only (see Spec); a notifier of another type
// uses provider.Notification.Message, which keeps the neutral parts and
// fills in defaults.
type Message struct {
	// Format is Spec.Format: the notifier's layout for what is unset.
	Format string
	// Title is the rendered Spec.Title.
	Title string
	// Text is the rendered Spec.Text.
	Text string
	// Color is the rendered Spec.Color.
	Color string
	// IconEmoji is the rendered Spec.IconEmoji.
	IconEmoji string
	// IconURL is the rendered Spec.IconURL.
	IconURL string
	// Fields are the rendered Spec.Fields, in order; nil when it has none.
	Fields []Field
	// Blocks is the rendered Spec.Blocks, a valid JSON array; nil when it
	// has none.
	Blocks json.RawMessage
}

// FieldError is a template error and the field of the Spec it concerns, for
// example "text", "fields[1].value" or "blocks[0].text.text".
type FieldError struct {
	// Field is the path of the field in the Spec.
	Field string
	// Err is the cause, a text/template error or a limit (see ErrTooLarge).
	Err error
}

// Error returns "field: cause".
func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// Option configures Parse.
type Option func(*options)

// options are the settings Options change.

type options struct {
	funcs  ttemplate.FuncMap
	sample *Data
	limits Limits
}

// WithFuncs adds functions to the templates, or replaces functions of
// Funcs of the same name. Names starting with "_" are reserved.
func WithFuncs(fm ttemplate.FuncMap) Option {
	return func(o *options) {
		if o.funcs == nil {
			o.funcs = make(ttemplate.FuncMap, len(fm))
		}
		maps.Copy(o.funcs, fm)
	}
}

// WithSample replaces Sample as the data Parse executes the template on,
// for example to validate with the deployment's cluster name and links.
func WithSample(d *Data) Option {
	return func(o *options) { o.sample = d }
}

var (
	baseOnce sync.Once
	base     *ttemplate.Template
)

// baseTemplate holds the function set, parsed once; Parse clones it.
func baseTemplate() *ttemplate.Template {
	baseOnce.Do(func() {
		base = ttemplate.New("").Option("missingkey=zero").Funcs(funcs()).Funcs(internalFuncs)
	})
	return base
}

// Parse parses every string of s (title, text, color, iconEmoji, iconURL,
// each field's title and value, and each string inside Blocks; object keys
// of Blocks are not templates), then renders the whole template once on
// Sample so that a template that fails when executed is an error now, not
// when an event arrives. Errors are *FieldError naming the field ("text",
// "fields[1].value", "blocks[0].text.text"). s is copied.
func Parse(s *Spec, opts ...Option) (*Template, error) {
	if s == nil {
		return nil, errors.New("template: nil spec")
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	for name := range o.funcs {
		if strings.HasPrefix(name, "_") {
			return nil, fmt.Errorf("template: function name %q: names starting with _ are reserved", name)
		}
	}
	p := parser{root: baseTemplate(), funcs: funcs(), user: o.funcs}
	var err error
	if p.root, err = p.root.Clone(); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	if o.funcs != nil {
		p.root.Funcs(o.funcs).Funcs(internalFuncs)
		p.funcs = maps.Clone(p.funcs)
		maps.Copy(p.funcs, o.funcs)
	}

	spec := *s
	spec.Fields = slices.Clone(s.Fields)
	spec.Blocks = bytes.Clone(s.Blocks)
	t := &Template{spec: &spec, limits: o.limits.withDefaults()}
	for _, f := range []struct {
		dst  *field
		path string
		text string
	}{
		{&t.title, "title", s.Title},
		{&t.text, "text", s.Text},
		{&t.color, "color", s.Color},
		{&t.iconEmoji, "iconEmoji", s.IconEmoji},
		{&t.iconURL, "iconURL", s.IconURL},
	} {
		if *f.dst, err = p.field(f.path, f.text); err != nil {
			return nil, err
		}
	}
	if len(s.Fields) > 0 {
		t.fields = make([]fieldPair, len(s.Fields))
		for i, f := range s.Fields {
			fp := &t.fields[i]
			fp.short = f.Short
			if fp.title, err = p.field(fmt.Sprintf("fields[%d].title", i), f.Title); err != nil {
				return nil, err
			}
			if fp.value, err = p.field(fmt.Sprintf("fields[%d].value", i), f.Value); err != nil {
				return nil, err
			}
		}
	}
	if hasBlocks(s.Blocks) {
		if t.blocks, err = p.blocks(s.Blocks); err != nil {
			return nil, err
		}
	}

	sample := o.sample
	if sample == nil {
		sample = Sample()
	}
	// The sample is small: a template that needs more than SampleWork on
	// it loops for its own sake, and loading many such templates must not
	// take minutes.
	full := t.limits
	t.limits.Work = min(t.limits.Work, SampleWork)
	m, err := t.Render(sample, EscapeSlack)
	t.limits = full
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return nil, &FieldError{Field: fe.Field, Err: fmt.Errorf("executing on a sample event: %w", fe.Err)}
		}
		return nil, fmt.Errorf("executing on a sample event: %w", err)
	}
	if !t.dynamic() {
		t.static = m
	}
	return t, nil
}

// parser parses the strings of one Spec into templates sharing one
// function set.
type parser struct {
	root  *ttemplate.Template
	funcs map[string]any // root's functions, by name
	user  map[string]any // the user's functions (WithFuncs)
}

func (p *parser) field(path, text string) (field, error) {
	f := field{path: path, lit: text}
	if len(text) > MaxOutput {
		return f, &FieldError{Field: path, Err: fmt.Errorf("template of %d bytes, more than %d: %w", len(text), MaxOutput, ErrTooLarge)}
	}
	if !strings.Contains(text, "{{") {
		return f, nil
	}
	n := len(p.root.Templates())
	t, err := p.root.New(path).Parse(text)
	if err != nil {
		return f, &FieldError{Field: path, Err: err}
	}
	if len(p.root.Templates()) > n+1 {
		return f, &FieldError{Field: path, Err: errors.New("template: {{define}} and {{block}} are not supported: each string is one template")}
	}
	rw := rewriter{tree: t.Tree, funcs: p.funcs}
	if err := rw.list(t.Tree.Root, true); err != nil {
		return f, &FieldError{Field: path, Err: fmt.Errorf("template: %w", err)}
	}
	f.tmpl, f.text = t, rw.text
	f.direct = (&directCompiler{funcs: p.funcs, user: p.user}).compileDirect(t.Tree)
	return f, nil
}

// dynamic reports whether some string of t has an action.
func (t *Template) dynamic() bool {
	for _, f := range []*field{&t.title, &t.text, &t.color, &t.iconEmoji, &t.iconURL} {
		if f.tmpl != nil {
			return true
		}
	}
	for i := range t.fields {
		if t.fields[i].title.tmpl != nil || t.fields[i].value.tmpl != nil {
			return true
		}
	}
	for _, s := range t.blocks {
		if s.str != nil {
			return true
		}
	}
	return false
}

// Spec returns the spec t was parsed from. It must not be modified.
func (t *Template) Spec() *Spec { return t.spec }

// Render is RenderContext with a context that is never done: the work
// budget (Limits) still bounds it.
func (t *Template) Render(d *Data, esc Escaper) (*Message, error) {
	return t.RenderContext(context.Background(), d, esc)
}

// RenderContext executes t against d. esc, when not nil, escapes the
// output of every action ({{ ... }}) that is not of type Safe (see
// EscapeSlack), in every string but IconEmoji and IconURL, which are not
// markup; the literal text of the template is never escaped.
//
// Rendering is bounded: a string longer than MaxOutput, or past
// MaxTotalOutput for the message, is cut at a rune boundary (never inside
// an escape) and ends with TruncateMarker; range loops are bounded by
// Limits.Iterations and the template functions by Limits.Work (see
// WithLimits), and every function call checks ctx, so a render stops soon
// after ctx is done. Errors are *FieldError naming the field, wrapping
// ErrWorkBudget, ErrTooManyIterations, ErrTooLarge (a list or map over
// MaxOutput) or ctx's error. d is not modified; RenderContext may be called
// concurrently, with different escapers.
func (t *Template) RenderContext(ctx context.Context, d *Data, esc Escaper) (*Message, error) {
	if d == nil {
		return nil, errors.New("template: nil data")
	}
	if t.static != nil {
		m := *t.static
		m.Fields = slices.Clone(m.Fields)
		m.Blocks = bytes.Clone(m.Blocks)
		return &m, nil
	}
	if err := context.Cause(ctx); err != nil {
		return nil, fmt.Errorf("rendering not started: %w", err)
	}
	st := &renderState{data: *d, limits: t.limits}
	st.budget = budget{left: t.limits.Work, limit: t.limits.Work, done: ctx.Done(), ctx: ctx}
	st.data.rs = st
	// The event is copied before text/template first runs (copyEvent):
	// the direct executor never reaches it.
	r := renderer{st: st, buf: getBuffer()}
	defer putBuffer(r.buf)

	m := &Message{Format: t.spec.Format}
	var err error
	for _, f := range []struct {
		dst    *string
		f      *field
		markup bool // shown as text, so escaped; icons are names and URLs
	}{
		{&m.Title, &t.title, true},
		{&m.Text, &t.text, true},
		{&m.Color, &t.color, true},
		{&m.IconEmoji, &t.iconEmoji, false},
		{&m.IconURL, &t.iconURL, false},
	} {
		st.w.esc = nil
		if f.markup {
			st.w.esc = esc
		}
		if *f.dst, err = r.string(f.f); err != nil {
			return nil, err
		}
	}
	st.w.esc = esc
	if len(t.fields) > 0 {
		m.Fields = make([]Field, len(t.fields))
		for i := range t.fields {
			fp := &t.fields[i]
			m.Fields[i].Short = fp.short
			if m.Fields[i].Title, err = r.string(&fp.title); err != nil {
				return nil, err
			}
			if m.Fields[i].Value, err = r.string(&fp.value); err != nil {
				return nil, err
			}
		}
	}
	if t.blocks != nil {
		if m.Blocks, err = r.blocks(t.blocks); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// copyEvent points data.Event at a copy of the caller's event, once.
func (st *renderState) copyEvent() {
	if st.eventCopied || st.data.Event == nil {
		return
	}
	st.eventCopied = true
	st.event = *st.data.Event
	if st.event.RelatedObject != nil {
		st.related = *st.event.RelatedObject
		st.event.RelatedObject = &st.related
	}
	st.data.Event = &st.event
}

// renderer executes the fields of one Render call.
type renderer struct {
	st    *renderState
	buf   *bytes.Buffer
	total int
}

// exec renders f into r.buf (reset first), cut to MaxOutput and to what is
// left of MaxTotalOutput.
func (r *renderer) exec(f *field) error {
	r.buf.Reset()
	w := &r.st.w
	w.buf, w.max, w.text = r.buf, min(MaxOutput, max(MaxTotalOutput-r.total, 0)), f.text
	if f.tmpl == nil {
		_ = writeRaw(w, f.lit, false)
		r.total += r.buf.Len()
		return nil
	}
	if f.direct != nil && !directOff {
		left := r.st.budget.left
		if runDirect(r.st, f.direct) {
			r.total += r.buf.Len()
			return nil
		}
		// Undo, and let text/template run the field and report.
		r.buf.Reset()
		r.st.budget.left = left
	}
	r.st.copyEvent()
	if err := f.tmpl.Execute(w, &r.st.data); err != nil && !errors.Is(err, errCut) {
		return &FieldError{Field: f.path, Err: cleanError(err)}
	}
	r.total += r.buf.Len()
	return nil
}

// string renders f as a string.
func (r *renderer) string(f *field) (string, error) {
	if err := r.exec(f); err != nil {
		return "", err
	}
	if f.tmpl == nil && r.buf.Len() == len(f.lit) {
		return f.lit, nil
	}
	return r.buf.String(), nil
}

var errTotal = fmt.Errorf("message of more than %d bytes in all: %w", MaxTotalOutput, ErrTooLarge)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= 2*MaxOutput {
		b.Reset()
		bufPool.Put(b)
	}
}
