package fluxnotify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/provider"
)

// Config is a set of Alert, Provider and Secret objects, as loaded from
// manifests (LoadFiles, Load) or handed in by a controller.
//
// Every object has a namespace: a manifest without metadata.namespace is in
// "default", as with kubectl.
type Config struct {
	// Alerts are the notification.toolkit.fluxcd.io Alerts, in the order
	// they were read.
	Alerts []alert.Alert
	// Providers are the notification.toolkit.fluxcd.io Providers, in the
	// order they were read.
	Providers []provider.Provider
	// Secrets are the v1 Secrets, in the order they were read; data values
	// are already decoded from base64.
	Secrets []corev1.Secret
	// Skipped lists the documents that loading read and left out on
	// purpose (objects of other kinds, documents that are not Kubernetes
	// objects, SOPS-encrypted Secrets, files that are not regular files),
	// each with the reason, for a verbose listing. A Config built by hand
	// leaves it empty.
	Skipped []Skipped
	// Warnings are problems that do not stop an object from loading but
	// probably change what it does (a field that Flux's API server would
	// prune, a source kind that differs from a Flux kind only in case).
	Warnings []*LoadError
}

// Skipped is one document or file that loading left out on purpose.
type Skipped struct {
	// File is the file name, or the name given to Load.
	File string
	// Document is the 1-based number of the document in File; 0 for the
	// whole file.
	Document int
	// Line is the 1-based line where the document starts; 0 when unknown.
	Line int
	// Object names the object as "Kind namespace/name" when it has one.
	Object string
	// Reason says why it was left out, for example "SOPS-encrypted" or
	// "not a Kubernetes object (no apiVersion or kind)".
	Reason string
}

// SecretGetter returns a provider.SecretGetter over c.Secrets, for
// provider.Resolve.
func (c *Config) SecretGetter() provider.SecretGetter {
	return provider.StaticSecrets(c.Secrets...)
}

// Provider returns the Provider namespace/name of c.
func (c *Config) Provider(namespace, name string) (*provider.Provider, bool) {
	for i := range c.Providers {
		if p := &c.Providers[i]; p.Namespace == namespace && p.Name == name {
			return p, true
		}
	}
	return nil, false
}

// Errors that a *LoadError wraps, for errors.Is.
var (
	// ErrUnknownField marks a field that an Alert or Provider does not have,
	// typically a typo such as spec.eventSeverty.
	ErrUnknownField = errors.New("unknown field")
	// ErrDuplicateObject marks a second object of the same kind, namespace
	// and name. The first one is kept.
	ErrDuplicateObject = errors.New("duplicate object")
	// ErrProviderNotFound marks an Alert whose spec.providerRef names no
	// Provider in the alert's namespace.
	ErrProviderNotFound = errors.New("provider not found")
)

// LoadError is one problem found while loading manifests. It says where the
// problem is as precisely as it is known; the zero value of a location field
// means "not known" or "not about one".
type LoadError struct {
	// File is the file name, or the name given to Load.
	File string
	// Document is the 1-based number of the YAML document (or JSON value) in
	// File; 0 when the problem concerns the whole file.
	Document int
	// Line is the 1-based line where the document starts; 0 when unknown.
	Line int
	// Object names the object, as "Kind namespace/name"; empty when the
	// document could not be read that far.
	Object string
	// Field is the path of the field at fault within the document, such as
	// "spec.eventSources[1].name" (or "items[2].spec.type" inside a List);
	// empty when the problem is not about one field.
	Field string
	// Err is the problem itself.
	Err error
}

// Error reads "file: document N (line L): Kind ns/name: field: problem",
// leaving out the parts that are not known.
func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Document > 0 {
		fmt.Fprintf(&b, ": document %d", e.Document)
		if e.Line > 0 {
			fmt.Fprintf(&b, " (line %d)", e.Line)
		}
	}
	if e.Object != "" {
		b.WriteString(": ")
		b.WriteString(e.Object)
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("invalid")
	}
	return b.String()
}

// Unwrap returns Err.
func (e *LoadError) Unwrap() error { return e.Err }

// LoadErrors returns every *LoadError in err, the error of LoadFiles or
// Load, in the order of the files and documents they concern. It returns nil
// when err holds none.
func LoadErrors(err error) []*LoadError {
	var out []*LoadError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if le, ok := err.(*LoadError); ok {
			out = append(out, le)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// maxStreamSize bounds one file or stream. Kubernetes objects are far
// smaller (etcd stores at most 1.5 MiB per object); the bound keeps a stray
// large file from exhausting memory.
const maxStreamSize = 32 << 20

// LoadFiles loads every manifest in paths: files, and folders read
// recursively for .yaml, .yml and .json files (in lexical order, skipping
// folders whose name starts with "." and kustomize's kustomization.yaml).
// A file named explicitly is read whatever its extension.
//
// A file may hold several YAML documents separated by "---", one JSON
// object, a stream of JSON objects, or a List ("kind: List" with items, as
// kubectl get -o yaml prints). Alerts and Providers of
// notification.toolkit.fluxcd.io v1beta1, v1beta2, v1beta3 and v1 are
// loaded, and so are v1 Secrets; objects of other kinds (Namespace,
// Kustomization, Receiver, ...) and empty documents are skipped.
//
// Loading is strict where mistakes are silent otherwise: an unknown field in
// an Alert or Provider (spec.eventSeverty; a status, as kubectl prints it,
// is ignored), a duplicate YAML key, an unknown
// version or kind of notification.toolkit.fluxcd.io, a document without
// apiVersion or kind, two objects of the same kind, namespace and name, an
// Alert whose spec.providerRef names no Provider in its namespace, and every
// problem that alert.Alert.Validate and provider.Provider.Validate find.
// Secrets that Providers reference are not required: they may come from
// elsewhere, and only delivery needs them (see provider.Resolve). Secrets
// encrypted with SOPS (with a top-level sops key) cannot be read and are
// skipped.
//
// One bad object never hides the others. The error joins one *LoadError per
// problem, each naming the file, the document, the object and the field (see
// LoadErrors to list them). On error the Config still holds every object
// that decoded, including objects that failed validation or had unknown
// fields, so a caller can report the problems and go on with the rest, as a
// controller does; a duplicate is left out (the first object wins), and so
// is an object whose fields have the wrong types. The Config is nil only
// when nothing could be read.
func LoadFiles(paths ...string) (*Config, error) {
	if len(paths) == 0 {
		return nil, errors.New("fluxnotify: no manifest path given")
	}
	l := newLoader()
	read := 0
	for _, p := range paths {
		files, err := manifestFiles(p)
		for _, ferr := range err {
			l.fail(location{file: ferr.path, seq: l.nextSeq()}, "", "", ferr.err)
		}
		for _, f := range files {
			data, err := readFile(f)
			if err != nil {
				l.fail(location{file: f, seq: l.nextSeq()}, "", "", err)
				continue
			}
			read++
			l.loadStream(f, data)
		}
		if len(files) == 0 && len(err) == 0 {
			read++ // an empty folder is not a failure
		}
	}
	return l.result(read > 0)
}

// Load loads the manifests of one YAML or JSON stream, with the rules of
// LoadFiles; name stands for the stream in errors (a file name, or
// "stdin"). The Config is nil only when r cannot be read.
func Load(r io.Reader, name string) (*Config, error) {
	l := newLoader()
	data, err := readLimited(r)
	if err != nil {
		l.fail(location{file: name}, "", "", err)
		return l.result(false)
	}
	l.loadStream(name, data)
	return l.result(true)
}

type pathError struct {
	path string
	err  error
}

// manifestFiles lists the files that path names: itself, or the manifests
// under it.
func manifestFiles(path string) ([]string, []pathError) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, []pathError{{path, unwrapPathError(err)}}
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	// WalkDir does not follow a symbolic link, even as its root: a trailing
	// separator makes it (a mounted ConfigMap is a tree of links).
	root := path
	if li, err := os.Lstat(path); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		root = path + string(filepath.Separator)
	}
	var files []string
	var errs []pathError
	walkErr := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, pathError{p, unwrapPathError(err)})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && strings.HasPrefix(name, ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !isManifestName(name) {
			return nil
		}
		files = append(files, p)
		return nil
	})
	if walkErr != nil {
		errs = append(errs, pathError{path, unwrapPathError(walkErr)})
	}
	return files, errs
}

// isManifestName reports whether a file found in a folder is a manifest.
// kustomization.yaml is kustomize's build file, not an object.
func isManifestName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
	default:
		return false
	}
	switch name {
	case "kustomization.yaml", "kustomization.yml":
		return false
	}
	return !strings.HasPrefix(name, ".")
}

// unwrapPathError drops the path that *fs.PathError repeats, since
// LoadError names the file already.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	defer f.Close()
	return readLimited(f)
}

// readLimited reads r whole, up to maxStreamSize bytes.
func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxStreamSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading: %w", unwrapPathError(err))
	}
	if len(data) > maxStreamSize {
		return nil, fmt.Errorf("larger than %d MiB", maxStreamSize>>20)
	}
	return data, nil
}

// location is where a document is.
type location struct {
	file string
	doc  int
	line int
	seq  int // order of the file, to sort problems
}

type manifestKey struct {
	kind, namespace, name string
}

// origin is where an object was read, and the field path prefix of the
// object within its document ("items[2]." inside a List).
type origin struct {
	loc    location
	prefix string
}

type loader struct {
	cfg      Config
	errs     []problem
	seq      int
	seen     map[manifestKey]origin // every object identified, even if it did not decode
	alertsAt []origin               // parallel to cfg.Alerts
}

func newLoader() *loader {
	return &loader{seen: make(map[manifestKey]origin)}
}

func (l *loader) nextSeq() int {
	l.seq++
	return l.seq
}

// problem is a LoadError and the order of its file.
type problem struct {
	seq int
	err *LoadError
}

func (l *loader) fail(loc location, object, field string, err error) {
	l.errs = append(l.errs, problem{loc.seq, &LoadError{
		File: loc.file, Document: loc.doc, Line: loc.line,
		Object: object, Field: field, Err: err,
	}})
}

// result runs the checks across objects and builds the answer.
func (l *loader) result(read bool) (*Config, error) {
	l.checkProviderRefs()
	slices.SortStableFunc(l.errs, func(a, b problem) int {
		if a.seq != b.seq {
			return a.seq - b.seq
		}
		return a.err.Document - b.err.Document
	})
	var err error
	if len(l.errs) > 0 {
		errs := make([]error, len(l.errs))
		for i, p := range l.errs {
			errs[i] = p.err
		}
		err = errors.Join(errs...)
	}
	if !read {
		return nil, err
	}
	cfg := l.cfg
	return &cfg, err
}

// checkProviderRefs reports every Alert whose spec.providerRef names no
// Provider in its namespace. A Provider that was found but did not decode
// still counts, so its own error is not echoed by every alert using it.
func (l *loader) checkProviderRefs() {
	for i := range l.cfg.Alerts {
		a := &l.cfg.Alerts[i]
		ref := a.Spec.ProviderRef.Name
		if ref == "" { // Validate reported it
			continue
		}
		if _, ok := l.seen[manifestKey{provider.Kind, a.Namespace, ref}]; ok {
			continue
		}
		at := l.alertsAt[i]
		l.fail(at.loc, objectName(alert.Kind, a.Namespace, a.Name), at.prefix+"spec.providerRef.name",
			fmt.Errorf("%w: no Provider %q in namespace %q", ErrProviderNotFound, ref, a.Namespace))
	}
}

// document is one YAML document or JSON value of a stream.
type document struct {
	loc  location
	data []byte
	json bool
	// yamlLine is the line of the stream where data starts: YAML parser
	// errors count lines from there.
	yamlLine int
	// dupKeys reports keys written twice in a YAML mapping, which JSON
	// conversion resolves silently (the last one wins).
	dupKeys error
}

func (l *loader) loadStream(file string, data []byte) {
	seq := l.nextSeq()
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	docs, jerr := splitJSON(data)
	if jerr != nil && !strings.EqualFold(filepath.Ext(file), ".json") {
		docs, jerr = nil, nil // maybe YAML in flow style: let the YAML parser judge
	}
	if docs == nil && jerr == nil {
		docs = splitYAML(data)
	}
	for _, d := range docs {
		d.loc.file, d.loc.seq = file, seq
		l.loadDocument(d)
	}
	if jerr != nil {
		jerr.loc.file, jerr.loc.seq = file, seq
		l.fail(jerr.loc, "", "", jerr.err)
	}
}

type streamError struct {
	loc location
	err error
}

// splitJSON splits a stream of JSON values. It returns nil, nil when data
// does not start like JSON, and the values read before a syntax error.
func splitJSON(data []byte) ([]document, *streamError) {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var docs []document
	line, counted := 1, 0
	lineAt := func(off int) int {
		off = max(0, min(off, len(data)))
		if off < counted {
			return 1 + bytes.Count(data[:off], []byte{'\n'})
		}
		line += bytes.Count(data[counted:off], []byte{'\n'})
		counted = off
		return line
	}
	for {
		start := int(dec.InputOffset())
		start += len(data[start:]) - len(bytes.TrimLeft(data[start:], " \t\r\n"))
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return docs, nil
		}
		n := len(docs) + 1
		if err != nil {
			var se *json.SyntaxError
			errLine := lineAt(start)
			if errors.As(err, &se) {
				errLine = lineAt(int(se.Offset))
			}
			return docs, &streamError{location{doc: n, line: lineAt(start)},
				fmt.Errorf("invalid JSON at line %d: %w", errLine, err)}
		}
		docs = append(docs, document{loc: location{doc: n, line: lineAt(start)}, data: raw, json: true})
	}
}

// splitYAML splits a YAML stream at "---" lines, as kubectl does. Documents
// are numbered from 1; an empty section before the first "---" (comments, a
// leading separator) is not counted.
func splitYAML(data []byte) []document {
	var docs []document
	n := 0
	emit := func(chunk []byte, firstLine int, last bool) {
		if n == 0 && !last && blankYAML(chunk) {
			return
		}
		n++
		docs = append(docs, document{
			loc:      location{doc: n, line: firstLine + leadingBlankLines(chunk)},
			data:     chunk,
			yamlLine: firstLine,
		})
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
			emit(data[start:pos], startLine, false)
			start, startLine = next, line+1
		}
		pos = next
	}
	emit(data[start:], startLine, true)
	return docs
}

func isSeparator(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("---"))
	if !ok {
		return false
	}
	rest = bytes.TrimSpace(rest)
	return len(rest) == 0 || rest[0] == '#'
}

// blankYAML reports whether chunk holds only blank lines and comments.
func blankYAML(chunk []byte) bool {
	for line := range bytes.Lines(chunk) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			return false
		}
	}
	return true
}

// leadingBlankLines counts the blank and comment lines that start chunk.
func leadingBlankLines(chunk []byte) int {
	n := 0
	for len(chunk) > 0 {
		line, rest, found := bytes.Cut(chunk, []byte{'\n'})
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			return n
		}
		n++
		if !found {
			break
		}
		chunk = rest
	}
	return n
}

var jsonNull = []byte("null")

func (l *loader) loadDocument(d document) {
	j := d.data
	if !d.json {
		if blankYAML(d.data) {
			return
		}
		// One strict parse in the common case; a document with a duplicate
		// key is parsed again leniently, and the duplicate is reported if
		// the document is one the loader reads.
		var err error
		if j, err = yamlToJSON(d.data, true); err != nil {
			var lerr error
			if j, lerr = yamlToJSON(d.data, false); lerr != nil {
				l.fail(d.loc, "", "", yamlError(lerr, d.yamlLine))
				return
			}
			d.dupKeys = yamlError(err, d.yamlLine)
		}
	}
	l.loadObject(d, j, "", 0)
}

// header is what every manifest starts with.
type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Items json.RawMessage `json:"items"`
	// Sops is set in a file encrypted with SOPS, as Flux repositories
	// keep their Secrets.
	Sops json.RawMessage `json:"sops"`
}

// supportedVersions are the notification.toolkit.fluxcd.io versions whose
// Alert and Provider the loader reads.
var supportedVersions = []string{"v1beta1", "v1beta2", "v1beta3", "v1"}

// loadObject loads one object of document d, from its JSON j. prefix is
// the object's field path within the document ("items[2]." in a List).
func (l *loader) loadObject(d document, j []byte, prefix string, depth int) {
	j = bytes.TrimSpace(j)
	if len(j) == 0 || bytes.Equal(j, jsonNull) {
		if prefix != "" {
			l.fail(d.loc, "", strings.TrimSuffix(prefix, "."), errors.New("empty item"))
		}
		return
	}
	if j[0] != '{' {
		l.fail(d.loc, "", strings.TrimSuffix(prefix, "."),
			errors.New("not an object: a manifest is a mapping with apiVersion, kind and metadata"))
		return
	}
	var h header
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(j, &h); err != nil {
		field, msg := describeError(err, j, func() any { return new(header) })
		l.fail(d.loc, "", prefix+field, msg)
		return
	}
	ns := h.Metadata.Namespace
	if ns == "" {
		ns = metav1NamespaceDefault
	}
	object := objectName(h.Kind, ns, h.Metadata.Name)
	group, version := splitAPIVersion(h.APIVersion)
	at := origin{d.loc, prefix}
	switch {
	case h.APIVersion == "" && h.Kind == "":
		l.fail(d.loc, "", strings.TrimSuffix(prefix, "."), errors.New("not a Kubernetes object: apiVersion and kind are missing"))
	case h.APIVersion == "":
		l.fail(d.loc, object, prefix+"apiVersion", errors.New("required"))
	case h.Kind == "":
		l.fail(d.loc, "", prefix+"kind", errors.New("required"))
	case strings.HasSuffix(h.Kind, "List") && len(h.Items) > 0:
		if depth > 0 {
			l.fail(d.loc, "", prefix+"items", fmt.Errorf("a %s inside a List is not supported", h.Kind))
			return
		}
		var items []json.RawMessage
		if err := json.Unmarshal(h.Items, &items); err != nil {
			l.fail(d.loc, "", prefix+"items", errors.New("want a list of objects"))
			return
		}
		l.checkYAMLKeys(d, "", depth)
		for i, item := range items {
			l.loadObject(d, item, fmt.Sprintf("%sitems[%d].", prefix, i), depth+1)
		}
	case group == alert.Group:
		if h.Kind != alert.Kind && h.Kind != provider.Kind {
			if h.Kind != "Receiver" {
				l.fail(d.loc, object, prefix+"kind",
					fmt.Errorf("unknown kind %q of %s: want %s or %s", h.Kind, alert.Group, alert.Kind, provider.Kind))
			}
			return
		}
		if !slices.Contains(supportedVersions, version) {
			l.fail(d.loc, object, prefix+"apiVersion",
				fmt.Errorf("unsupported version %q: want one of %s", version, strings.Join(supportedVersions, ", ")))
			return
		}
		l.checkYAMLKeys(d, object, depth)
		first := l.identify(manifestKey{h.Kind, ns, h.Metadata.Name}, at, object)
		if h.Kind == alert.Kind {
			l.loadAlert(at, object, j, first)
		} else {
			l.loadProvider(at, object, j, first)
		}
	case h.APIVersion == "v1" && h.Kind == "Secret" && h.Sops == nil:
		l.checkYAMLKeys(d, object, depth)
		first := l.identify(manifestKey{h.Kind, ns, h.Metadata.Name}, at, object)
		l.loadSecret(at, object, j, first)
	}
	// Any other kind is not ours: skipped.
}

// metav1NamespaceDefault is the namespace of objects that name none.
const metav1NamespaceDefault = "default"

func objectName(kind, namespace, name string) string {
	if name == "" {
		name = "(no name)"
	}
	if kind == "" {
		kind = "object"
	}
	return kind + " " + namespace + "/" + name
}

func splitAPIVersion(apiVersion string) (group, version string) {
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i], apiVersion[i+1:]
	}
	return "", apiVersion
}

// identify records an object and reports whether it is the first of its
// kind, namespace and name.
func (l *loader) identify(key manifestKey, at origin, object string) bool {
	if key.name == "" {
		return true // Validate reports the missing name
	}
	if prev, dup := l.seen[key]; dup {
		where := prev.loc.file
		if prev.loc.doc > 0 {
			where += fmt.Sprintf(": document %d", prev.loc.doc)
		}
		l.fail(at.loc, object, strings.TrimSuffix(at.prefix, "."),
			fmt.Errorf("%w: already defined in %s; this one is ignored", ErrDuplicateObject, where))
		return false
	}
	l.seen[key] = at
	return true
}

// checkYAMLKeys reports the duplicate keys of a document the loader reads,
// once per document.
func (l *loader) checkYAMLKeys(d document, object string, depth int) {
	if d.dupKeys != nil && depth == 0 {
		l.fail(d.loc, object, "", d.dupKeys)
	}
}

func (l *loader) loadAlert(at origin, object string, j []byte, first bool) {
	var a alert.Alert
	strictErrs, err := sigsjson.UnmarshalStrict(j, &a)
	if err != nil {
		field, msg := describeError(err, j, func() any { return new(alert.Alert) })
		l.fail(at.loc, object, at.prefix+field, msg)
		return
	}
	l.strictErrors(at, object, strictErrs, reflect.TypeFor[alert.Alert]())
	if a.Namespace == "" {
		a.Namespace = metav1NamespaceDefault
	}
	l.fieldErrors(at, object, a.FieldErrors())
	if first {
		l.cfg.Alerts = append(l.cfg.Alerts, a)
		l.alertsAt = append(l.alertsAt, at)
	}
}

func (l *loader) loadProvider(at origin, object string, j []byte, first bool) {
	var p provider.Provider
	strictErrs, err := sigsjson.UnmarshalStrict(j, &p)
	if err != nil {
		field, msg := describeError(err, j, func() any { return new(provider.Provider) })
		l.fail(at.loc, object, at.prefix+field, msg)
		return
	}
	l.strictErrors(at, object, strictErrs, reflect.TypeFor[provider.Provider]())
	if p.Namespace == "" {
		p.Namespace = metav1NamespaceDefault
	}
	l.fieldErrors(at, object, p.FieldErrors())
	if first {
		l.cfg.Providers = append(l.cfg.Providers, p)
	}
}

// loadSecret reads a Secret leniently (Secrets are Kubernetes' own type, and
// often produced by tools). No error quotes a secret value.
func (l *loader) loadSecret(at origin, object string, j []byte, first bool) {
	var s corev1.Secret
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(j, &s); err != nil {
		field, msg := describeError(err, j, func() any { return new(corev1.Secret) })
		l.fail(at.loc, object, at.prefix+field, msg)
		return
	}
	if s.Namespace == "" {
		s.Namespace = metav1NamespaceDefault
	}
	if s.Name == "" {
		l.fail(at.loc, object, at.prefix+"metadata.name", errors.New("Required value"))
	}
	if first {
		l.cfg.Secrets = append(l.cfg.Secrets, s)
	}
}

// strictErrors reports unknown and duplicate fields. The status that
// kubectl get -o yaml prints is not the user's to write, and is ignored, as
// the API server does on create.
func (l *loader) strictErrors(at origin, object string, errs []error, root reflect.Type) {
	for _, e := range errs {
		path := ""
		var fe sigsjson.FieldError
		if errors.As(e, &fe) {
			path = fe.FieldPath()
		}
		if path == "status" || strings.HasPrefix(path, "status.") {
			continue
		}
		var err error
		switch {
		case strings.HasPrefix(e.Error(), "unknown field"):
			err = fmt.Errorf("%w%s", ErrUnknownField, suggestField(root, path))
		case strings.HasPrefix(e.Error(), "duplicate field"):
			err = errors.New("duplicate field")
		default:
			err = e
		}
		l.fail(at.loc, object, at.prefix+path, err)
	}
}

// fieldErrors reports validation problems, one LoadError each.
func (l *loader) fieldErrors(at origin, object string, errs field.ErrorList) {
	for _, fe := range errs {
		l.fail(at.loc, object, at.prefix+fe.Field, validationError{fe})
	}
}

// validationError shows the body of a *field.Error (LoadError shows the
// field) and unwraps to it.
type validationError struct{ fe *field.Error }

func (e validationError) Error() string { return e.fe.ErrorBody() }
func (e validationError) Unwrap() error { return e.fe }

// describeError turns a decoding error into the field at fault and a
// message. Type errors carry their field; other errors (a custom decoder's,
// such as a bad duration or base64) are located by decoding one field at a
// time into a fresh value from newObj.
func describeError(err error, j []byte, newObj func() any) (string, error) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path := te.Field
		// Type errors inside maps stop at the map: look for the key.
		if deeper := locateError(j, newObj); strings.HasPrefix(deeper, path+".") {
			path = deeper
		}
		return path, fmt.Errorf("want %s, got %s", describeType(te.Type), te.Value)
	}
	path := locateError(j, newObj)
	msg := err.Error()
	if path != "" {
		last := path[strings.LastIndexByte(path, '.')+1:]
		msg = strings.TrimPrefix(msg, last+": ")
	}
	return path, errors.New(msg)
}

// locateError finds the first top-level field, or field of a top-level
// object, that does not decode on its own.
func locateError(j []byte, newObj func() any) string {
	fails := func(doc []byte) bool {
		return sigsjson.UnmarshalCaseSensitivePreserveInts(doc, newObj()) != nil
	}
	wrap := func(key string, value []byte) []byte {
		k, _ := json.Marshal(key)
		return slices.Concat([]byte("{"), k, []byte(":"), value, []byte("}"))
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(j, &top) != nil {
		return ""
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if !fails(wrap(k, top[k])) {
			continue
		}
		var sub map[string]json.RawMessage
		if json.Unmarshal(top[k], &sub) == nil {
			for _, k2 := range slices.Sorted(maps.Keys(sub)) {
				if fails(wrap(k, wrap(k2, sub[k2]))) {
					return k + "." + k2
				}
			}
		}
		return k
	}
	return ""
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
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

// suggestField proposes the known field closest to the unknown one at path,
// as ` (did you mean "eventSeverity"?)`, or "".
func suggestField(root reflect.Type, path string) string {
	segs := strings.Split(path, ".")
	if len(segs) == 0 {
		return ""
	}
	t := root
	for _, seg := range segs[:len(segs)-1] {
		if i := strings.IndexByte(seg, '['); i >= 0 {
			seg = seg[:i]
		}
		t = elemType(t)
		if t.Kind() != reflect.Struct {
			return ""
		}
		f, ok := jsonField(t, seg)
		if !ok {
			return ""
		}
		t = f
	}
	t = elemType(t)
	if t.Kind() != reflect.Struct {
		return ""
	}
	unknown := segs[len(segs)-1]
	best, bestDist := "", 3 // suggest only close names
	for _, name := range jsonFields(t) {
		d := editDistance(strings.ToLower(unknown), strings.ToLower(name))
		if d < bestDist {
			best, bestDist = name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// elemType looks through pointers and slices.
func elemType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	return t
}

// jsonFields lists the JSON names of struct t, with inlined embedded
// structs' fields.
func jsonFields(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, inline := jsonName(f)
		switch {
		case inline:
			out = append(out, jsonFields(elemType(f.Type))...)
		case name != "":
			out = append(out, name)
		}
	}
	return out
}

func jsonField(t reflect.Type, name string) (reflect.Type, bool) {
	for f := range t.Fields() {
		n, inline := jsonName(f)
		if inline {
			if ft, ok := jsonField(elemType(f.Type), name); ok {
				return ft, true
			}
			continue
		}
		if n == name {
			return f.Type, true
		}
	}
	return nil, false
}

// jsonName returns the JSON name of f, or inline for an embedded struct
// whose fields are promoted.
func jsonName(f reflect.StructField) (name string, inline bool) {
	tag := f.Tag.Get("json")
	if tag == "-" || !f.IsExported() && !f.Anonymous {
		return "", false
	}
	name, _, _ = strings.Cut(tag, ",")
	if name == "" && f.Anonymous && elemType(f.Type).Kind() == reflect.Struct {
		return "", true
	}
	if name == "" {
		name = f.Name
	}
	return name, false
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// yamlToJSON converts one YAML document; strict also refuses duplicate
// keys. A panic in the YAML parser, which reads untrusted input, becomes an
// error.
func yamlToJSON(y []byte, strict bool) (j []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			j, err = nil, fmt.Errorf("yaml: the parser failed on this document: %v", r)
		}
	}()
	if strict {
		return yaml.YAMLToJSONStrict(y)
	}
	return yaml.YAMLToJSON(y)
}

var yamlLineRE = regexp.MustCompile(`\bline (\d+)`)

// yamlError rewrites a YAML parser error: line numbers count from the start
// of the file instead of the document, and the layers of prefixes go.
func yamlError(err error, firstLine int) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:")
	msg = redactMapKeyError(msg)
	msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", " ")), " ")
	msg = yamlLineRE.ReplaceAllStringFunc(msg, func(m string) string {
		n, convErr := strconv.Atoi(m[len("line "):])
		if convErr != nil {
			return m
		}
		return "line " + strconv.Itoa(n+firstLine-1)
	})
	return errors.New("invalid YAML: " + msg)
}

// mapKeyError starts the error of sigs.k8s.io/yaml for a mapping key it
// cannot convert to JSON (a null key): "unsupported map key of type: T,
// key: K, value: V".
const mapKeyError = "unsupported map key of type: "

// redactMapKeyError keeps only the type of a mapping key error: its value
// may be a secret (a Secret's "~: https://hooks.slack.com/...").
func redactMapKeyError(msg string) string {
	i := strings.Index(msg, mapKeyError)
	if i < 0 {
		return msg
	}
	typ, _, ok := strings.Cut(msg[i+len(mapKeyError):], ", key: ")
	switch {
	case !ok:
		typ = "unknown"
	case typ == "%!s(<nil>)": // a null key
		typ = "<nil>"
	}
	return msg[:i] + "unsupported map key of type " + typ + " (keys must be strings, numbers or booleans)"
}
