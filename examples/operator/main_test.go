package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/match"
	"github.com/fluxnotify/fluxnotify/provider"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The operator watches the group of its mode: fluxnotify.io in extended
// mode, so that it never doubles Flux's notifications, and Flux's own in
// flux mode.
func TestScheme(t *testing.T) {
	for mode, group := range map[match.Mode]string{
		match.Extended: "fluxnotify.io/v1alpha1",
		match.Flux:     "notification.toolkit.fluxcd.io/v1beta3",
	} {
		s, err := Scheme(mode)
		require.NoError(t, err)
		for obj, want := range map[runtime.Object]string{
			&alert.Alert{}:           group + ", Kind=Alert",
			&alert.AlertList{}:       group + ", Kind=AlertList",
			&provider.Provider{}:     group + ", Kind=Provider",
			&provider.ProviderList{}: group + ", Kind=ProviderList",
			&corev1.Secret{}:         "/v1, Kind=Secret",
			&corev1.ConfigMap{}:      "/v1, Kind=ConfigMap",
		} {
			gvks, _, err := s.ObjectKinds(obj)
			require.NoError(t, err)
			require.Len(t, gvks, 1, "%s: one group per Go type", mode)
			assert.Equal(t, want, gvks[0].String(), "%s", mode)
		}
	}
}

func TestRegistry(t *testing.T) {
	r, err := Registry()
	require.NoError(t, err)
	assert.Equal(t, []string{"discord", "generic", "generic-hmac", "rocket", "slack"}, r.Types())
}
