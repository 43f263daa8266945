package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/fluxnotify/fluxnotify/examples/fluxnotify/alerttest"
)

var testCommand = command{
	name:     "test",
	synopsis: "[--junit FILE] SUITE [SUITE ...]",
	about: `Test runs alert test suites: files that name the manifests of a GitOps
repository and, for each test, an event and exactly the alerts it must reach
(with their provider and channel, and texts their message must contain). It
is a dry run: no Secret is read and nothing is sent. Each test prints PASS or
FAIL with a diff of the routes and the rendered text; the last line counts
them: "N passed, M failed".

A suite file:

  manifests: [../clusters/prod/notifications]   # relative to the suite file
  mode: flux                                    # or extended (the default)
  substitute: {cluster_name: prod}              # Flux postBuild variables
  tests:
    - name: a failed Kustomization reaches devops
      event: events/ks-failed.json              # or the event inline, as YAML
      labels: {team: payments}                  # for matchLabels
      routes:                                   # exactly these alerts
        - alert: flux-system/devops-errors
          channel: "#devops-alerts"             # provider, channel: optional
      rendered:
        - alert: flux-system/devops-errors
          contains: ["my-app", "Health check failed"]
    - name: a success is quiet
      event: events/ks-ok.json
      routes: []

Exit status: 0 every test passed, 1 a test failed, 2 a suite or its manifests
are bad (every problem is listed with file and line).`,
	examples: `  fluxnotify test testdata/suites/alerts_test.yaml      # from examples/fluxnotify
  fluxnotify test --junit report.xml testdata/suites/*_test.yaml
`,
}

func (c *cli) test(ctx context.Context, args []string) int {
	fs := c.newFlagSet(testCommand)
	junit := fs.String("junit", "", "also write a JUnit XML report to `file`, for CI test reports")
	// Flags may come before or after the suites.
	var suites []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.help(testCommand, fs)
			return exitOK
		}
		if err != nil {
			fmt.Fprintf(c.stderr, "fluxnotify test: %v\nRun \"fluxnotify test --help\" for usage.\n", err)
			return exitBadArgs
		}
		if fs.NArg() == 0 {
			break
		}
		if rest := fs.Args(); len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			suites = append(suites, rest...) // after "--", only suites
			break
		}
		suites = append(suites, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(suites) == 0 {
		fmt.Fprintf(c.stderr, "fluxnotify test: no suite: give at least one suite FILE\nRun \"fluxnotify test --help\" for usage.\n")
		return exitBadArgs
	}

	var outcomes []alerttest.Outcome
	passed, failed, bad := 0, 0, 0
	for _, path := range suites {
		if len(suites) > 1 {
			fmt.Fprintf(c.stdout, "%s\n", path)
		}
		res, err := alerttest.RunFile(ctx, path)
		outcomes = append(outcomes, alerttest.Outcome{Suite: path, Result: res, Err: err})
		if err != nil {
			bad++
			fmt.Fprintf(c.stdout, "BAD   %s: the suite cannot run (its problems are on standard error)\n", path)
			fmt.Fprintf(c.stderr, "fluxnotify test: %s cannot run:\n  %s\n", path, indentErrors(err))
			continue
		}
		for _, w := range res.Warnings {
			fmt.Fprintf(c.stderr, "fluxnotify test: %s: warning: %s\n", path, w)
		}
		for _, t := range res.Tests {
			if t.Passed {
				passed++
				fmt.Fprintf(c.stdout, "PASS  %s\n", t.Name)
				continue
			}
			failed++
			fmt.Fprintf(c.stdout, "FAIL  %s (%s:%d)\n", t.Name, path, t.Line)
			for _, line := range strings.Split(strings.TrimSuffix(t.Diff, "\n"), "\n") {
				fmt.Fprintf(c.stdout, "      %s\n", line)
			}
		}
	}
	code := exitOK
	if *junit != "" {
		if err := writeJUnitFile(*junit, outcomes); err != nil {
			fmt.Fprintf(c.stderr, "fluxnotify test: --junit: %v\n", err)
			code = exitBadArgs
		}
	}
	fmt.Fprintf(c.stdout, "%d passed, %d failed\n", passed, failed)
	switch {
	case bad > 0 || code == exitBadArgs:
		return exitBadArgs
	case failed > 0:
		return exitFailed
	}
	return exitOK
}

// writeJUnitFile writes the JUnit report to path.
func writeJUnitFile(path string, outcomes []alerttest.Outcome) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := alerttest.WriteJUnit(f, outcomes); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
