package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Short tags of the YAML core schema, as yaml.Node.ShortTag returns them.
const (
	strTag   = "!!str"
	intTag   = "!!int"
	floatTag = "!!float"
	boolTag  = "!!bool"
	nullTag  = "!!null"
	mapTag   = "!!map"
	seqTag   = "!!seq"
	mergeTag = "!!merge"
)

// jsonDocuments reads a stream of JSON values into YAML nodes, with the
// line and column of every value and key, so that JSON manifests are
// checked by the same code as YAML ones (duplicate keys included). It
// returns the values read before a syntax error, and the error with its
// position.
func jsonDocuments(data []byte) ([]*yaml.Node, *Error) {
	b := &jsonBuilder{data: data, dec: json.NewDecoder(bytes.NewReader(data)), line: 1, col: 1}
	b.dec.UseNumber()
	var docs []*yaml.Node
	for {
		n, err := b.value()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			off := len(data)
			var se *json.SyntaxError
			if errors.As(err, &se) {
				off = int(se.Offset)
			}
			line, col := b.position(off)
			return docs, &Error{Line: line, Column: col, Err: &kindError{kind: ErrSyntax, msg: "invalid JSON: " + err.Error(), err: err}}
		}
		docs = append(docs, n)
	}
}

type jsonBuilder struct {
	data  []byte
	dec   *json.Decoder
	depth int
	// The position of off, advanced as tokens are read (offsets only grow).
	off, line, col int
}

// position returns the line and column (in characters) of offset off,
// which is never before the last offset asked for.
func (b *jsonBuilder) position(off int) (int, int) {
	off = min(off, len(b.data))
	for b.off < off {
		r, size := utf8.DecodeRune(b.data[b.off:])
		if r == '\n' {
			b.line++
			b.col = 1
		} else {
			b.col++
		}
		b.off += size
	}
	return b.line, b.col
}

// start returns the position of the next token.
func (b *jsonBuilder) start() (int, int) {
	off := int(b.dec.InputOffset())
	for off < len(b.data) {
		switch b.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return b.position(off)
}

// maxDepth bounds the nesting of values, as the YAML parser bounds it.
const maxDepth = 10000

var errTooDeep = errors.New("nested too deeply")

// value reads one value; io.EOF only when the stream ends before it.
func (b *jsonBuilder) value() (*yaml.Node, error) {
	line, col := b.start()
	tok, err := b.dec.Token()
	if err != nil {
		return nil, err
	}
	n := &yaml.Node{Line: line, Column: col}
	switch t := tok.(type) {
	case json.Delim:
		if b.depth++; b.depth > maxDepth {
			return nil, errTooDeep
		}
		defer func() { b.depth-- }()
		if t == '{' {
			n.Kind, n.Tag, n.Style = yaml.MappingNode, mapTag, yaml.FlowStyle
			for b.dec.More() {
				kl, kc := b.start()
				ktok, err := b.dec.Token()
				if err != nil {
					return nil, unexpected(err)
				}
				key, _ := ktok.(string)
				v, err := b.nested()
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: strTag, Value: key, Style: yaml.DoubleQuotedStyle, Line: kl, Column: kc}, v)
			}
		} else {
			n.Kind, n.Tag, n.Style = yaml.SequenceNode, seqTag, yaml.FlowStyle
			for b.dec.More() {
				v, err := b.nested()
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, v)
			}
		}
		if _, err := b.dec.Token(); err != nil { // the closing delimiter
			return nil, unexpected(err)
		}
	case string:
		n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, strTag, t, yaml.DoubleQuotedStyle
	case json.Number:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, intTag, t.String()
		if bytes.ContainsAny([]byte(n.Value), ".eE") {
			n.Tag = floatTag
		}
	case bool:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, boolTag, "false"
		if t {
			n.Value = "true"
		}
	case nil:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, nullTag, "null"
	}
	return n, nil
}

// nested reads a value inside an object or array.
func (b *jsonBuilder) nested() (*yaml.Node, error) {
	n, err := b.value()
	return n, unexpected(err)
}

// unexpected turns the end of the stream inside a value into an error.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
