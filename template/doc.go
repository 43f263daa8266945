// Package template renders the messages users customize: a [Spec] written
// under spec.template of a Provider or an Alert is parsed once, when the
// configuration loads, into a [Template], and rendered for each event
// against [Data].
//
// # Writing templates
//
// Every string of a Spec is a Go text/template: title, text, color,
// iconEmoji, iconURL, each field's title and value, and each string inside
// blocks (a Slack Block Kit array, written as YAML or JSON; object keys are
// not templates). Templates fill values, never raw JSON, so quotes,
// newlines and "$" in an event can never break the payload. Title, text
// and fields are neutral; blocks, color and the icons are Slack-only (see
// [Spec]): a notifier of another type reads the neutral message that
// provider.Notification.Message builds, as plain text.
//
//	spec:
//	  template:
//	    title: '{{ .Object.Kind }}/{{ .Object.Name }} in {{ .Cluster }}'
//	    text: '{{ .Message }}'
//	    fields:
//	      - title: Revision
//	        value: '{{ slackLink .Links.Commit (shortRevision .Revision) }}'
//	        short: true
//
// A template sees [Data]: .Object.Kind, .Object.Name, .Object.Namespace,
// .Severity, .Message, .Reason, .Controller, .Timestamp, .Metadata (the
// merged metadata; a missing key is ""), .Revision, .Alert.Name,
// .Provider.Name, .Channel, .Cluster, .Links.Repository, .Links.Commit,
// .Links.Dashboard, and .Event, the raw event.
//
// # Escaping
//
// Render escapes the output of every action ({{ ... }}) with the escaper
// the notifier passes ([EscapeSlack] for Slack), unless the value is of type
// [Safe]. An event message "<!channel>" therefore reaches Slack as text, not
// as a ping, while links and mentions built on purpose with slackLink and
// slackMention stay links and mentions. Literal text of the template is
// the author's and is never escaped. Safe is a type, not a flag: a function
// that takes a string and returns a string (printf, upper, ...) yields
// ordinary text again, escaped like any other. IconEmoji and IconURL are
// names and URLs, not markup, and are never escaped.
//
// # Functions
//
// Templates have the Sprig functions (https://masterminds.github.io/sprig/)
// except those that read the environment (env, expandenv), the network
// (getHostByName) or files (dateInZone, date_in_zone, htmlDateInZone load
// the time zone database), and those that generate key material or hash
// passwords (genPrivateKey, genCA, bcrypt, ...). repeat, indent, nindent,
// replace, regexReplaceAll, wrapWith, until, untilStep, seq, randAlpha,
// randAlphaNum, randAscii, randNumeric, randBytes, split, splitList,
// splitn, regexFindAll, regexSplit, and the builtins printf, print and
// println are bounded by [MaxOutput].
//
// fluxnotify adds:
//
//   - slackEscape s: s escaped for Slack mrkdwn (&, <, >), as Safe.
//   - slackLink url text: the Slack link <url|text>, as Safe. text is
//     escaped; url must be an absolute http, https or mailto URL, and its |
//     and > are percent-encoded; any other url yields the escaped text alone.
//     An empty text shows the URL.
//   - slackMention id: "here", "channel" or "everyone" as <!here>...; a user
//     ID (U..., W...) as <@U...>; a user group ID (S...) as <!subteam^S...>;
//     as Safe. Anything else is an error.
//   - truncate n s: s cut to at most n runes, ending with "…" when cut.
//   - commitURL repo revision: see [CommitURL].
//   - commitSHA revision: the commit hash of a Flux revision; see
//     [CommitSHA].
//   - shortRevision revision: "main@sha1:2f3c4d5e..." as "main@2f3c4d5";
//     see [ShortRevision].
//   - safe s: s marked Safe, not escaped. For text the template author
//     controls; never for event data.
//
// [Funcs] returns the whole set for people building their own templates.
//
// # Limits
//
// No template can read the environment, files or the network. Parse
// executes the template once on [Sample], so a template that fails when
// executed is a load error, not a failed notification; that render has the
// same bounds as every other, with a work budget of at most [SampleWork],
// so loading never hangs on a template.
//
// Output: a rendered string longer than [MaxOutput], or past
// [MaxTotalOutput] for the whole message, is cut and ends with
// [TruncateMarker]; the cut falls at a rune boundary and never inside an
// escape, and a [Safe] value is kept whole or dropped. A function's string
// result over MaxOutput is cut too; a list or map over it fails with
// [ErrTooLarge], as do functions that would multiply their input past it
// (repeat, indent, replace, printf widths, ...), before allocating.
//
// Work: before each call, a template function (or a method of the data) is
// charged 512 units plus the size of its arguments times its cost per byte
// (1 to 32; 4 for a function given with [WithFuncs]), a regular expression
// the text it searches times 4 times the instructions of its program
// ([RegexpProgramSize]; more than [MaxRegexpProgram] is an error wrapping
// [ErrRegexpTooLarge]), and each range iteration 64; a unit is about a
// nanosecond of CPU. Past [Limits].Work ([DefaultWork], about half a second
// of CPU) the render fails with [ErrWorkBudget]; past [Limits].Iterations
// ([MaxIterations]) with [ErrTooManyIterations]. [Template.RenderContext]
// also checks its context at each call, so a render stops soon after the
// delivery's deadline. Commands take at most 32 arguments. {{define}},
// {{template}} and {{block}} are not supported: each string is one
// template. Arrays and objects in blocks nest at most 64 levels deep.
//
// Errors from Parse and Render are [*FieldError], naming the field ("text",
// "fields[1].value", "blocks[0].text.text"), to which the configuration
// loader adds the object ("alert flux-system/x: spec.template.text: ...").
//
// # Testing
//
// [Sample] returns the data Parse validates templates with, a failing
// Kustomization health check; change it to test a template on other events:
//
//	d := template.Sample()
//	d.Message = "<!channel> \"quoted\"\n$HOME"
//	m, err := tmpl.Render(d, template.EscapeSlack)
//
// # Links
//
// [NewLinks] builds the links a notification shows from the configured
// repository and dashboard URLs; [CommitURL] turns a Flux revision into a
// commit URL on GitHub, GitLab, Bitbucket Cloud, Gitea, Forgejo or Azure
// DevOps.
package template
