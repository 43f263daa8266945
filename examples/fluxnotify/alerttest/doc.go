// Package alerttest runs alert tests written as files: a suite names the
// manifests of a GitOps repository (Alerts, Providers; kustomizations and
// Flux's postBuild variables are read as Flux reads them), and each test
// gives an event and the alerts it must reach, with their provider,
// channel and the text of their message. It is the library behind the
// command "fluxnotify test", in the spirit of "promtool test rules", and
// Go users run the same files from "go test" with RunSuite.
//
// A suite file:
//
//	manifests: [../clusters/prod/notifications]   # files or folders, relative to this file
//	mode: flux                                    # or extended (the default)
//	substitute: {cluster_name: prod}              # Flux postBuild variables
//	tests:
//	  - name: a failed Kustomization reaches devops
//	    event: events/ks-failed.json              # or the event inline, as YAML
//	    labels: {team: payments}                  # involved object's labels, for matchLabels
//	    routes:                                   # exactly these alerts (provider, channel optional)
//	      - alert: flux-system/devops-errors
//	        channel: "#devops-alerts"
//	    rendered:                                 # optional: what the message must contain
//	      - alert: flux-system/devops-errors
//	        contains: ["my-app", "Health check failed"]
//	  - name: a success is quiet
//	    event: events/ks-ok.json
//	    routes: []
//
// Every test needs routes (routes: [] when the event must reach no
// alert), so a test cannot pass by checking nothing. An alert is written
// namespace/name, or name alone when no other alert has that name. A route
// whose alert matched but would send nothing (a suspended provider, a
// message that does not render) fails the test. rendered.contains looks in
// the strings of the payload the provider would post, after its escaping.
//
// Reading is strict: an unknown key is an error with a did-you-mean, and
// every problem of a suite is listed at once, each a *Error with file,
// line and column. Load reads a suite, Suite.Run routes its tests as a dry
// run (no Secret is read, nothing is sent), WriteJUnit writes the results
// for CI test reports, and RunSuite runs a suite from a Go test, each test
// a subtest.
package alerttest
