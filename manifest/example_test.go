package manifest_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fluxnotify/fluxnotify/manifest"
)

// A Loader reads several sources into one Config: here the output of a
// kustomize build and standard input. References and duplicates are
// checked across them, and every problem says where it is.
func ExampleLoader() {
	built := []byte(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {name: slack, namespace: flux-system}
spec: {type: slack, channel: "${CHANNEL}"}
`)
	stdin := strings.NewReader(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: errors, namespace: flux-system}
spec:
  providerRef: {name: slack}
  eventSources:
    - kind: Kustomization
      name: "*"
      namespace: [apps]
`)
	var l manifest.Loader
	l.Transform = func(name string, data []byte) ([]byte, error) {
		return []byte(strings.ReplaceAll(string(data), "${CHANNEL}", "#flux")), nil
	}
	l.AddBytes(built, "kustomize build clusters/prod")
	l.AddReader(stdin, "stdin")
	cfg, err := l.Config()
	fmt.Println("provider channel:", cfg.Providers[0].Spec.Channel)
	for _, e := range manifest.Errors(err) {
		fmt.Println(e)
		fmt.Println("wrong type:", errors.Is(e, manifest.ErrInvalidValue))
	}
	// Output:
	// provider channel: #flux
	// stdin:9:7: Alert flux-system/errors: spec.eventSources[0].namespace: invalid value: want a string, got a list
	// wrong type: true
}
