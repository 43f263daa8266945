package match

import (
	"context"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
)

// MatchCountingRuns is Match, also returning how many inclusion and
// exclusion expressions ran.
func MatchCountingRuns(m *Matcher, e *event.Event) ([]*alert.Alert, int) {
	ec := newEvalCtx(context.Background(), &m.opts, e)
	out := m.appendMatches(&ec, nil)
	return out, ec.texts.runs
}

// ExplainCountingRuns is Explain, also returning how many inclusion and
// exclusion expressions ran.
func ExplainCountingRuns(m *Matcher, e *event.Event) ([]Miss, int) {
	ec := newEvalCtx(context.Background(), &m.opts, e)
	var out []Miss
	for i := range m.rules {
		if ok, why := m.rules[i].eval(&ec, true); !ok {
			out = append(out, Miss{Alert: m.rules[i].alert, Reason: why})
		}
	}
	return out, ec.texts.runs
}

// MatchCountingGlobRuns is Match, also returning how many globs ran.
func MatchCountingGlobRuns(m *Matcher, e *event.Event) ([]*alert.Alert, int) {
	ec := newEvalCtx(context.Background(), &m.opts, e)
	sc := m.index.newScratch()
	out := m.appendMatchesWith(sc, &ec, nil)
	return out, sc.globs.runs
}
