package manifest

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"go.yaml.in/yaml/v3"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/provider"
)

// legacyGroup is the API group of notification-controller before v0.0.6
// (July 2020), renamed notification.toolkit.fluxcd.io since.
const legacyGroup = "notification.fluxcd.io"

// namespaceDefault is the namespace of objects that name none.
const namespaceDefault = "default"

// servedVersion is the only version under which current Flux
// (notification-controller v1.9) serves Alert and Provider.
const servedVersion = "v1beta3"

// removedIn says in which Flux release the API server stopped serving a
// version of Alert and Provider (notification-controller v1.7.0 removed
// v1beta1, v1.9.0 removed v1beta2). Objects of these versions still load:
// repositories keep them, and their fields are a subset of v1beta3's
// (the CRDs convert without a webhook).
var removedIn = map[string]string{
	"v1beta1": "Flux 2.7",
	"v1beta2": "Flux 2.9",
}

// header is what every manifest starts with.
type header struct {
	apiVersion, kind, name, namespace string
	group, version                    string
	items                             *yaml.Node
	sops                              bool
}

func readHeader(d *decoder, n *yaml.Node) header {
	var h header
	str := func(v *yaml.Node) string {
		if v != nil && v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() == nullTag {
			return ""
		}
		return v.Value
	}
	h.apiVersion = str(d.lookup(n, "apiVersion"))
	h.kind = str(d.lookup(n, "kind"))
	meta := d.lookup(n, "metadata")
	if meta != nil && meta.Kind == yaml.AliasNode {
		meta = meta.Alias
	}
	h.name = str(d.lookup(meta, "name"))
	h.namespace = str(d.lookup(meta, "namespace"))
	h.items = d.lookup(n, "items")
	if h.items != nil && h.items.Kind == yaml.AliasNode {
		h.items = h.items.Alias
	}
	h.sops = d.lookup(n, "sops") != nil
	if i := strings.LastIndexByte(h.apiVersion, '/'); i >= 0 {
		h.group, h.version = h.apiVersion[:i], h.apiVersion[i+1:]
	} else {
		h.version = h.apiVersion
	}
	return h
}

func (h header) object() string {
	if h.kind == "" {
		return ""
	}
	ns := h.namespace
	if ns == "" {
		ns = namespaceDefault
	}
	return objectName(h.kind, ns, h.name)
}

// skippedObject names an object of another kind: without a namespace
// when it has none (it may be cluster-scoped, as a Namespace is).
func (h header) skippedObject() string {
	if h.kind == "" {
		return ""
	}
	if h.namespace == "" {
		if h.name == "" {
			return h.kind
		}
		return h.kind + " " + h.name
	}
	return objectName(h.kind, h.namespace, h.name)
}

func objectName(kind, namespace, name string) string {
	if name == "" {
		name = "(no name)"
	}
	return kind + " " + namespace + "/" + name
}

// at builds an Error located at node n of document doc.
func (s *stream) at(doc int, n *yaml.Node, object, field string, err error) *Error {
	e := &Error{File: s.file, Document: doc, Object: object, Field: field, Err: err}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

func (s *stream) loadDocument(doc int, root *yaml.Node) {
	s.loadObject(doc, root, "", 0)
}

// loadObject loads one object of document doc: the document's root, or
// an item of a List (prefix is then "items[2].").
func (s *stream) loadObject(doc int, n *yaml.Node, prefix string, depth int) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	itemField := strings.TrimSuffix(prefix, ".")
	skip := func(object, reason string) {
		s.l.skip(Skipped{File: s.file, Document: doc, Line: n.Line, Object: object, Reason: reason})
	}
	if n.Kind != yaml.MappingNode {
		what := describeNode(n)
		if prefix != "" {
			s.fail(s.at(doc, n, "", itemField, fmt.Errorf("%w: a List item is a mapping with apiVersion, kind and metadata, not %s", ErrNotObject, what)))
			return
		}
		skip("", "not a Kubernetes object ("+what+")")
		return
	}
	h := readHeader(&decoder{budget: 10000, active: map[*yaml.Node]bool{}}, n)
	object := h.object()
	ours := h.group == alert.Group || h.group == legacyGroup || h.group == alert.ExtendedGroup
	switch {
	case h.apiVersion == "" && h.kind == "":
		skip("", "not a Kubernetes object (no apiVersion or kind)")
	case h.apiVersion == "":
		if h.kind == alert.Kind || h.kind == provider.Kind {
			s.fail(s.at(doc, n, object, prefix+"apiVersion", required(prefix+"apiVersion", "for example "+alert.Group+"/"+servedVersion)))
			return
		}
		skip(h.skippedObject(), "not a Kubernetes object (no apiVersion)")
	case h.kind == "":
		if ours {
			s.fail(s.at(doc, n, "", prefix+"kind", required(prefix+"kind", "Alert or Provider")))
			return
		}
		skip("", "not a Kubernetes object (no kind)")
	case h.group == legacyGroup:
		s.fail(s.at(doc, keyNode(n, "apiVersion"), object, prefix+"apiVersion", fmt.Errorf(
			"%w: %s is the API group of notification-controller before v0.0.6 (2020); Flux serves %s as %s/%s",
			ErrUnsupportedVersion, legacyGroup, h.kind, alert.Group, servedVersion)))
	case strings.HasSuffix(h.kind, "List") && h.items != nil:
		s.loadList(doc, n, h, prefix, depth)
	case h.group == alert.Group || h.group == alert.ExtendedGroup:
		s.loadNotification(doc, n, h, prefix)
	case h.apiVersion == "v1" && h.kind == "Secret":
		if h.sops {
			s.identify(h, s.origin(doc, n, prefix))
			skip(object, "SOPS-encrypted: its values cannot be read without the key")
			return
		}
		var sec corev1.Secret
		if !s.decode(doc, n, prefix, object, &sec, false) {
			s.identify(h, s.origin(doc, n, prefix))
			return
		}
		if sec.Namespace == "" {
			sec.Namespace = namespaceDefault
		}
		if sec.Name == "" {
			s.fail(s.at(doc, n, object, prefix+"metadata.name", required("metadata.name", "")))
		}
		if s.identify(h, s.origin(doc, n, prefix)) {
			s.l.cfg.Secrets = append(s.l.cfg.Secrets, sec)
		}
	default:
		skip(h.skippedObject(), "not an Alert, Provider or Secret")
	}
}

func (s *stream) origin(doc int, n *yaml.Node, prefix string) origin {
	return origin{file: s.file, doc: doc, line: n.Line, col: n.Column, seq: s.seq, prefix: prefix, node: n}
}

// required is the problem of a missing field.
func required(path, detail string) error {
	fe := field.Required(field.NewPath(path), detail)
	return &kindError{kind: ErrInvalid, msg: fe.ErrorBody(), err: fe}
}

// keyNode returns the key node of key in mapping n, or n.
func keyNode(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return n
}

func (s *stream) loadList(doc int, n *yaml.Node, h header, prefix string, depth int) {
	items := keyNode(n, "items")
	if depth > 0 {
		s.fail(s.at(doc, items, "", prefix+"items", fmt.Errorf("%w: a %s inside a List is not supported", ErrNotObject, h.kind)))
		return
	}
	if h.items.Kind != yaml.SequenceNode {
		if h.kind == "List" || h.group == alert.Group || h.group == alert.ExtendedGroup {
			s.fail(s.at(doc, items, "", prefix+"items", fmt.Errorf("%w: want a list of objects, got %s", ErrInvalidValue, describeNode(h.items))))
			return
		}
		s.l.skip(Skipped{File: s.file, Document: doc, Line: n.Line, Object: h.skippedObject(), Reason: "not an Alert, Provider or Secret"})
		return
	}
	for i, item := range h.items.Content {
		s.loadObject(doc, item, fmt.Sprintf("%sitems[%d].", prefix, i), depth+1)
	}
}

// loadNotification loads an object of notification.toolkit.fluxcd.io or
// fluxnotify.io.
func (s *stream) loadNotification(doc int, n *yaml.Node, h header, prefix string) {
	object := h.object()
	if h.group == alert.ExtendedGroup {
		s.loadExtended(doc, n, h, prefix)
		return
	}
	switch h.kind {
	case alert.Kind, provider.Kind:
	case "Receiver":
		s.l.skip(Skipped{File: s.file, Document: doc, Line: n.Line, Object: h.skippedObject(), Reason: "a Receiver takes webhooks in; it routes no event"})
		return
	default:
		s.fail(s.at(doc, keyNode(n, "kind"), object, prefix+"kind", fmt.Errorf("%w %q of %s: want %s or %s (or Receiver)%s",
			ErrUnknownKind, h.kind, alert.Group, alert.Kind, provider.Kind, closestName(h.kind, []string{alert.Kind, provider.Kind, "Receiver"}))))
		return
	}
	apiVersion := keyNode(n, "apiVersion")
	switch h.version {
	case servedVersion:
	case "v1beta1", "v1beta2":
		s.l.warn(s.at(doc, apiVersion, object, prefix+"apiVersion", fmt.Errorf(
			"%w: %s and later refuse %s/%s; use %s (same fields)",
			ErrRemovedVersion, removedIn[h.version], alert.Group, h.version, servedVersion)))
	case "v1":
		s.fail(s.at(doc, apiVersion, object, prefix+"apiVersion", fmt.Errorf(
			"%w %q: Flux serves %s as %s/%s; %s/v1 has Receiver only",
			ErrUnsupportedVersion, h.version, h.kind, alert.Group, servedVersion, alert.Group)))
		return
	default:
		s.fail(s.at(doc, apiVersion, object, prefix+"apiVersion", fmt.Errorf(
			"%w %q: Flux serves %s as %s/%s (and loading accepts v1beta1 and v1beta2)",
			ErrUnsupportedVersion, h.version, h.kind, alert.Group, servedVersion)))
		return
	}
	s.loadTyped(doc, n, h, prefix, true)
}

// loadExtended checks the kind and version of a fluxnotify.io object, then
// loads it.
func (s *stream) loadExtended(doc int, n *yaml.Node, h header, prefix string) {
	object := h.object()
	if h.kind != alert.Kind && h.kind != provider.Kind {
		s.fail(s.at(doc, keyNode(n, "kind"), object, prefix+"kind", fmt.Errorf("%w %q of %s: want %s or %s%s",
			ErrUnknownKind, h.kind, alert.ExtendedGroup, alert.Kind, provider.Kind, closestName(h.kind, []string{alert.Kind, provider.Kind}))))
		return
	}
	if h.version != alert.ExtendedVersion {
		s.fail(s.at(doc, keyNode(n, "apiVersion"), object, prefix+"apiVersion", fmt.Errorf(
			"%w %q: fluxnotify serves %s as %s",
			ErrUnsupportedVersion, h.version, h.kind, alert.ExtendedGroupVersion)))
		return
	}
	s.loadTyped(doc, n, h, prefix, false)
}

// loadTyped decodes, validates and records an Alert or Provider. fluxGroup
// says that the object is of Flux's group, where the fields only fluxnotify
// reads get a warning.
func (s *stream) loadTyped(doc int, n *yaml.Node, h header, prefix string, fluxGroup bool) {
	object := h.object()
	at := s.origin(doc, n, prefix)
	if h.sops {
		s.identify(h, at)
		s.l.skip(Skipped{File: s.file, Document: doc, Line: n.Line, Object: object, Reason: "SOPS-encrypted: its values cannot be read without the key"})
		return
	}
	if h.kind == alert.Kind {
		var a alert.Alert
		ok := s.decode(doc, n, prefix, object, &a, true)
		first := s.identify(h, at)
		if !ok {
			return
		}
		if a.Namespace == "" {
			a.Namespace = namespaceDefault
		}
		s.fieldErrors(doc, n, prefix, object, a.FieldErrors())
		s.warnings(doc, n, prefix, object, alertWarnings(&a))
		if fluxGroup {
			s.extended(doc, n, prefix, object, alertExtendedFields(&a))
		}
		if first {
			s.l.cfg.Alerts = append(s.l.cfg.Alerts, a)
			s.l.alertsAt = append(s.l.alertsAt, at)
		}
		return
	}
	var p provider.Provider
	ok := s.decode(doc, n, prefix, object, &p, true)
	first := s.identify(h, at)
	if !ok {
		return
	}
	if p.Namespace == "" {
		p.Namespace = namespaceDefault
	}
	s.fieldErrors(doc, n, prefix, object, p.FieldErrors())
	if fluxGroup {
		s.extended(doc, n, prefix, object, providerExtendedFields(&p))
	}
	if first {
		s.l.cfg.Providers = append(s.l.cfg.Providers, p)
	}
}

// alertWarnings returns the problems of a that do not stop it from
// loading but probably change what it does: those alert.Alert.Lint finds
// in extended mode (a source kind that differs from a Flux kind only in
// case, "did you mean Kustomization"). Flux mode refuses the same alert
// when the Router compiles it; loading has no mode. The paths start at the
// object (spec.eventSources[0].kind); they become Config.Warnings with
// their line and column.
func alertWarnings(a *alert.Alert) field.ErrorList {
	_, warnings := a.Lint(false)
	return warnings
}

// extendedField is a field of a Flux-group object that only fluxnotify
// reads, with what Flux does with it.
type extendedField struct{ path, flux string }

// What Flux does with an extended field.
const (
	fluxPrunes   = "Flux's API server drops it (its schema has no such field)"
	fluxRefuses  = "Flux's API server refuses the object (its schema allows only info or error)"
	fluxKindEnum = "Flux's API server refuses the object (its schema allows Flux's kinds only)"
	fluxLiteral  = "Flux compares it as written, not as a glob"
	fluxTypeEnum = "Flux's API server refuses the object (its schema allows Flux's provider types only)"
)

// alertExtendedFields returns the fields of a that Flux's v1beta3 schema
// prunes (spec.channel, spec.template, spec.delivery, spec.reasons) or refuses (a severity list, a
// level other than exactly info or error, a glob kind), and the globs Flux
// takes literally (a source name other than "*", a namespace). Levels that
// are not levels at all are left to validation.
func alertExtendedFields(a *alert.Alert) []extendedField {
	var out []extendedField
	if a.Spec.Channel != "" {
		out = append(out, extendedField{"spec.channel", fluxPrunes})
	}
	if a.Spec.Template != nil {
		out = append(out, extendedField{"spec.template", fluxPrunes})
	}
	if a.Spec.Delivery != nil {
		out = append(out, extendedField{"spec.delivery", fluxPrunes})
	}
	if a.Spec.Reasons != nil {
		out = append(out, extendedField{"spec.reasons", fluxPrunes})
	}
	if sev := a.Spec.EventSeverity; sev.List {
		out = append(out, extendedField{"spec.eventSeverity", fluxRefuses})
	} else if len(sev.Values) == 1 && sev.Values[0] != "info" && sev.Values[0] != "error" {
		if _, err := sev.Levels(); err == nil {
			out = append(out, extendedField{"spec.eventSeverity", fluxRefuses})
		}
	}
	for i, src := range a.Spec.EventSources {
		p := fmt.Sprintf("spec.eventSources[%d].", i)
		if isGlob(src.Kind) {
			out = append(out, extendedField{p + "kind", fluxKindEnum})
		}
		if src.Name != "*" && isGlob(src.Name) {
			out = append(out, extendedField{p + "name", fluxLiteral})
		}
		if isGlob(src.Namespace) {
			out = append(out, extendedField{p + "namespace", fluxLiteral})
		}
	}
	return out
}

// providerExtendedFields returns the fields of p that Flux's v1beta3 schema
// prunes (spec.template) or refuses (a type of the user's own).
func providerExtendedFields(p *provider.Provider) []extendedField {
	var out []extendedField
	if p.Spec.Type != "" && !provider.IsFluxType(p.Spec.Type) {
		out = append(out, extendedField{"spec.type", fluxTypeEnum})
	}
	if p.Spec.Template != nil {
		out = append(out, extendedField{"spec.template", fluxPrunes})
	}
	return out
}

// isGlob reports whether v holds a glob metacharacter (github.com/gobwas/glob
// syntax: * ? [ ] { }).
func isGlob(v string) bool { return strings.ContainsAny(v, "*?[]{}") }

// extended records an ErrExtendedField warning at each field.
func (s *stream) extended(doc int, n *yaml.Node, prefix, object string, fields []extendedField) {
	for _, f := range fields {
		s.l.warn(s.at(doc, locate(n, f.path), object, prefix+f.path, fmt.Errorf(
			"%w: %s; use apiVersion %s",
			ErrExtendedField, f.flux, alert.ExtendedGroupVersion)))
	}
}

// decode fills v (a pointer) from node n of an object, and reports every
// problem. It returns false when a value did not decode: the object is
// then left out.
func (s *stream) decode(doc int, n *yaml.Node, prefix, object string, v any, strict bool) bool {
	d := newDecoder(n, strict)
	d.ignore = map[string]bool{"status": true}
	d.decodeValue(n, n, "", reflect.ValueOf(v).Elem())
	for _, is := range d.issues {
		s.fail(s.at(doc, is.at, object, prefix+is.path, is.err))
	}
	return !d.failed
}

// fieldErrors reports validation problems, each at the field it names.
func (s *stream) fieldErrors(doc int, n *yaml.Node, prefix, object string, errs field.ErrorList) {
	for _, fe := range errs {
		s.fail(s.at(doc, locate(n, fe.Field), object, prefix+fe.Field, &kindError{kind: ErrInvalid, msg: fe.ErrorBody(), err: fe}))
	}
}

// warnings records validation warnings, each at the field it names.
func (s *stream) warnings(doc int, n *yaml.Node, prefix, object string, errs field.ErrorList) {
	for _, fe := range errs {
		s.l.warn(s.at(doc, locate(n, fe.Field), object, prefix+fe.Field, &kindError{kind: ErrInvalid, msg: fe.ErrorBody(), err: fe}))
	}
}

// identify records an object and reports whether it is the first of its
// kind, namespace and name.
func (s *stream) identify(h header, at origin) bool {
	if h.name == "" {
		return true // validation reports the missing name
	}
	ns := h.namespace
	if ns == "" {
		ns = namespaceDefault
	}
	key := objectKey{h.kind, ns, h.name}
	if s.l.seen == nil {
		s.l.seen = make(map[objectKey]origin)
	}
	if prev, dup := s.l.seen[key]; dup {
		s.fail(&Error{File: s.file, Document: at.doc, Line: at.line, Column: at.col, Object: h.object(),
			Field: strings.TrimSuffix(at.prefix, "."),
			Err:   fmt.Errorf("%w: already defined at %s:%d:%d; this one is ignored", ErrDuplicateObject, prev.file, prev.line, prev.col)})
		return false
	}
	s.l.seen[key] = at
	return true
}

// checkProviderRefs reports every Alert whose spec.providerRef names no
// Provider in its namespace. A Provider that was found but did not decode
// (or is SOPS-encrypted) still counts, so its own error is not echoed by
// every alert using it.
func (l *Loader) checkProviderRefs() {
	for i := range l.cfg.Alerts {
		a := &l.cfg.Alerts[i]
		ref := a.Spec.ProviderRef.Name
		if ref == "" { // validation reported it
			continue
		}
		if _, ok := l.seen[objectKey{provider.Kind, a.Namespace, ref}]; ok {
			continue
		}
		at := l.alertsAt[i]
		n := locate(at.node, "spec.providerRef.name")
		l.fail(at.seq, &Error{File: at.file, Document: at.doc, Line: n.Line, Column: n.Column,
			Object: objectName(alert.Kind, a.Namespace, a.Name), Field: at.prefix + "spec.providerRef.name",
			Err: fmt.Errorf("%w: no Provider %q in namespace %q", ErrProviderNotFound, ref, a.Namespace)})
	}
}

// locate finds the node of a field path such as
// "spec.eventSources[1].name" in an object: the key of a mapping entry,
// the item of a list. When the field is missing (a required value), it
// returns the nearest node above it.
func locate(root *yaml.Node, path string) *yaml.Node {
	d := &decoder{budget: 10000, active: map[*yaml.Node]bool{}}
	cur, best := root, root
	for _, seg := range splitPath(path) {
		if cur != nil && cur.Kind == yaml.AliasNode {
			cur = cur.Alias
		}
		if cur == nil {
			break
		}
		var next, at *yaml.Node
		if i, err := strconv.Atoi(seg); err == nil && cur.Kind == yaml.SequenceNode {
			if i >= 0 && i < len(cur.Content) {
				next, at = cur.Content[i], cur.Content[i]
			}
		} else if cur.Kind == yaml.MappingNode {
			for _, e := range d.entries(cur, "") {
				if e.key.Value == seg {
					next, at = e.value, e.key
					break
				}
			}
		}
		if next == nil {
			break
		}
		cur, best = next, at
	}
	return best
}

// splitPath splits "spec.eventSources[1].name" into spec, eventSources, 1
// and name; a bracketed key may be quoted.
func splitPath(path string) []string {
	var segs []string
	for path != "" {
		switch path[0] {
		case '.':
			path = path[1:]
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return append(segs, path[1:])
			}
			seg := path[1:end]
			if u, err := strconv.Unquote(seg); err == nil {
				seg = u
			}
			segs = append(segs, seg)
			path = path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			segs = append(segs, path[:end])
			path = path[end:]
		}
	}
	return segs
}
