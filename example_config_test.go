package fluxnotify_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fluxnotify/fluxnotify"
)

// Load the manifests of a Flux repository (files or folders) and look at
// what was found.
func ExampleLoadFiles() {
	cfg, err := fluxnotify.LoadFiles("testdata/manifests/slack-example.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d alert(s), %d provider(s), %d secret(s)\n", len(cfg.Alerts), len(cfg.Providers), len(cfg.Secrets))
	a := cfg.Alerts[0]
	fmt.Printf("alert %s -> provider %s, severity %s\n", a.NamespacedName(), a.Spec.ProviderRef.Name, a.Spec.EventSeverity)
	for _, src := range a.Spec.EventSources {
		fmt.Printf("  source %s/%s\n", src.Kind, src.Name)
	}
	// Output:
	// 1 alert(s), 1 provider(s), 1 secret(s)
	// alert flux-system/flux-alerts -> provider slack, severity error
	//   source Kustomization/*
	//   source HelmRelease/*
}

// Every problem names the file, line and column, the object and the field,
// and tools can list them one by one.
func ExampleLoadErrors() {
	const manifests = `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: on-call
  namespace: flux-system
spec:
  providerRef:
    name: slack
  eventSeverty: error
  eventSources:
    - kind: Kustomization
      name: "*"
`
	cfg, err := fluxnotify.Load(strings.NewReader(manifests), "alerts.yaml")
	fmt.Println("alerts loaded anyway:", len(cfg.Alerts))
	for _, le := range fluxnotify.LoadErrors(err) {
		fmt.Println(le)
	}
	fmt.Println("typo:", errors.Is(err, fluxnotify.ErrUnknownField))
	// Output:
	// alerts loaded anyway: 1
	// alerts.yaml:8:5: Alert flux-system/on-call: spec.providerRef.name: provider not found: no Provider "slack" in namespace "flux-system"
	// alerts.yaml:9:3: Alert flux-system/on-call: spec.eventSeverty: unknown field (did you mean "eventSeverity"?)
	// typo: true
}

// A whole repository can be read: what is not an Alert, a Provider or a
// Secret is skipped and listed with the reason, and what loads but
// probably does not do what was meant is a warning.
func ExampleLoad_skipped() {
	const manifests = `# Taskfile.yaml
version: '3'
tasks: {}
---
apiVersion: v1
kind: Secret
metadata: {name: slack-url, namespace: flux-system}
stringData:
  address: ENC[AES256_GCM,data:abc=,type:str]
sops: {version: 3.9.0}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta2
kind: Provider
metadata: {name: slack, namespace: flux-system}
spec: {type: slack, secretRef: {name: slack-url}}
`
	cfg, err := fluxnotify.Load(strings.NewReader(manifests), "repo.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("providers:", len(cfg.Providers))
	for _, s := range cfg.Skipped {
		fmt.Println("skipped:", s)
	}
	for _, w := range cfg.Warnings {
		fmt.Println("warning:", w)
	}
	// Output:
	// providers: 1
	// skipped: repo.yaml:2: not a Kubernetes object (no apiVersion or kind)
	// skipped: repo.yaml:5: Secret flux-system/slack-url: SOPS-encrypted: its values cannot be read without the key
	// warning: repo.yaml:12:1: Provider flux-system/slack: apiVersion: API version no longer served by Flux: Flux 2.9 and later refuse notification.toolkit.fluxcd.io/v1beta2; use v1beta3 (same fields)
}
