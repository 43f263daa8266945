package template

import "strings"

// Escaper escapes text that comes from an event before it reaches a
// destination with its own markup. Render applies it to the output of every
// template action, except values of type Safe.
type Escaper func(string) string

// Safe is text a template function built on purpose (a Slack link, for
// example) that an Escaper must leave alone.
type Safe string

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// EscapeSlack escapes s for Slack mrkdwn: &, < and > become &amp;, &lt; and
// &gt;, so an event message "<!channel>" or "<https://evil|click>" is shown
// as text, not as a ping or a link.
func EscapeSlack(s string) string {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '&', '<', '>':
			return slackEscaper.Replace(s)
		}
	}
	return s
}
