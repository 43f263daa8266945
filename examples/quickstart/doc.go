// Command quickstart runs the whole fluxnotify pipeline on the usual
// manifests of Slack alerts for Flux (an Alert that sends error events from
// every Kustomization and HelmRelease to a Slack Provider), offline:
//
//	go run ./examples/quickstart
//
// It loads its embedded slack-example.yaml, starts a Slack sink on
// 127.0.0.1 (package slack/slacktest) and points the manifests' Secret at it,
// then sends two events from kustomize-controller: the failing health check
// of my-app-kustomization, and a successful reconciliation. It prints which
// alert matched, the channel, the exact Slack payload received, and why the
// success was not sent (the alert's eventSeverity is error).
//
// With SLACK_WEBHOOK_URL set to an incoming webhook, it posts to Slack
// instead:
//
//	SLACK_WEBHOOK_URL=https://hooks.slack.com/services/... go run ./examples/quickstart
package main
