// Package provider models Flux's Provider (how to reach a destination) and
// holds what every notifier shares: credentials, the registry of provider
// types, the Notifier interface and delivery with retries.
//
// # Providers and credentials
//
// [Provider] has Flux's shape: spec.type selects the notifier, spec.channel
// and spec.username tune the message, spec.secretRef names the Secret that
// holds the webhook URL or token. [Resolve] reads a provider's
// [Credentials] through a [SecretGetter]: a controller reads Secrets from
// the cluster, tests and offline tools use [StaticSecrets] over Secrets
// loaded from files. The Secret keys are Flux's: "address" (or "url", as in
// many guides) for the URL, "token", "username", "password", "proxy" and
// "headers" (a YAML map); certSecretRef's "ca.crt"; proxySecretRef's
// "address", "username" and "password" (put in the proxy URL, as Flux
// does). Routing never needs Secrets: call Resolve only to deliver.
//
// Credentials never show a secret: String, GoString, every fmt verb,
// LogValue (log/slog), MarshalJSON and MarshalText show which parts are set
// and the URL's host only. A notifier keeps the values it needs as
// [Secret]s, which show "<redacted>" in every one of those forms wherever
// they are held, so the notifier needs no such methods of its own.
//
// # Notifiers and the registry
//
// A [Notifier] makes exactly one delivery attempt; [NotifierFunc] adapts a
// function. A [Registry] maps provider types to a [Factory] that builds the
// notifier of one provider, so users add their own types next to the
// built-in "slack", "discord" and "rocket" (package slack).
//
// # Provider types
//
// [FluxTypes] lists the 34 types of Flux's v1beta3 Provider, each also a
// constant ([TypeSlack], [TypeGitHub], ...). [Provider.Validate] checks a
// Provider as Flux's API server does and no more: spec.address is not
// checked, since its meaning depends on the type. [Registry.CheckType]
// tells a type with a notifier from one of Flux's types without one
// ([ErrNoNotifier]: valid configuration that cannot deliver) and from an
// unknown type ([ErrUnknownType], with a suggestion).
//
// # Flux's delivery rules
//
// After an alert matches an event, Flux does not always deliver it to the
// alert's provider: commit-status updates go only to Git commit-status and
// generic types, Git commit-status types need a commit, change-request types
// a change request. [Skip] applies those rules, as a pure function, and
// returns the [SkipRule] that skips a pair; [SkipError] (which wraps
// [ErrSkipped]) reports it.
//
// # Delivery
//
// [Deliver] sends a [Notification] with a [RetryPolicy] (Flux's by
// default): network errors, 429 and 5xx are retried with exponential
// backoff and jitter, honouring Retry-After, bounded by the number of
// retries, each attempt's timeout and the context; other failures are
// permanent. Notifiers report failures as *[Error] (see [ClassifyResponse])
// so the retry loop knows which are worth another attempt, and pass errors
// through [SanitizeError] so that no webhook URL, token or header value
// reaches a log. [RedactURL] and [Redact] do the same for text. Redaction
// finds a secret in every form a server may echo it in: the parts of a URL
// (path with or without its slash, long path segments and query values, user
// name and password, base64 of "user:password", a generated host label),
// each percent-encoded in either case or JSON-escaped. An HTTP notifier
// posts with [PostJSON], which does all of this (headers, a bounded answer,
// classification, redaction), over the client of [NewHTTPClient].
//
// # Testing
//
// Package providertest checks that a notifier meets these rules.
package provider
