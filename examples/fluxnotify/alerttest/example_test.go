package alerttest_test

import (
	"context"
	"fmt"
	"os"

	"github.com/fluxnotify/fluxnotify/examples/fluxnotify/alerttest"
)

// RunFile runs a suite file: each test's event is routed through the
// suite's manifests as a dry run, and compared with the alerts it must
// reach. A Go test calls RunSuite(t, path) instead, for one subtest per
// test.
func ExampleRunFile() {
	res, err := alerttest.RunFile(context.Background(), "../testdata/suites/alerts_test.yaml")
	if err != nil {
		fmt.Println(err) // every problem of the suite, with file and line
		return
	}
	for _, t := range res.Tests {
		status := "PASS"
		if !t.Passed {
			status = "FAIL"
		}
		fmt.Println(status, t.Name)
		fmt.Print(t.Diff)
	}
	fmt.Printf("%d passed, %d failed\n", len(res.Tests)-res.Failed(), res.Failed())
	// Output:
	// PASS a failed Kustomization reaches devops
	// PASS a success goes to the updates channel only
	// PASS a failed HelmRelease of the payments team reaches both teams
	// PASS without the team label, only devops hears of it
	// PASS an event written inline
	// 5 passed, 0 failed
}

// WriteJUnit writes results as the JUnit XML that CI systems show as test
// reports.
func ExampleWriteJUnit() {
	res, err := alerttest.RunFile(context.Background(), "../testdata/suites/flux_test.yaml")
	res.Duration = 0 // for a stable output; a real report keeps the times
	for i := range res.Tests {
		res.Tests[i].Duration = 0
	}
	_ = alerttest.WriteJUnit(os.Stdout, []alerttest.Outcome{{Suite: "flux_test.yaml", Result: res, Err: err}})
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <testsuites name="fluxnotify test" tests="3" failures="0" errors="0" time="0.000">
	//   <testsuite name="flux_test.yaml" tests="3" failures="0" errors="0" time="0.000">
	//     <testcase name="a namespace of &#34;*&#34; is not a glob in Flux, so devops does not hear of payments" classname="flux_test.yaml" file="flux_test.yaml" line="5" time="0.000"></testcase>
	//     <testcase name="an unset namespace means the alert&#39;s own, and labels still select" classname="flux_test.yaml" file="flux_test.yaml" line="8" time="0.000"></testcase>
	//     <testcase name="a warning reaches the info alert" classname="flux_test.yaml" file="flux_test.yaml" line="13" time="0.000"></testcase>
	//   </testsuite>
	// </testsuites>
}
