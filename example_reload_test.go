package fluxnotify_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/template"
)

// Reload a configuration as a process watching files does: the Provider's
// new template does not parse, so the version in use stays, and the error
// says which object kept its last good version and why.
func ExampleWithKeepLastGood() {
	cfg, _ := fluxnotify.LoadFiles("testdata/manifests/slack-example.yaml")
	d, err := fluxnotify.New(cfg, fluxnotify.WithKeepLastGood(),
		fluxnotify.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Shutdown(context.Background())

	edited, _ := fluxnotify.LoadFiles("testdata/manifests/slack-example.yaml")
	edited.Providers[0].Spec.Template = &template.Spec{Text: "{{ .Message"}
	err = d.Update(edited)
	for _, k := range fluxnotify.KeptObjects(err) {
		fmt.Println(k.Object, "kept its last good version")
		fmt.Println("  because", k.Err)
	}
	// Output:
	// Provider flux-system/slack kept its last good version
	//   because provider flux-system/slack: spec.template.text: template: text:1: unclosed action
}
