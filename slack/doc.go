// Package slack delivers fluxnotify notifications to Slack, through an
// incoming webhook or through the Web API's chat.postMessage with a bot
// token.
//
// # Delivery
//
// [New] builds a [Notifier] from a provider.Provider and its
// provider.Credentials; [Register] adds the "slack", "discord" and "rocket"
// types to a provider.Registry. The credentials choose the endpoint:
//
//   - a token (the Secret key "token") posts to chat.postMessage, with
//     "Authorization: Bearer", at the Web API URL (see [WithAPIURL]) or at
//     the address when one is set; a channel is then required;
//   - else the address (the Secret key "address" or "url", or
//     spec.address) is an incoming webhook.
//
// Each Notifier owns one *http.Client, reused for every message
// (keep-alive), with the provider's timeout, proxy and certificate
// authorities. The body is posted directly, not through slack-go's
// PostWebhook, so that Slack's error string ("invalid_payload",
// "channel_not_found", "no_text") reaches the caller and the URL does not.
//
// # Discord and Rocket.Chat
//
// Flux posts a Slack-compatible payload to Discord and Rocket.Chat, and so
// does a Notifier built for a provider of type [TypeDiscord] or
// [TypeRocket]: to the address alone (the token is not used; Discord's
// address gets "/slack" joined to its path, Discord's Slack-compatible
// endpoint, unless it ends with it). Their default message is the flux
// format with Flux's differences: no fallback; Discord gets no channel;
// Rocket.Chat's color is "#FF0000" for errors and "#0076D7" otherwise, and
// its username is spec.username alone. Templates work as for Slack.
//
// [Notifier.Notify] makes one attempt; provider.Deliver retries. Every
// error is a *provider.Error: network errors, 429 (with its Retry-After, in
// seconds or as an HTTP date) and 5xx are retryable; other statuses and
// Slack's {"ok":false} are permanent, except ok:false "ratelimited" and
// "service_unavailable", which Slack documents as transient. The webhook
// URL and the token never appear in an error, in String or in a log.
//
// # Messages
//
// The format, spec.template.format, is [FormatFlux] (the default) or
// [FormatBlocks]. The flux format is the payload Flux's notification-controller
// sends: one attachment colored "danger" for errors and "good" otherwise
// ("warning" for warn, which Flux never sends),
// "kind/name.namespace" as author, the event's message as text,
// mrkdwn_in ["text"], one field per metadata key, and the reporting
// controller as username unless spec.username is set. It differs from
// Flux's in four small ways: fields are sorted by key, the attachment has a
// fallback (the notification's summary), event text is escaped, and empty
// keys are left out (Flux sends "channel": "", "icon_url": ""). The
// blocks format is a Block Kit message: a header, the message, the metadata
// as fields, a context line (severity, reason, controller, time, cluster)
// and buttons to the commit and the dashboard when their links are known.
//
// A template (an alert's spec.template, else its provider's) sets any of
// title, text, color, fields, icon and blocks; what it leaves unset comes
// from the format. Templates are rendered with template.EscapeSlack, so
// their values are escaped; a template that sets blocks makes a Block Kit
// message whatever the format, and a color then puts the blocks in a
// colored attachment. When an event is too long for the template's output
// bounds (a message of megabytes), the template is rendered again on a
// shortened copy (the message cut to 10,000 characters, at most 100
// metadata entries), so the event is still delivered, cut.
//
// Text from an event (message, names, metadata) is escaped for Slack
// mrkdwn ('&', '<', '>'), in the formats as in templates: an event message
// "<!channel>" or "<https://evil|click>" reaches Slack as text, not as a
// ping or a link.
//
// Slack's limits are enforced before sending, on the formats and on a
// template's blocks: a message's text 40,000 characters, a section's 3,000,
// a header's 150, a field's 2,000, ten fields per section, ten context
// elements, 50 blocks. Content over a limit is cut and ends with "…"; it is
// never rejected. So that thousands of metadata entries make a long message
// rather than a huge one, the fields of a message hold at most 40,000
// characters together, and the flux attachment at most 100 fields; the
// last field then says how many more there were ("… 12 more"). Icons are
// not mrkdwn: a template's iconURL and iconEmoji are sent unescaped, and an
// iconURL that is not an http(s) URL is dropped.
//
// # Threads
//
// With a bot token, [Notifier.Post] posts a message and returns the "ts"
// Slack gave it, or replies in a thread (PostOptions.ThreadTS, with
// reply_broadcast when PostOptions.Broadcast is set), and [Notifier.Update]
// changes a message (chat.update); [Notifier.CanThread] tells whether a
// notifier can. An incoming webhook cannot: both fail with [ErrNoThreads].
// The Dispatcher of package fluxnotify uses them for spec.delivery.thread.
//
// # Testing
//
// Package slacktest is a Slack sink in the style of net/http/httptest:
// point a Notifier at its WebhookURL or APIURL, read back every payload,
// and make it answer 429, 500 or ok:false; it answers chat.postMessage with
// a ts and records thread_ts, reply_broadcast and chat.update calls. [Notifier.Render] returns the
// exact body without any network, for dry runs and golden files.
package slack
