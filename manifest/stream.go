package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// stream is one file or stream being loaded.
type stream struct {
	l    *Loader
	seq  int
	file string
}

func (s *stream) fail(e *Error) {
	e.File = s.file
	s.l.fail(s.seq, e)
}

func (s *stream) load(data []byte) {
	data = bytes.TrimPrefix(data, bom)
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		docs, jerr := jsonDocuments(data)
		isJSON := strings.EqualFold(filepath.Ext(s.file), ".json")
		if jerr == nil || isJSON {
			for i, root := range docs {
				s.loadDocument(i+1, root)
			}
			if jerr != nil {
				jerr.Document = len(docs) + 1
				s.fail(jerr)
			}
			return
		}
		// Maybe YAML in flow style: let the YAML parser judge.
	}
	s.loadYAML(data)
}

// maxSyntaxErrors bounds the syntax errors reported for one stream.
const maxSyntaxErrors = 100

// loadYAML reads a YAML stream. The stream is parsed once, with line
// numbers that count from the start of the file. A syntax error stops a
// YAML parser for the rest of the stream; then the stream is split at its
// "---" lines, as kubectl splits it, and each part is parsed on its own,
// so one broken document never hides the others.
func (s *stream) loadYAML(data []byte) {
	docs, err := decodeYAML(bytes.NewReader(data))
	if err == nil {
		for i, root := range docs {
			s.loadDocument(i+1, root)
		}
		return
	}
	n, broken := 0, 0
	for _, c := range splitYAML(data) {
		docs, err := decodeYAML(bytes.NewReader(c.data))
		for _, root := range docs {
			shiftLines(root, c.line-1, 0)
			n++
			s.loadDocument(n, root)
		}
		if err == nil {
			continue
		}
		n++
		if bytes.Contains(c.data, []byte("{{")) {
			s.l.skip(Skipped{File: s.file, Document: n, Line: c.first,
				Reason: "not valid YAML and contains {{ }}: a template, not a manifest"})
			continue
		}
		if broken++; broken > maxSyntaxErrors {
			s.fail(&Error{Document: n, Line: c.first, Err: &kindError{kind: ErrSyntax,
				msg: fmt.Sprintf("more than %d syntax errors: the rest of the stream is not read", maxSyntaxErrors)}})
			return
		}
		// The parser's message counts lines from the start of what it
		// read: parse the broken part again after as many newlines as
		// there are lines before it, so that it counts them from the
		// start of the file.
		padding := newlines(c.line - 1)
		if _, perr := decodeYAML(io.MultiReader(&padding, bytes.NewReader(c.data))); perr != nil {
			err = perr
		}
		s.fail(&Error{Document: n, Line: c.first, Err: fmt.Errorf("%w: %w", ErrSyntax, err)})
	}
}

// shiftLines adds offset to the line of every node of a tree.
func shiftLines(n *yaml.Node, offset, depth int) {
	if offset == 0 || depth > maxDepth {
		return
	}
	n.Line += offset
	for _, c := range n.Content {
		shiftLines(c, offset, depth+1)
	}
}

// decodeYAML parses every document of r. Empty documents are left out. A
// panic in the parser, which reads untrusted input, becomes an error.
func decodeYAML(r io.Reader) (docs []*yaml.Node, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("the YAML parser failed: %v", v)
		}
	}()
	dec := yaml.NewDecoder(r)
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if root.Kind == yaml.ScalarNode && root.ShortTag() == nullTag {
			continue // an empty document
		}
		docs = append(docs, root)
	}
}

// newlines is a reader of that many newline characters.
type newlines int

func (n *newlines) Read(p []byte) (int, error) {
	if *n <= 0 {
		return 0, io.EOF
	}
	k := min(len(p), int(*n))
	for i := range k {
		p[i] = '\n'
	}
	*n -= newlines(k)
	return k, nil
}

// chunk is the text between two "---" lines.
type chunk struct {
	data  []byte
	line  int // line of the stream where data starts
	first int // line of its first line that is not blank or a comment
}

// splitYAML splits a YAML stream at its "---" lines, as kubectl does, and
// leaves out the parts that hold only comments and blank lines.
func splitYAML(data []byte) []chunk {
	var chunks []chunk
	emit := func(c []byte, line int) {
		if !blankYAML(c) {
			chunks = append(chunks, chunk{c, line, line + leadingBlankLines(c)})
		}
	}
	start, startLine, line := 0, 1, 1
	for pos := 0; pos < len(data); line++ {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			end += pos
			next = end + 1
		} else {
			end = len(data)
		}
		if isSeparator(data[pos:end]) {
			emit(data[start:pos], startLine)
			start, startLine = next, line+1
		}
		pos = next
	}
	emit(data[start:], startLine)
	return chunks
}

func isSeparator(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("---"))
	if !ok {
		return false
	}
	rest = bytes.TrimSpace(rest)
	return len(rest) == 0 || rest[0] == '#'
}

// blankYAML reports whether c holds only blank lines and comments.
func blankYAML(c []byte) bool {
	for line := range bytes.Lines(c) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			return false
		}
	}
	return true
}

// leadingBlankLines counts the blank and comment lines that start c.
func leadingBlankLines(c []byte) int {
	n := 0
	for line := range bytes.Lines(c) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			break
		}
		n++
	}
	return n
}
