package event

import (
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
)

// fastUnmarshal decodes the events Flux's controllers send in one pass,
// without reflection: a JSON object of the fields of Event, spelled as
// Flux spells them, each once, whose strings have no escape and are valid
// UTF-8, and whose values are strings, the two object references and the
// metadata map. For anything else (another key, an escape, a number, null,
// a syntax error) it reports false and Unmarshal uses encoding/json, which
// then also words the error. On what it accepts, it gives what
// json.Unmarshal gives (FuzzFastUnmarshal compares them).
func fastUnmarshal(data []byte) (*Event, bool) {
	p := fastParser{data: data}
	e := new(Event)
	if !p.object(func(key []byte) bool { return p.eventField(e, key) }) {
		return nil, false
	}
	p.space()
	if p.i != len(p.data) {
		return nil, false
	}
	return e, true
}

type fastParser struct {
	data []byte
	i    int
	seen uint32 // the top-level fields already set
}

func (p *fastParser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// consume skips whitespace and then c, reporting whether c was there.
func (p *fastParser) consume(c byte) bool {
	p.space()
	if p.i < len(p.data) && p.data[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string without escapes or control characters, in valid
// UTF-8, and returns its bytes (without the quotes).
func (p *fastParser) str() ([]byte, bool) {
	if !p.consume('"') {
		return nil, false
	}
	start := p.i
	ascii := true
	for ; p.i < len(p.data); p.i++ {
		c := p.data[p.i]
		switch {
		case c == '"':
			s := p.data[start:p.i]
			p.i++
			return s, ascii || utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

func (p *fastParser) stringValue(dst *string) bool {
	s, ok := p.str()
	if ok {
		*dst = string(s)
	}
	return ok
}

// object reads {"key": value, ...}; field reads the value of key.
func (p *fastParser) object(field func(key []byte) bool) bool {
	if !p.consume('{') {
		return false
	}
	if p.consume('}') {
		return true
	}
	for {
		key, ok := p.str()
		if !ok || !p.consume(':') || !field(key) {
			return false
		}
		if p.consume(',') {
			continue
		}
		return p.consume('}')
	}
}

// once records that the top-level field bit was set, failing the second
// time: encoding/json would keep the last value, or merge objects.
func (p *fastParser) once(bit uint32) bool {
	if p.seen&bit != 0 {
		return false
	}
	p.seen |= bit
	return true
}

func (p *fastParser) eventField(e *Event, key []byte) bool {
	switch string(key) {
	case "involvedObject":
		return p.once(1<<0) && p.reference(&e.InvolvedObject)
	case "relatedObject":
		ref := new(corev1.ObjectReference)
		e.RelatedObject = ref
		return p.once(1<<1) && p.reference(ref)
	case "severity":
		return p.once(1<<2) && p.stringValue(&e.Severity)
	case "timestamp":
		if !p.once(1 << 3) {
			return false
		}
		p.space()
		start := p.i
		if _, ok := p.str(); !ok {
			return false
		}
		return e.Timestamp.UnmarshalJSON(p.data[start:p.i]) == nil
	case "message":
		return p.once(1<<4) && p.stringValue(&e.Message)
	case "reason":
		return p.once(1<<5) && p.stringValue(&e.Reason)
	case "action":
		return p.once(1<<6) && p.stringValue(&e.Action)
	case "metadata":
		if !p.once(1 << 7) {
			return false
		}
		e.Metadata = map[string]string{}
		return p.object(func(key []byte) bool {
			v, ok := p.str()
			if ok {
				e.Metadata[string(key)] = string(v)
			}
			return ok
		})
	case "reportingController":
		return p.once(1<<8) && p.stringValue(&e.ReportingController)
	case "reportingInstance":
		return p.once(1<<9) && p.stringValue(&e.ReportingInstance)
	}
	return false
}

func (p *fastParser) reference(ref *corev1.ObjectReference) bool {
	var seen uint8
	return p.object(func(key []byte) bool {
		var dst *string
		var bit uint8
		switch string(key) {
		case "kind":
			dst, bit = &ref.Kind, 1<<0
		case "namespace":
			dst, bit = &ref.Namespace, 1<<1
		case "name":
			dst, bit = &ref.Name, 1<<2
		case "uid":
			dst, bit = (*string)(&ref.UID), 1<<3
		case "apiVersion":
			dst, bit = &ref.APIVersion, 1<<4
		case "resourceVersion":
			dst, bit = &ref.ResourceVersion, 1<<5
		case "fieldPath":
			dst, bit = &ref.FieldPath, 1<<6
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return p.stringValue(dst)
	})
}
