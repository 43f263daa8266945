package event_test

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/event"
)

// Decode the JSON that a Flux controller POSTs.
func ExampleUnmarshal() {
	body := []byte(`{
	  "involvedObject": {"kind": "Kustomization", "namespace": "flux-system", "name": "apps",
	                     "apiVersion": "kustomize.toolkit.fluxcd.io/v1"},
	  "severity": "error",
	  "timestamp": "2026-03-01T10:00:00Z",
	  "message": "health check failed after 5m0s",
	  "reason": "HealthCheckFailed",
	  "metadata": {"kustomize.toolkit.fluxcd.io/revision": "main@sha1:2f3c4d5e"},
	  "reportingController": "kustomize-controller"
	}`)
	e, err := event.Unmarshal(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	sev, _ := event.SeverityOf(e)
	rev, _ := event.Revision(e)
	fmt.Println(e.InvolvedObject.Kind, e.InvolvedObject.Name, sev, e.Reason)
	fmt.Println("revision:", rev)

	// A body that is not a usable event says what is wrong.
	_, err = event.Unmarshal([]byte(`{"involvedObject": {"kind": "Kustomization", "name": "apps"}, "severity": "critical", "message": "x"}`))
	fmt.Println(err)
	// Output:
	// Kustomization apps error HealthCheckFailed
	// revision: main@sha1:2f3c4d5e
	// invalid event Kustomization/apps: severity: unknown value "critical": want one of trace, info, warn, error
}

// Build an event in an operator, the way a Flux controller would.
func ExampleNew() {
	db := corev1.ObjectReference{APIVersion: "db.example.com/v1", Kind: "Database", Namespace: "shop", Name: "orders"}
	e := event.New(db, event.SeverityError, "BackupFailed", "backup failed: disk full",
		event.WithController("db-operator"),
		event.WithTimestamp(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)),
		event.WithRevision("v1.4.2"),
	)
	fmt.Println(e.Severity, e.Reason, e.ReportingController)
	fmt.Println(e.Metadata)
	fmt.Println(event.Validate(e))
	// Output:
	// error BackupFailed db-operator
	// map[db.example.com/revision:v1.4.2]
	// <nil>
}

// Severities are parsed case-insensitively and ordered.
func ExampleParseSeverity() {
	for _, s := range []string{"info", "Warning", "ERROR", "critical"} {
		sev, err := event.ParseSeverity(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s -> %s (at least warn: %t)\n", s, sev, sev >= event.SeverityWarn)
	}
	// Output:
	// info -> info (at least warn: false)
	// Warning -> warn (at least warn: true)
	// ERROR -> error (at least warn: true)
	// unknown severity "critical": want one of trace, info, warn, error
}

// Merge the metadata a notification shows, in Flux's order.
func ExampleMergeMetadata() {
	e := &event.Event{
		InvolvedObject: corev1.ObjectReference{APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization", Name: "apps"},
		Metadata: map[string]string{
			"kustomize.toolkit.fluxcd.io/revision": "main@sha1:2f3c",
			"kustomize.toolkit.fluxcd.io/token":    "hidden",
			"event.toolkit.fluxcd.io/team":         "platform",
		},
	}
	md := event.MergeMetadata(e, map[string]string{"cluster": "prod-eu"}, "Production")
	fmt.Println(md)
	// Output:
	// map[cluster:prod-eu revision:main@sha1:2f3c summary:Production team:platform]
}
