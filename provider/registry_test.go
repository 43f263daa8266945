package provider_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/provider"
)

func nopFactory(*provider.Provider, provider.Credentials) (provider.Notifier, error) {
	return provider.NotifierFunc(func(context.Context, *provider.Notification) error { return nil }), nil
}

func TestRegistry(t *testing.T) {
	r := provider.NewRegistry()
	assert.Empty(t, r.Types())

	require.NoError(t, r.Register("slack", nopFactory))
	require.NoError(t, r.Register("generic", nopFactory))
	assert.Equal(t, []string{"generic", "slack"}, r.Types())

	assert.EqualError(t, r.Register("slack", nopFactory), `provider registry: type "slack" is already registered`)
	assert.EqualError(t, r.Register("", nopFactory), "provider registry: empty type")
	assert.EqualError(t, r.Register("x", nil), `provider registry: nil factory for type "x"`)

	_, ok := r.Lookup("slack")
	assert.True(t, ok)
	_, ok = r.Lookup("teams")
	assert.False(t, ok)

	n, err := r.New(slackProvider(nil), provider.Credentials{})
	require.NoError(t, err)
	assert.NotNil(t, n)

	p := slackProvider(func(s *provider.Spec) { s.Type = "teams" })
	_, err = r.New(p, provider.Credentials{})
	assert.EqualError(t, err, `provider flux-system/slack: spec.type: unknown provider type "teams" (did you mean "msteams"?)`)
	assert.ErrorIs(t, err, provider.ErrUnknownType)

	_, err = r.New(slackProvider(func(s *provider.Spec) { s.Type = "github" }), provider.Credentials{})
	assert.EqualError(t, err, `provider flux-system/slack: spec.type: "github" is one of Flux's types, but no notifier is registered for this provider type (registered: generic, slack)`)
	assert.ErrorIs(t, err, provider.ErrNoNotifier)
	assert.NotErrorIs(t, err, provider.ErrUnknownType)

	boom := errors.New("bad channel")
	require.NoError(t, r.Register("broken", func(*provider.Provider, provider.Credentials) (provider.Notifier, error) { return nil, boom }))
	_, err = r.New(slackProvider(func(s *provider.Spec) { s.Type = "broken" }), provider.Credentials{})
	assert.ErrorIs(t, err, boom)
	assert.EqualError(t, err, "provider flux-system/slack: bad channel")
}

func TestRegistryConcurrent(t *testing.T) {
	r := provider.NewRegistry()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_ = r.Register(string(rune('a'+i)), nopFactory)
			_, _ = r.Lookup("a")
			_ = r.Types()
		})
	}
	wg.Wait()
	assert.Len(t, r.Types(), 8)
}
