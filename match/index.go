package match

import (
	"cmp"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
)

// The index sorts every event source of every active alert into the most
// precise bucket its patterns allow:
//
//	exact namespace, kind and name  -> exact[{namespace, kind, name}]
//	exact namespace and kind        -> byNSKind[{namespace, kind}]  (name "*" or a glob)
//	exact namespace, kind a glob    -> byNS[namespace]
//	namespace a glob, exact kind    -> byKind[kind]
//	namespace and kind both globs   -> rest
//
// An event looks up one key in each map and walks the (short) lists it finds,
// so the cost depends on how many sources could concern the event, not on the
// number of alerts. Every hit carries the alert's severity as a bit mask, so
// severity filters before anything else is compared.

// hit is one event source of one alert that an event reached.
type hit struct {
	rule    int32 // index in Matcher.rules (input order)
	src     int32 // index in the rule's sources
	sevMask uint8 // bit s set: the alert takes event severity s (bit 0: unknown)
}

type key2 struct{ namespace, kind string }

type key3 struct{ namespace, kind, name string }

// nameEntry is a source in a bucket where namespace and kind are known.
type nameEntry struct {
	hit
	name pattern
}

// sideEntry is a source with a glob namespace or kind.
type sideEntry struct {
	hit
	namespace, kind, name pattern
}

type index struct {
	exact    map[key3][]hit
	byNSKind map[key2][]nameEntry
	byNS     map[string][]sideEntry
	byKind   map[string][]sideEntry
	rest     []sideEntry
}

// severityMask returns the event severities an alert takes, as bits: bit 0
// for an unknown severity, bit s for event.Severity s.
func severityMask(mode Mode, sev severity) uint8 {
	const all = 1<<event.SeverityTrace | 1<<event.SeverityInfo | 1<<event.SeverityWarn | 1<<event.SeverityError
	var m uint8
	switch {
	case sev.list:
		for _, l := range sev.levels {
			m |= 1 << l
		}
	case mode == Flux && (!sev.set || sev.levels[0] == event.SeverityInfo):
		m = all | 1 // Flux's info takes every event, whatever its severity.
	case mode == Flux:
		m = 1 << sev.levels[0]
	case !sev.set:
		m = 1 << event.SeverityError
	default:
		for l := sev.levels[0]; l <= event.SeverityError; l++ {
			m |= 1 << l
		}
	}
	return m
}

func sevBit(sev event.Severity) uint8 { return 1 << sev }

func buildIndex(rules []rule, o *options) index {
	ix := index{
		exact:    make(map[key3][]hit),
		byNSKind: make(map[key2][]nameEntry),
		byNS:     make(map[string][]sideEntry),
		byKind:   make(map[string][]sideEntry),
	}
	for ri := range rules {
		r := &rules[ri]
		if r.alert.Spec.Suspend {
			continue
		}
		mask := severityMask(o.mode, r.sev)
		if mask == 0 {
			continue
		}
		for si := range r.sources {
			s := r.sources[si]
			if o.noCrossNamespace {
				// Only events from the alert's own namespace count: keep
				// the source only if it selects that namespace, and then
				// for that namespace alone.
				if !s.namespace.match(r.alert.Namespace) {
					continue
				}
				s.namespace = exactPattern(r.alert.Namespace)
			}
			h := hit{rule: int32(ri), src: int32(si), sevMask: mask}
			nsExact, kindExact := s.namespace.isExact(), s.kind.isExact()
			switch {
			case nsExact && kindExact && s.name.isExact():
				k := key3{s.namespace.text, s.kind.text, s.name.text}
				ix.exact[k] = append(ix.exact[k], h)
			case nsExact && kindExact:
				k := key2{s.namespace.text, s.kind.text}
				ix.byNSKind[k] = append(ix.byNSKind[k], nameEntry{hit: h, name: s.name})
			case nsExact:
				ix.byNS[s.namespace.text] = append(ix.byNS[s.namespace.text], sideEntry{hit: h, namespace: s.namespace, kind: s.kind, name: s.name})
			case kindExact:
				ix.byKind[s.kind.text] = append(ix.byKind[s.kind.text], sideEntry{hit: h, namespace: s.namespace, kind: s.kind, name: s.name})
			default:
				ix.rest = append(ix.rest, sideEntry{hit: h, namespace: s.namespace, kind: s.kind, name: s.name})
			}
		}
	}
	return ix
}

// lookup appends to hits the sources that obj reaches with severity bit.
func (ix *index) lookup(hits []hit, obj *corev1.ObjectReference, bit uint8) []hit {
	for _, h := range ix.exact[key3{obj.Namespace, obj.Kind, obj.Name}] {
		if h.sevMask&bit != 0 {
			hits = append(hits, h)
		}
	}
	named := ix.byNSKind[key2{obj.Namespace, obj.Kind}]
	for i := range named {
		ne := &named[i]
		if ne.sevMask&bit != 0 && ne.name.match(obj.Name) {
			hits = append(hits, ne.hit)
		}
	}
	hits = lookupSide(hits, ix.byNS[obj.Namespace], obj, bit)
	hits = lookupSide(hits, ix.byKind[obj.Kind], obj, bit)
	return lookupSide(hits, ix.rest, obj, bit)
}

func lookupSide(hits []hit, list []sideEntry, obj *corev1.ObjectReference, bit uint8) []hit {
	for i := range list {
		se := &list[i]
		if se.sevMask&bit != 0 && se.kind.match(obj.Kind) && se.namespace.match(obj.Namespace) && se.name.match(obj.Name) {
			hits = append(hits, se.hit)
		}
	}
	return hits
}

func compareHits(a, b hit) int {
	if c := cmp.Compare(a.rule, b.rule); c != 0 {
		return c
	}
	return cmp.Compare(a.src, b.src)
}

// hitPool holds the scratch slices of appendMatches, so that matching does
// not allocate however many sources an event reaches.
var hitPool = sync.Pool{New: func() any { s := make([]hit, 0, 64); return &s }}

// appendMatches is the indexed match. Hits are sorted by alert, so results
// come in input order, each alert once, and the labels are looked up at most
// once, on the first source that needs them.
func (m *Matcher) appendMatches(ec *evalCtx, dst []*alert.Alert) []*alert.Alert {
	scratch := hitPool.Get().(*[]hit)
	hits := m.index.lookup((*scratch)[:0], &ec.e.InvolvedObject, sevBit(ec.sev))
	dst = m.resolve(ec, dst, hits)
	*scratch = hits[:0]
	hitPool.Put(scratch)
	return dst
}

// resolve appends the alerts of hits that pass matchLabels and the message
// filters.
func (m *Matcher) resolve(ec *evalCtx, dst []*alert.Alert, hits []hit) []*alert.Alert {
	if len(hits) == 0 {
		return dst
	}
	if len(hits) > 1 {
		slices.SortFunc(hits, compareHits)
	}
	for i := 0; i < len(hits); {
		ri := hits[i].rule
		r := &m.rules[ri]
		sourceOK := false
		for ; i < len(hits) && hits[i].rule == ri; i++ {
			if sourceOK {
				continue
			}
			s := &r.sources[hits[i].src]
			if !s.needLabels {
				sourceOK = true
				continue
			}
			have, err := ec.labels.get()
			if err != nil {
				continue
			}
			sourceOK, _ = s.labelsMatch(have, false)
		}
		if sourceOK && r.messageOK(ec) {
			dst = append(dst, r.alert)
		}
	}
	return dst
}

// messageOK applies inclusionList then exclusionList, each distinct
// expression at most once per event.
func (r *rule) messageOK(ec *evalCtx) bool {
	if len(r.fastInclude) > 0 {
		included := false
		for i := range r.fastInclude {
			if ec.matchText(&r.fastInclude[i]) {
				included = true
				break
			}
		}
		if !included {
			return false
		}
	}
	for i := range r.fastExclude {
		if ec.matchText(&r.fastExclude[i]) {
			return false
		}
	}
	return true
}
