package match

import (
	"encoding/binary"
	"slices"
	"strings"
	"sync"

	"github.com/gobwas/glob"
	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
)

// The index is a tree of three levels, one per field of an event source:
// namespace, then kind, then name. Each level sorts the patterns of its
// field three ways:
//
//	exact values  -> a map from the value to the next level; a glob that
//	                 spells a few values ("{Kustomization,HelmRelease}",
//	                 see expand.go) is filed under each of them
//	"*"           -> one next level, taken by every value
//	globs         -> by literal prefix (the text before the first meta
//	                 character: "app-" for "app-*-api"), each distinct glob
//	                 once, with its literal suffix and its next level
//
// An event walks the tree: at each level it looks its value up in the map,
// takes the "*" branch, and tries only the globs whose literal prefix starts
// its value (comparing each prefix when a level has few, else one map
// look-up per distinct prefix length) and whose literal suffix ends it; a
// glob that is its prefix, "*" and its suffix is decided by these two
// without running. The leaves hold the
// sources, one list per event severity, each source in the lists of the
// severities its alert takes. So the cost depends on how many sources could
// concern the event, never on how many alerts there are; each distinct glob
// runs at most once per event and field (see scratch.globs), as each
// distinct inclusion or exclusion expression does (see textMemo), and each
// distinct pair of inclusionList and exclusionList (see scratch.filters).

// hit is one event source of one alert: the rule's index in Matcher.rules
// (input order) in the high 32 bits, then the source's index in the rule,
// then two flags, so that sorting hits sorts them by alert, then source. The
// flags let resolve skip the rule for most hits: hitLabels, the source has
// matchLabels; hitFilters, the alert has an inclusionList or exclusionList.
type hit uint64

const (
	hitFilters hit = 1 << iota
	hitLabels
	hitFlagBits = iota
)

func newHit(rule, src int, r *rule) hit {
	h := hit(uint64(rule)<<32 | uint64(uint32(src))<<hitFlagBits)
	if r.sources[src].needLabels {
		h |= hitLabels
	}
	if len(r.fastInclude) > 0 || len(r.fastExclude) > 0 {
		h |= hitFilters
	}
	return h
}

func (h hit) rule() int { return int(h >> 32) }

func (h hit) src() int { return int(uint32(h) >> hitFlagBits) }

// field numbers a level of the tree, for the glob memo.
const (
	fieldNamespace = iota
	fieldKind
	fieldName
	nFields
)

// leaf holds the sources that end at one name pattern, by event severity:
// bySev[s] lists, in input order, the sources whose alert takes an event of
// severity s (0: unknown).
type leaf struct {
	bySev [event.SeverityError + 1][]hit
}

type (
	nameLevel = level[leaf]
	kindLevel = level[nameLevel]
	nsLevel   = level[kindLevel]
)

// level indexes the patterns of one field; C is the next level.
type level[C any] struct {
	exact map[string]*C
	any   *C
	// groups holds the globs by literal prefix. With few prefixes, a value
	// is compared with each; with more, byPrefix finds the group of each
	// of the value's prefixes whose length is in prefixLens (ascending).
	groups     []globGroup[C]
	byPrefix   map[string]int // prefix -> index in groups
	prefixLens []int
}

// smallGroups is how many prefixes a level compares one by one before it
// looks them up by length instead.
const smallGroups = 8

type globGroup[C any] struct {
	prefix   string
	children []globChild[C]
}

type globChild[C any] struct {
	g  *glob.Pattern
	id int32 // pattern.id
	// suffix is the glob's literal suffix (see literalSuffix): a value
	// that does not end with it does not run the glob.
	suffix string
	// affix: the glob is its group's prefix, one "*" and suffix ("app-*",
	// "*-api", "app-*-api"), so it matches exactly the values that start
	// with the prefix and end with the suffix, these two not overlapping:
	// it never runs.
	affix bool
	child *C
}

// levelBuilder finds the child of a level for a pattern while the index is
// built; globs are found by id, so that a level holds each distinct glob
// once.
type levelBuilder struct {
	globChildren map[globChildKey]any
	// values caches globValues by glob id (nil: the glob stays a glob).
	values map[int32][]string
}

// globValues returns the exact values p is filed under (see expand.go), or
// nil when p is filed as itself.
func (b *levelBuilder) globValues(p *pattern) []string {
	if p.g == nil {
		return nil
	}
	vs, ok := b.values[p.id]
	if !ok {
		vs = globValues(p.text, maxGlobValues)
		b.values[p.id] = vs
	}
	return vs
}

// children returns the next levels for p: the one of each exact value in
// values when values is set, else the one of p itself.
func children[C any](b *levelBuilder, l *level[C], p *pattern, values []string) []*C {
	if values == nil {
		return []*C{child(b, l, p)}
	}
	out := make([]*C, len(values))
	for i, v := range values {
		e := exactPattern(v)
		out[i] = child(b, l, &e)
	}
	return out
}

type globChildKey struct {
	level any // *level[C]
	id    int32
}

// child returns the next level for p, creating it when needed.
func child[C any](b *levelBuilder, l *level[C], p *pattern) *C {
	switch {
	case p.any:
		if l.any == nil {
			l.any = new(C)
		}
		return l.any
	case p.g == nil:
		c := l.exact[p.text]
		if c == nil {
			if l.exact == nil {
				l.exact = make(map[string]*C)
			}
			c = new(C)
			l.exact[p.text] = c
		}
		return c
	}
	k := globChildKey{level: l, id: p.id}
	if c, ok := b.globChildren[k]; ok {
		return c.(*C)
	}
	c := new(C)
	b.globChildren[k] = c
	if l.byPrefix == nil {
		l.byPrefix = make(map[string]int)
	}
	gi, ok := l.byPrefix[p.prefix]
	if !ok {
		gi = len(l.groups)
		l.byPrefix[p.prefix] = gi
		l.groups = append(l.groups, globGroup[C]{prefix: p.prefix})
		if i, found := slices.BinarySearch(l.prefixLens, len(p.prefix)); !found {
			l.prefixLens = slices.Insert(l.prefixLens, i, len(p.prefix))
		}
	}
	suffix := literalSuffix(p.text)
	l.groups[gi].children = append(l.groups[gi].children, globChild[C]{
		g: p.g, id: p.id, suffix: suffix, affix: p.text == p.prefix+"*"+suffix, child: c,
	})
	return c
}

// appendChildren appends the next levels that value v reaches.
func (l *level[C]) appendChildren(dst []*C, v string, field int, sc *scratch) []*C {
	if c := l.exact[v]; c != nil {
		dst = append(dst, c)
	}
	if l.any != nil {
		dst = append(dst, l.any)
	}
	if len(l.groups) <= smallGroups {
		for i := range l.groups {
			if g := &l.groups[i]; strings.HasPrefix(v, g.prefix) {
				dst = g.appendMatching(dst, v, field, sc)
			}
		}
		return dst
	}
	for _, n := range l.prefixLens {
		if n > len(v) {
			break
		}
		if gi, ok := l.byPrefix[v[:n]]; ok {
			dst = l.groups[gi].appendMatching(dst, v, field, sc)
		}
	}
	return dst
}

// appendMatching appends the next levels of the globs of g that match v,
// which starts with g.prefix.
func (g *globGroup[C]) appendMatching(dst []*C, v string, field int, sc *scratch) []*C {
	for i := range g.children {
		gc := &g.children[i]
		var ok bool
		switch {
		case !strings.HasSuffix(v, gc.suffix):
		case gc.affix: // the prefix and the suffix must not overlap
			ok = len(v) >= len(g.prefix)+len(gc.suffix)
		default:
			ok = sc.globMatch(gc.id, field, gc.g, v)
		}
		if ok {
			dst = append(dst, gc.child)
		}
	}
	return dst
}

type index struct {
	root   nsLevel
	nGlobs int32 // distinct glob patterns, for scratch.globs
	nTexts int32 // distinct expressions, for scratch.texts
	// filterSet numbers, per rule, its pair of inclusionList and
	// exclusionList among the distinct pairs of the Matcher (-1: none), so
	// that alerts sharing their filters are decided once per event (see
	// scratch.filters); nFilterSets counts the pairs.
	filterSet   []int32
	nFilterSets int32
	pool        sync.Pool
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

func buildIndex(ix *index, rules []rule, c *compiler, o *options) {
	ix.nGlobs, ix.nTexts = c.nGlobs, c.nTexts
	numberFilterSets(ix, rules)
	b := &levelBuilder{globChildren: make(map[globChildKey]any), values: make(map[int32][]string)}
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
			h := newHit(ri, si, r)
			vals := sourceValues(b, &s)
			for _, kinds := range children(b, &ix.root, &s.namespace, vals[fieldNamespace]) {
				for _, names := range children(b, kinds, &s.kind, vals[fieldKind]) {
					for _, lf := range children(b, names, &s.name, vals[fieldName]) {
						for sev := range lf.bySev {
							if mask&(1<<sev) != 0 {
								lf.bySev[sev] = append(lf.bySev[sev], h)
							}
						}
					}
				}
			}
		}
	}
}

// sourceValues returns the exact values each field of s is filed under
// (nil: the field's pattern itself), so that s lands in at most
// maxSourceLeaves leaves: the fields with the most values stay globs first.
func sourceValues(b *levelBuilder, s *source) [nFields][]string {
	vals := [nFields][]string{
		fieldNamespace: b.globValues(&s.namespace),
		fieldKind:      b.globValues(&s.kind),
		fieldName:      b.globValues(&s.name),
	}
	for {
		leaves, most := 1, 0
		for f, vs := range vals {
			leaves *= max(1, len(vs))
			if len(vs) > len(vals[most]) {
				most = f
			}
		}
		if leaves <= maxSourceLeaves {
			return vals
		}
		vals[most] = nil
	}
}

// numberFilterSets fills ix.filterSet: rules whose inclusionList and
// exclusionList hold the same expressions, in the same order, share a
// number.
func numberFilterSets(ix *index, rules []rule) {
	ix.filterSet = make([]int32, len(rules))
	ids := make(map[string]int32)
	var key []byte
	for ri := range rules {
		r := &rules[ri]
		if len(r.fastInclude) == 0 && len(r.fastExclude) == 0 {
			ix.filterSet[ri] = -1
			continue
		}
		// The key: how many inclusion expressions, then the ids of
		// the inclusion and exclusion expressions.
		key = binary.AppendUvarint(key[:0], uint64(len(r.fastInclude)))
		for _, t := range r.fastInclude {
			key = binary.AppendUvarint(key, uint64(t.id))
		}
		for _, t := range r.fastExclude {
			key = binary.AppendUvarint(key, uint64(t.id))
		}
		id, ok := ids[string(key)]
		if !ok {
			id = ix.nFilterSets
			ids[string(key)] = id
			ix.nFilterSets++
		}
		ix.filterSet[ri] = id
	}
}

// scratch is the working space of one AppendMatches call, pooled per
// Matcher so that matching does not allocate.
type scratch struct {
	kinds   []*kindLevel
	names   []*nameLevel
	leaves  []*leaf
	hits    []hit
	globs   memo // glob results, by pattern id and field
	texts   memo // expression results, for ids past textMemo.small
	filters memo // filter results, by index.filterSet
}

// memo records boolean results by id for one event, and forgets them in
// time proportional to the number recorded.
type memo struct {
	v       []uint8 // 0 not known, 1 false, 2 true
	touched []int32
	runs    int // results recorded, for tests
}

func (m *memo) get(id int32) (ok, done bool) {
	v := m.v[id]
	return v == 2, v != 0
}

func (m *memo) set(id int32, ok bool) bool {
	m.runs++
	return m.setQuiet(id, ok)
}

// setQuiet is set without counting a run: for results made of other
// memoized results.
func (m *memo) setQuiet(id int32, ok bool) bool {
	m.v[id] = 1
	if ok {
		m.v[id] = 2
	}
	m.touched = append(m.touched, id)
	return ok
}

func (m *memo) reset() {
	for _, id := range m.touched {
		m.v[id] = 0
	}
	m.touched = m.touched[:0]
}

// globMatch reports whether glob g, whose pattern id is id, matches v, the
// event's value of field, running g at most once per event and field.
func (sc *scratch) globMatch(id int32, field int, g *glob.Pattern, v string) bool {
	k := id*nFields + int32(field)
	if ok, done := sc.globs.get(k); done {
		return ok
	}
	return sc.globs.set(k, g.Match(v))
}

func (ix *index) getScratch() *scratch {
	if sc, ok := ix.pool.Get().(*scratch); ok {
		return sc
	}
	return ix.newScratch()
}

func (ix *index) newScratch() *scratch {
	sc := &scratch{hits: make([]hit, 0, 64)}
	sc.globs.v = make([]uint8, ix.nGlobs*nFields)
	sc.filters.v = make([]uint8, ix.nFilterSets)
	if ix.nTexts > int32(len(textMemo{}.small)) {
		sc.texts.v = make([]uint8, ix.nTexts)
	}
	return sc
}

// lookup appends to sc.hits the sources that obj reaches with severity sev,
// sorted by alert, then source.
func (ix *index) lookup(sc *scratch, obj *corev1.ObjectReference, sev event.Severity) {
	kinds := ix.root.appendChildren(sc.kinds[:0], obj.Namespace, fieldNamespace, sc)
	names := sc.names[:0]
	for _, k := range kinds {
		names = k.appendChildren(names, obj.Kind, fieldKind, sc)
	}
	leaves := sc.leaves[:0]
	for _, n := range names {
		leaves = n.appendChildren(leaves, obj.Name, fieldName, sc)
	}
	hits := sc.hits[:0]
	for _, lf := range leaves {
		hits = append(hits, lf.bySev[sev]...)
	}
	// Each leaf's list is sorted; so are the hits of a single leaf.
	if len(leaves) > 1 {
		sortHits(hits)
	}
	// The slices keep their pointers: they point into the index, which
	// the Matcher that pools sc holds anyway, so clearing them would only
	// cost time.
	sc.kinds, sc.names, sc.leaves, sc.hits = kinds[:0], names[:0], leaves[:0], hits
}

// sortHits sorts hits. An event usually reaches a few leaves holding a few
// hits each, already in order: an insertion sort handles those in one pass.
func sortHits(hits []hit) {
	if len(hits) > 16 {
		if !slices.IsSorted(hits) {
			slices.Sort(hits)
		}
		return
	}
	for i := 1; i < len(hits); i++ {
		for j := i; j > 0 && hits[j] < hits[j-1]; j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
}

// appendMatches is the indexed match. Hits are sorted by alert, so results
// come in input order, each alert once, and the labels are looked up at most
// once, on the first source that needs them.
func (m *Matcher) appendMatches(ec *evalCtx, dst []*alert.Alert) []*alert.Alert {
	if len(m.rules) == 0 {
		return dst
	}
	sc := m.index.getScratch()
	dst = m.appendMatchesWith(sc, ec, dst)
	m.index.pool.Put(sc)
	return dst
}

// appendMatchesWith is appendMatches with the scratch space sc, which it
// leaves ready for the next event.
func (m *Matcher) appendMatchesWith(sc *scratch, ec *evalCtx, dst []*alert.Alert) []*alert.Alert {
	if sc.texts.v != nil {
		ec.texts.ext = &sc.texts
	}
	m.index.lookup(sc, &ec.e.InvolvedObject, ec.sev)
	dst = m.resolve(ec, sc, dst, sc.hits)
	sc.hits = sc.hits[:0]
	sc.globs.reset()
	sc.filters.reset()
	sc.texts.reset()
	ec.texts.ext = nil
	return dst
}

// resolve appends the alerts of hits (sorted) that pass matchLabels and the
// message filters. It reads a rule only for the hits whose flags ask for it,
// and decides each distinct pair of filters once.
func (m *Matcher) resolve(ec *evalCtx, sc *scratch, dst []*alert.Alert, hits []hit) []*alert.Alert {
	alerts := m.alerts
	for i := 0; i < len(hits); {
		h := hits[i]
		ri := h.rule()
		sourceOK := false
		for ; i < len(hits) && hits[i].rule() == ri; i++ {
			if sourceOK {
				continue
			}
			if hits[i]&hitLabels == 0 {
				sourceOK = true
				continue
			}
			have, err := ec.labels.get()
			if err != nil {
				continue
			}
			sourceOK, _ = m.rules[ri].sources[hits[i].src()].labelsMatch(have, false)
		}
		if sourceOK && (h&hitFilters == 0 || m.filtersOK(ec, sc, ri)) {
			dst = append(dst, alerts[ri])
		}
	}
	return dst
}

// filtersOK reports whether the event's message passes the filters of rule
// ri, deciding each distinct pair of filters once per event.
func (m *Matcher) filtersOK(ec *evalCtx, sc *scratch, ri int) bool {
	id := m.index.filterSet[ri]
	if ok, done := sc.filters.get(id); done {
		return ok
	}
	return sc.filters.setQuiet(id, m.rules[ri].messageOK(ec))
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
