package manifest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/fluxnotify/fluxnotify/internal/suggest"
)

// A decoder fills a Go value from a YAML node in one pass, the way
// encoding/json fills it from JSON with Kubernetes' rules (field names from
// json tags, case-sensitive; inline embedded structs; []byte as base64;
// json.Unmarshaler types such as metav1.Duration read their value as JSON).
// Every problem is recorded with the node it concerns, so it can be shown
// with its line and column; the decoder never stops at the first one.
//
// The decoder follows aliases and merge keys (<<) itself, within a budget
// of nodes, so that a document whose aliases expand exponentially (a
// "billion laughs") is refused instead of exhausting memory.
type decoder struct {
	// strict reports unknown fields; ignore lists top-level keys skipped
	// without a word (status, as kubectl prints it).
	strict bool
	ignore map[string]bool

	budget int
	depth  int
	active map[*yaml.Node]bool // alias targets being expanded
	issues []issue
	// failed records a value that did not decode; the object is dropped.
	failed bool
	// stopped is set when the budget ran out: nothing more is decoded.
	stopped bool
}

// issue is one problem of a decoder, at a node.
type issue struct {
	at   *yaml.Node
	path string
	err  error
}

func newDecoder(root *yaml.Node, strict bool) *decoder {
	return &decoder{
		strict: strict,
		budget: 10000 + 16*countNodes(root, 0),
		active: make(map[*yaml.Node]bool),
	}
}

// countNodes counts the nodes of a tree, aliases as one.
func countNodes(n *yaml.Node, depth int) int {
	if depth > maxDepth {
		return 1
	}
	c := 1
	for _, ch := range n.Content {
		c += countNodes(ch, depth+1)
	}
	return c
}

func (d *decoder) report(at *yaml.Node, path string, err error) {
	d.issues = append(d.issues, issue{at, path, err})
}

// invalid records a value that does not decode.
func (d *decoder) invalid(at *yaml.Node, path string, err error) {
	d.failed = true
	d.report(at, path, err)
}

// enter resolves an alias and charges the budget. It returns nil when the
// node must not be read (budget exhausted, an alias that contains itself,
// nesting too deep); leave undoes it.
func (d *decoder) enter(n *yaml.Node, at *yaml.Node, path string) *yaml.Node {
	if d.stopped {
		return nil
	}
	if d.budget--; d.budget < 0 {
		d.stopped = true
		d.invalid(at, path, &kindError{kind: ErrTooLarge, msg: "aliases expand to too many values"})
		return nil
	}
	if d.depth++; d.depth > maxDepth {
		d.stopped = true
		d.invalid(at, path, &kindError{kind: ErrTooLarge, msg: "nested too deeply"})
		return nil
	}
	if n.Kind == yaml.AliasNode {
		target := n.Alias
		if target == nil || d.active[target] {
			d.invalid(at, path, fmt.Errorf("%w: the alias *%s refers to a value that contains it", ErrInvalidValue, n.Value))
			d.depth--
			return nil
		}
		d.active[target] = true
		return target
	}
	return n
}

func (d *decoder) leave(n, resolved *yaml.Node) {
	d.depth--
	if n.Kind == yaml.AliasNode && resolved != nil {
		delete(d.active, resolved)
	}
}

// entry is one key and value of a mapping; merged marks one that a merge
// key (<<) brought in.
type entry struct {
	key, value *yaml.Node
	merged     bool
}

// keyedEntry is an entry of a mapping whose key is a name.
type keyedEntry struct {
	entry
	name string // the key
	path string // the field path of the value
}

// keyedEntries lists the entries of mapping m (see entries) whose keys are
// names, reporting the keys that are not (a list, a map, null) and the
// names written twice in m. Both a struct and a map decode from it.
func (d *decoder) keyedEntries(m *yaml.Node, path string) []keyedEntry {
	entries := d.entries(m, path)
	out := make([]keyedEntry, 0, len(entries))
	seen := make(map[string]*yaml.Node, len(entries))
	for _, e := range entries {
		key, ok := keyName(e.key)
		if !ok {
			d.invalid(e.key, path, fmt.Errorf("%w: a key must be a string, a number or a boolean", ErrInvalidValue))
			continue
		}
		p := childPath(path, key)
		if first, dup := seen[key]; dup && !e.merged {
			d.report(e.key, p, fmt.Errorf("%w (first at line %d, column %d)", ErrDuplicateKey, first.Line, first.Column))
		}
		seen[key] = e.key
		out = append(out, keyedEntry{entry: e, name: key, path: p})
	}
	return out
}

// entries lists the entries of mapping m as YAML 1.1's merge key
// specifies: the keys written in m win over merged ones, whatever their
// order, and of several merged mappings ([*a, *b]) the earlier wins. Keys
// written twice in m are all listed (the caller reports them).
func (d *decoder) entries(m *yaml.Node, path string) []entry {
	var out []entry
	hasMerge := false
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == mergeTag {
			hasMerge = true
			continue
		}
		out = append(out, entry{key: k, value: v})
	}
	if !hasMerge {
		return out
	}
	have := make(map[string]bool, len(out))
	for _, e := range out {
		have[e.key.Value] = true
	}
	add := func(r, at *yaml.Node) {
		if r.Kind != yaml.MappingNode {
			d.invalid(at, path, fmt.Errorf("%w: a merge key (<<) takes a mapping or a list of mappings", ErrInvalidValue))
			return
		}
		for _, e := range d.entries(r, path) {
			if !have[e.key.Value] {
				have[e.key.Value] = true
				out = append(out, entry{key: e.key, value: e.value, merged: true})
			}
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != mergeTag {
			continue
		}
		r := d.enter(v, k, path)
		if r == nil {
			continue
		}
		if r.Kind == yaml.SequenceNode {
			for _, item := range r.Content {
				if ri := d.enter(item, k, path); ri != nil {
					add(ri, k)
					d.leave(item, ri)
				}
			}
		} else {
			add(r, k)
		}
		d.leave(v, r)
	}
	return out
}

// lookup returns the value of key in mapping m (merge keys followed), or
// nil.
func (d *decoder) lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for _, e := range d.entries(m, "") {
		if e.key.Kind == yaml.ScalarNode && e.key.Value == key {
			return e.value
		}
	}
	return nil
}

// keyName returns the text of a mapping key, as sigs.k8s.io/yaml turns
// it into a JSON key: strings, numbers and booleans; not null, not a
// mapping or list.
func keyName(k *yaml.Node) (string, bool) {
	if k.Kind != yaml.ScalarNode || k.ShortTag() == nullTag {
		return "", false
	}
	return k.Value, true
}

func childPath(path, key string) string {
	if !isPlainKey(key) {
		key = "[" + strconv.Quote(key) + "]"
		return path + key
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func isPlainKey(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	byteSlice       = reflect.TypeFor[[]byte]()
)

// decode fills v from node n; at is the node that errors point to (the
// key of a mapping entry, the item of a list), path the field path.
func (d *decoder) decode(n, at *yaml.Node, path string, v reflect.Value) {
	r := d.enter(n, at, path)
	if r == nil {
		return
	}
	defer d.leave(n, r)
	d.decodeValue(r, at, path, v)
}

// decodeValue is decode for a node that is not an alias.
func (d *decoder) decodeValue(n, at *yaml.Node, path string, v reflect.Value) {
	t := v.Type()
	if v.CanAddr() && reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		var buf bytes.Buffer
		if !d.toJSON(&buf, n, at, path) {
			return
		}
		if err := v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(buf.Bytes()); err != nil {
			d.invalid(at, path, &kindError{kind: ErrInvalidValue, err: err})
		}
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == nullTag {
		switch t.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			v.SetZero()
		}
		return // as encoding/json: null leaves other values alone
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decodeValue(n, at, path, v.Elem())
		return
	case reflect.Struct:
		if !d.want(n, at, path, t, yaml.MappingNode) {
			return
		}
		d.decodeStruct(n, path, v)
	case reflect.Map:
		if !d.want(n, at, path, t, yaml.MappingNode) {
			return
		}
		if t.Key().Kind() != reflect.String {
			d.invalid(at, path, fmt.Errorf("%w: cannot decode into %s", ErrInvalidValue, t))
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(t))
		}
		for _, e := range d.keyedEntries(n, path) {
			elem := reflect.New(t.Elem()).Elem()
			d.decode(e.value, e.key, e.path, elem)
			v.SetMapIndex(reflect.ValueOf(e.name).Convert(t.Key()), elem)
		}
	case reflect.Slice:
		if t == byteSlice || t.Elem().Kind() == reflect.Uint8 {
			if !d.wantScalar(n, at, path, t, strTag) {
				return
			}
			b, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\n", "", "\r", "").Replace(n.Value))
			if err != nil {
				d.invalid(at, path, &kindError{kind: ErrInvalidValue, err: err})
				return
			}
			v.SetBytes(b)
			return
		}
		if !d.want(n, at, path, t, yaml.SequenceNode) {
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, item, fmt.Sprintf("%s[%d]", path, i), s.Index(i))
		}
		v.Set(s)
	case reflect.String:
		if d.wantScalar(n, at, path, t, strTag) {
			v.SetString(n.Value)
		}
	case reflect.Bool:
		if d.wantScalar(n, at, path, t, boolTag) {
			b, err := strconv.ParseBool(n.Value)
			if err != nil {
				d.invalid(at, path, &kindError{kind: ErrInvalidValue, err: err})
				return
			}
			v.SetBool(b)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if d.wantScalar(n, at, path, t, intTag) {
			i, err := strconv.ParseInt(n.Value, 0, t.Bits())
			if err != nil {
				d.invalid(at, path, &kindError{kind: ErrInvalidValue, msg: "not a number that fits " + t.String(), err: err})
				return
			}
			v.SetInt(i)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if d.wantScalar(n, at, path, t, intTag) {
			i, err := strconv.ParseUint(n.Value, 0, t.Bits())
			if err != nil {
				d.invalid(at, path, &kindError{kind: ErrInvalidValue, msg: "not a number that fits " + t.String(), err: err})
				return
			}
			v.SetUint(i)
		}
	case reflect.Float32, reflect.Float64:
		if d.wantScalar(n, at, path, t, floatTag) {
			f, err := strconv.ParseFloat(n.Value, t.Bits())
			if err != nil {
				d.invalid(at, path, &kindError{kind: ErrInvalidValue, msg: "not a number", err: err})
				return
			}
			v.SetFloat(f)
		}
	default:
		d.invalid(at, path, fmt.Errorf("%w: cannot decode into %s", ErrInvalidValue, t))
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, path string, v reflect.Value) {
	info := structInfoOf(v.Type())
	for _, e := range d.keyedEntries(n, path) {
		index, ok := info.fields[e.name]
		if !ok {
			if path == "" && d.ignore[e.name] || !d.strict {
				continue
			}
			d.report(e.key, e.path, fmt.Errorf("%w%s", ErrUnknownField, closestName(e.name, info.names)))
			continue
		}
		d.decode(e.value, e.key, e.path, fieldByIndex(v, index))
	}
}

// fieldByIndex is reflect.Value.FieldByIndex that allocates embedded
// pointers on the way.
func fieldByIndex(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

// want checks that n is of kind k, for a value of type t.
func (d *decoder) want(n, at *yaml.Node, path string, t reflect.Type, k yaml.Kind) bool {
	if n.Kind == k {
		return true
	}
	d.invalid(at, path, fmt.Errorf("%w: want %s, got %s", ErrInvalidValue, describeType(t), describeNode(n)))
	return false
}

// wantScalar checks that n is a scalar that a value of type t takes: tag
// is the tag it must have; a string takes any scalar but a number, a
// boolean or null, as a JSON string would.
func (d *decoder) wantScalar(n, at *yaml.Node, path string, t reflect.Type, tag string) bool {
	if n.Kind == yaml.ScalarNode {
		got := n.ShortTag()
		switch {
		case got == tag:
			return true
		case tag == strTag && got != intTag && got != floatTag && got != boolTag && got != nullTag:
			return true // a timestamp, binary data or a custom tag: its text
		case tag == floatTag && got == intTag:
			return true
		}
	}
	d.invalid(at, path, fmt.Errorf("%w: want %s, got %s", ErrInvalidValue, describeType(t), describeNode(n)))
	return false
}

func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.String()
}

// describeNode names what a node holds, never its value (it may be a
// secret).
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case intTag, floatTag:
		return "a number"
	case boolTag:
		return "a boolean"
	case nullTag:
		return "null"
	}
	return "a string"
}

// toJSON writes n as JSON, for a json.Unmarshaler. It reports false after
// recording a problem.
func (d *decoder) toJSON(buf *bytes.Buffer, n, at *yaml.Node, path string) bool {
	switch n.Kind {
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i, e := range d.entries(n, path) {
			key, ok := keyName(e.key)
			if !ok {
				d.invalid(e.key, path, fmt.Errorf("%w: a key must be a string, a number or a boolean", ErrInvalidValue))
				return false
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, key)
			buf.WriteByte(':')
			if !d.toJSONChild(buf, e.value, e.key, childPath(path, key)) {
				return false
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if !d.toJSONChild(buf, item, item, fmt.Sprintf("%s[%d]", path, i)) {
				return false
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case nullTag:
			buf.WriteString("null")
		case boolTag:
			b, err := strconv.ParseBool(n.Value)
			if err != nil {
				writeJSONString(buf, n.Value)
			} else {
				buf.WriteString(strconv.FormatBool(b))
			}
		case intTag:
			if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
				buf.WriteString(strconv.FormatInt(i, 10))
			} else if u, err := strconv.ParseUint(n.Value, 0, 64); err == nil {
				buf.WriteString(strconv.FormatUint(u, 10))
			} else {
				writeJSONString(buf, n.Value)
			}
		case floatTag:
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !isInfOrNaN(f) {
				buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
			} else {
				writeJSONString(buf, n.Value)
			}
		default:
			writeJSONString(buf, n.Value)
		}
	default:
		d.invalid(at, path, fmt.Errorf("%w: unexpected YAML node", ErrInvalidValue))
		return false
	}
	return true
}

func (d *decoder) toJSONChild(buf *bytes.Buffer, n, at *yaml.Node, path string) bool {
	r := d.enter(n, at, path)
	if r == nil {
		return false
	}
	defer d.leave(n, r)
	return d.toJSON(buf, r, at, path)
}

func isInfOrNaN(f float64) bool { return math.IsInf(f, 0) || math.IsNaN(f) }

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	buf.Write(b)
}

// structInfo is what the decoder needs of a struct type.
type structInfo struct {
	fields map[string][]int // JSON name to field index (through inline structs)
	names  []string         // the JSON names, for suggestions
}

var structInfos sync.Map // reflect.Type → *structInfo

func structInfoOf(t reflect.Type) *structInfo {
	if info, ok := structInfos.Load(t); ok {
		return info.(*structInfo)
	}
	info := &structInfo{fields: map[string][]int{}}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" || !f.IsExported() && !f.Anonymous {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(append([]int(nil), index...), i)
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if name == "" && (f.Anonymous || opts == "inline") && ft.Kind() == reflect.Struct {
				walk(ft, idx)
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := info.fields[name]; !dup {
				info.fields[name] = idx
				info.names = append(info.names, name)
			}
		}
	}
	walk(t, nil)
	actual, _ := structInfos.LoadOrStore(t, info)
	return actual.(*structInfo)
}

// suggest proposes the known name closest to an unknown one, as
// ` (did you mean "eventSeverity"?)`, or "".
func closestName(unknown string, known []string) string {
	best, bestDist := "", 3 // suggest only close names
	for _, name := range known {
		d := suggest.Distance(strings.ToLower(unknown), strings.ToLower(name))
		if d < bestDist {
			best, bestDist = name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
