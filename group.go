package fluxnotify

import (
	"context"
	"sync"

	"github.com/fluxnotify/fluxnotify/event"
)

// groups are the timers of the groups this Dispatcher opened.
type groups struct {
	mu sync.Mutex
}

func (g *groups) init() {}
func (g *groups) stop() {}

func (d *Dispatcher) addToGroup(ctx context.Context, rt *route, key string, e *event.Event, st objectStatus, tr transition, res *Result) {
}
