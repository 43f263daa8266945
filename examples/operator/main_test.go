package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/provider"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestScheme(t *testing.T) {
	s, err := Scheme()
	require.NoError(t, err)
	for obj, want := range map[runtime.Object]string{
		&alert.Alert{}:           "notification.toolkit.fluxcd.io/v1beta3, Kind=Alert",
		&alert.AlertList{}:       "notification.toolkit.fluxcd.io/v1beta3, Kind=AlertList",
		&provider.Provider{}:     "notification.toolkit.fluxcd.io/v1beta3, Kind=Provider",
		&provider.ProviderList{}: "notification.toolkit.fluxcd.io/v1beta3, Kind=ProviderList",
		&corev1.Secret{}:         "/v1, Kind=Secret",
		&corev1.ConfigMap{}:      "/v1, Kind=ConfigMap",
	} {
		gvks, _, err := s.ObjectKinds(obj)
		require.NoError(t, err)
		require.Len(t, gvks, 1)
		assert.Equal(t, want, gvks[0].String())
	}
}

func TestRegistry(t *testing.T) {
	r, err := Registry()
	require.NoError(t, err)
	assert.Equal(t, []string{"discord", "generic", "generic-hmac", "rocket", "slack"}, r.Types())
}
