package provider

import (
	"fmt"
	"slices"
	"sync"
)

// Factory builds the notifier of one provider. In a dry run c is the zero
// Credentials: a factory must then succeed and leave the error for Notify, so
// that routing never needs Secrets.
type Factory func(p *Provider, c Credentials) (Notifier, error)

// Registry maps provider types ("slack", your own) to factories. It is safe
// for concurrent use.
type Registry struct {
	mu        sync.RWMutex
	factories map[string]Factory
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{factories: make(map[string]Factory)} }

// Register adds a provider type. It fails for an empty type, a nil factory,
// or a type that is already registered.
func (r *Registry) Register(typ string, f Factory) error {
	if typ == "" {
		return fmt.Errorf("provider registry: empty type")
	}
	if f == nil {
		return fmt.Errorf("provider registry: nil factory for type %q", typ)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.factories[typ]; dup {
		return fmt.Errorf("provider registry: type %q is already registered", typ)
	}
	r.factories[typ] = f
	return nil
}

// Lookup returns the factory of typ.
func (r *Registry) Lookup(typ string) (Factory, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.factories[typ]
	return f, ok
}

// Types returns the registered types, sorted.
func (r *Registry) Types() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.factories))
	for t := range r.factories {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// New builds the notifier of p with its registered factory. When none is
// registered for p's spec.type, the error names the provider and wraps
// ErrNoNotifier (one of Flux's types) or ErrUnknownType (any other), as
// CheckType says.
func (r *Registry) New(p *Provider, c Credentials) (Notifier, error) {
	f, ok := r.Lookup(p.Spec.Type)
	if !ok {
		err := r.CheckType(p.Spec.Type)
		if err == nil { // registered meanwhile
			return r.New(p, c)
		}
		return nil, fmt.Errorf("provider %s: %w", p.NamespacedName(), err)
	}
	n, err := f(p, c)
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", p.NamespacedName(), err)
	}
	return n, nil
}
