package gitops

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/fluxcd/pkg/envsubst"
	"sigs.k8s.io/yaml"
)

// SubstituteAnnotation is the label or annotation that turns postBuild
// substitution off for one object, when its value is "disabled", as in
// kustomize-controller.
const SubstituteAnnotation = "kustomize.toolkit.fluxcd.io/substitute"

// ErrVariableName marks a substitution variable whose name Flux refuses
// (it must match ^[_[:alpha:]][_[:alpha:][:digit:]]*$).
var ErrVariableName = errors.New("invalid variable name")

// varName is the rule of kustomize-controller for variable names (fluxcd/pkg
// kustomize varsubRegex).
var varName = regexp.MustCompile(`^[_[:alpha:]][_[:alpha:][:digit:]]*$`)

// CheckVariables returns an error naming the first variable of vars whose
// name Flux would refuse.
func CheckVariables(vars map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if !varName.MatchString(k) {
			return fmt.Errorf("variable %q: %w: it must match %s", k, ErrVariableName, varName)
		}
	}
	return nil
}

// reference finds a ${...} reference: the run of dollars before the brace
// (an even run is an escape), an optional # (length), the variable name,
// and what follows the name.
var reference = regexp.MustCompile(`(\$+)\{(#?)([_\pL][_\pL\pN]*)([^}]{0,2})`)

// defaultOps are the operators after a name that supply a value when the
// variable is unset; envsubst handles the unset case of those itself.
var defaultOps = []string{":=", ":-", ":?", ":+", "=", "-", "?", "+"}

// escapeUnset escapes (as $${VAR}) every reference to a variable that vars
// does not set and that no default covers, so it stays as written, and
// returns the names of those variables. kustomize-controller would replace
// such a reference with "" (or fail, in strict mode); in a dry run the
// reference as written is more telling than an empty string.
func escapeUnset(s string, vars map[string]string) (string, []string) {
	var unset []string
	out := reference.ReplaceAllStringFunc(s, func(m string) string {
		sub := reference.FindStringSubmatch(m)
		dollars, hash, name, rest := sub[1], sub[2], sub[3], sub[4]
		if len(dollars)%2 == 0 {
			return m // $${VAR}: already an escape
		}
		if _, ok := vars[name]; ok {
			return m
		}
		if hash == "" && slices.ContainsFunc(defaultOps, func(op string) bool { return strings.HasPrefix(rest, op) }) {
			return m
		}
		if !slices.Contains(unset, name) {
			unset = append(unset, name)
		}
		return "$" + m
	})
	return out, unset
}

// substitute replaces the variables of vars in one document, with Flux's
// envsubst rules (${VAR}, ${VAR:=default}, $${VAR} for a literal ${VAR}).
// A reference to a variable that vars does not set, and that has no
// default, stays as written; substitute returns the names of those
// variables. On error the document is returned unchanged with the error.
func substitute(doc []byte, vars map[string]string) ([]byte, []string, error) {
	if !bytes.Contains(doc, []byte("$")) {
		return doc, nil, nil
	}
	escaped, unset := escapeUnset(string(doc), vars)
	out, err := envsubst.Eval(escaped, func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	})
	if err != nil {
		return doc, nil, fmt.Errorf("variable substitution (the document is kept as written): %w", err)
	}
	if err := parses([]byte(out)); err != nil {
		return doc, nil, err
	}
	return []byte(out), unset, nil
}

// disabled reports whether an object's labels or annotations turn
// substitution off.
func disabled(labels, annotations map[string]string) bool {
	return labels[SubstituteAnnotation] == "disabled" || annotations[SubstituteAnnotation] == "disabled"
}

// objectMeta reads the labels and annotations of a document, when it has
// them.
func objectMeta(doc []byte) (labels, annotations map[string]string) {
	var obj struct {
		Metadata struct {
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	_ = yaml.Unmarshal(doc, &obj) // a document that does not parse has none
	return obj.Metadata.Labels, obj.Metadata.Annotations
}

// substituteStream substitutes vars in each document of a YAML stream (or
// a JSON file), keeping each document's lines where they are, so load
// errors still point at the right line (a value that holds a line break
// would move the lines after it: kustomize-controller removes line breaks
// from values, and so does Load). Documents marked with
// SubstituteAnnotation: disabled are left alone. It returns, per document
// by its line, the problems (warnings: such a document is kept as written)
// and the variables left unset.
func substituteStream(data []byte, vars map[string]string) ([]byte, []docProblem) {
	var out bytes.Buffer
	var problems []docProblem
	for i, d := range splitDocuments(data) {
		doc := d.text
		if !disabled(objectMeta(doc)) {
			sub, unset, err := substitute(doc, vars)
			if err != nil || len(unset) > 0 {
				problems = append(problems, docProblem{doc: i + 1, line: d.line, text: sub, err: err, unset: unset})
			}
			doc = sub
		}
		out.Write(d.sep)
		out.Write(doc)
	}
	return out.Bytes(), problems
}

// parses checks that a substituted document is still YAML: a value can
// break it (a colon, a quote), and Flux would fail the build there.
func parses(doc []byte) error {
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		return fmt.Errorf("after variable substitution the document is not valid YAML (kept as written): %w", err)
	}
	return nil
}

// docProblem is a problem of the document numbered doc (1-based), which
// starts at line: the variables left unset in it, or a substitution that
// failed (the document is then kept as written).
type docProblem struct {
	doc, line int
	text      []byte // the document after substitution
	err       error
	unset     []string
}

// document is one document of a stream: its separator line, if any, its
// text, and the line where the text starts.
type document struct {
	sep, text []byte
	line      int
}

// splitDocuments splits a YAML stream at its "---" lines. Joining the
// separators and texts again gives data back unchanged.
func splitDocuments(data []byte) []document {
	var docs []document
	cur := document{line: 1}
	line := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), len(data)+1)
	sc.Split(scanLinesKeepEnds)
	for sc.Scan() {
		line++
		l := sc.Bytes()
		if isSeparator(l) {
			if line > 1 || len(cur.text) > 0 {
				docs = append(docs, cur)
			}
			cur = document{sep: slices.Clone(l), line: line + 1}
			continue
		}
		cur.text = append(cur.text, l...)
	}
	return append(docs, cur)
}

// isSeparator reports whether a line is a YAML document separator.
func isSeparator(l []byte) bool {
	if !bytes.HasPrefix(l, []byte("---")) {
		return false
	}
	rest := bytes.TrimRight(l[3:], "\r\n")
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t'
}

// scanLinesKeepEnds is bufio.ScanLines without dropping the line ends.
func scanLinesKeepEnds(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, data[:i+1], nil
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}
