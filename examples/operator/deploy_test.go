package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/fluxnotify/fluxnotify/alert"
)

// The deployment manifest parses, and its ClusterRole grants what the
// controllers of this module read and write.
func TestDeployManifest(t *testing.T) {
	data, err := os.ReadFile("deploy/operator.yaml")
	require.NoError(t, err)
	var kinds []string
	var role rbacv1.ClusterRole
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		var head struct{ Kind string }
		require.NoError(t, yaml.Unmarshal(doc, &head), "%s", doc)
		kinds = append(kinds, head.Kind)
		// Strictly, into the Kubernetes type: a misspelt field fails.
		var obj any
		switch head.Kind {
		case "ServiceAccount":
			obj = &corev1.ServiceAccount{}
		case "ClusterRole":
			obj = &role
		case "ClusterRoleBinding":
			obj = &rbacv1.ClusterRoleBinding{}
		case "Deployment":
			obj = &appsv1.Deployment{}
		case "Service":
			obj = &corev1.Service{}
		default:
			t.Fatalf("unexpected kind %q", head.Kind)
		}
		require.NoError(t, yaml.UnmarshalStrict(doc, obj), "%s", head.Kind)
	}
	assert.Equal(t, []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment", "Service"}, kinds)

	allows := func(group, resource, verb string) bool {
		for _, r := range role.Rules {
			if slices.Contains(r.APIGroups, group) && (slices.Contains(r.Resources, resource) || slices.Contains(r.Resources, "*")) && slices.Contains(r.Verbs, verb) {
				return true
			}
		}
		return false
	}
	for _, need := range [][3]string{
		{"fluxnotify.io", "alerts", "watch"},
		{"fluxnotify.io", "providers", "list"},
		{"notification.toolkit.fluxcd.io", "alerts", "watch"},
		{"notification.toolkit.fluxcd.io", "providers", "list"},
		{"", "secrets", "get"},
		{"", "configmaps", "patch"},
		{"kustomize.toolkit.fluxcd.io", "kustomizations", "watch"},
		{"helm.toolkit.fluxcd.io", "helmreleases", "get"},
	} {
		assert.True(t, allows(need[0], need[1], need[2]), "the ClusterRole must allow %s on %s.%s", need[2], need[1], need[0])
	}
}

// The kustomization installs the operator with the CRDs of fluxnotify.io,
// the group it watches in extended mode.
func TestDeployKustomization(t *testing.T) {
	var kust struct {
		APIVersion, Kind string
		Resources        []string
	}
	data, err := os.ReadFile("deploy/kustomization.yaml")
	require.NoError(t, err)
	require.NoError(t, yaml.UnmarshalStrict(data, &kust))
	assert.Equal(t, "Kustomization", kust.Kind)
	assert.Equal(t, []string{"../../../config/crd", "operator.yaml"}, kust.Resources)
	for _, r := range kust.Resources {
		_, err := os.Stat(filepath.Join("deploy", r))
		require.NoError(t, err, "deploy/kustomization.yaml: %s", r)
	}
	// The CRDs it installs serve what the operator watches.
	alerts, providers := ourSchema(t)
	assert.Equal(t, "alerts."+alert.ExtendedGroup, alerts.crd.Name)
	assert.Equal(t, "providers."+alert.ExtendedGroup, providers.crd.Name)
}
