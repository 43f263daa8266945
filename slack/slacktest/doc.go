// Package slacktest provides a Slack sink for tests, in the style of
// net/http/httptest: a loopback HTTP server that takes incoming-webhook
// posts and Web API chat.postMessage and chat.update calls, records every payload, and
// answers like Slack or as it is told to (429 with Retry-After, 500,
// 4xx with a Slack error string, ok:false).
//
//	srv := slacktest.NewServer()
//	defer srv.Close()
//
//	n, _ := slack.New(p, provider.Credentials{Address: srv.WebhookURL()})
//	_ = n.Notify(ctx, notification)
//	msg := srv.Messages()[0] // a slack.WebhookMessage
//
// Tell it how to answer the next requests:
//
//	srv.Respond(2, slacktest.TooManyRequests("1")) // then the default "ok"
//	srv.RespondFunc(func(r slacktest.Request) slacktest.Answer { ... })
//
// Connections counts the TCP connections the server accepted, so a test can
// check that a client reuses its connection (keep-alive). Every accessor is
// safe for concurrent use. Close leaves no goroutine behind.
//
// Without instructions the server answers as Slack does: a webhook post
// gets 200 "ok", or 400 "invalid_payload" for a body that is not JSON, or
// 400 "no_text" for a message with no text, attachments or blocks; a
// chat.postMessage call gets {"ok":true,...}, or {"ok":false} with
// "not_authed" (no bearer token), "invalid_auth" (not the token given to
// SetToken), "channel_not_found" (no channel), "invalid_json" or "no_text".
// A chat.update call (UpdateURL) gets {"ok":true,"ts":…} for a message the
// server posted, or "message_not_found". Any other path gets 404
// "no_service".
//
// Threads can be tested offline: chat.postMessage answers a "ts" as Slack
// does ("1700000000.000001", then …002), recorded as Request.TS; a reply
// carries the root's ts in Message.ThreadTimestamp and
// Message.ReplyBroadcast when it is also shown in the channel:
//
//	root := srv.Posted()[0].TS
//	replies := srv.Replies(root)   // in the thread, in order
//	updates := srv.Updates(root)   // chat.update calls of the root
package slacktest
