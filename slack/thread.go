package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/fluxnotify/fluxnotify/provider"
)

// ErrNoThreads is wrapped by the error of Post and Update on a notifier that
// cannot thread: an incoming webhook (or a Discord or Rocket.Chat one)
// cannot reply in a thread nor change a message it posted.
var ErrNoThreads = errors.New("Slack threads need a bot token: an incoming webhook cannot reply in a thread nor update a message; give the provider's secret a \"token\" key (chat.postMessage) instead of an address")

// PostOptions say where and how Post sends a message.
type PostOptions struct {
	// ThreadTS is the ts of the thread's root message to reply to; empty
	// posts to the channel.
	ThreadTS string
	// Broadcast also shows a reply in the channel (reply_broadcast).
	Broadcast bool
	// Text, when set, replaces the message's text: the status line of a
	// thread's root message. It is mrkdwn, escaped by the caller.
	Text string
}

// CanThread reports whether the notifier can post in threads and update
// messages: a Slack provider with a bot token.
func (nt *Notifier) CanThread() bool { return nt.mode == modeAPI && nt.flavor == Type }

// Post posts n once with chat.postMessage, as Notify does, in a thread
// when o.ThreadTS is set, and returns the ts Slack gave the message: the
// thread's root when it starts one. Errors are classified as Notify's are.
func (nt *Notifier) Post(ctx context.Context, n *provider.Notification, o PostOptions) (ts string, err error) {
	if !nt.CanThread() {
		return "", nt.fail(&provider.Error{Err: ErrNoThreads})
	}
	return nt.call(ctx, nt.endpoint.Reveal(), n, o, "")
}

// Update changes the message ts, posted before, to show n once
// (chat.update), with o.Text as its text; o.ThreadTS and o.Broadcast are
// not used.
func (nt *Notifier) Update(ctx context.Context, n *provider.Notification, ts string, o PostOptions) error {
	if !nt.CanThread() {
		return nt.fail(&provider.Error{Err: ErrNoThreads})
	}
	endpoint := nt.endpoint.Reveal()
	base, ok := strings.CutSuffix(endpoint, "chat.postMessage")
	if !ok {
		return nt.fail(&provider.Error{Err: errors.New("chat.update: the provider's address is not a chat.postMessage URL, so the chat.update URL is unknown")})
	}
	o.ThreadTS, o.Broadcast = "", false
	_, err := nt.call(ctx, base+"chat.update", n, o, ts)
	return err
}

// apiPayload is a Web API message: a payload with the thread fields.
type apiPayload struct {
	*payload
	TS             string `json:"ts,omitempty"`
	ThreadTS       string `json:"thread_ts,omitempty"`
	ReplyBroadcast bool   `json:"reply_broadcast,omitempty"`
}

// call sends n to a Web API method and returns the "ts" of the answer.
func (nt *Notifier) call(ctx context.Context, endpoint string, n *provider.Notification, o PostOptions, ts string) (string, error) {
	if _, ok := ctx.Deadline(); !ok && nt.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, nt.timeout)
		defer cancel()
	}
	p, err := nt.build(ctx, n)
	if err != nil {
		return "", nt.fail(&provider.Error{Err: err})
	}
	if p.Channel == "" {
		return "", nt.fail(&provider.Error{Err: fmt.Errorf("%s: no channel: chat.postMessage needs one: set spec.channel on the alert or the provider", alertName(n))})
	}
	if o.Text != "" {
		p.Text = cut(o.Text, maxText)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(apiPayload{payload: p, TS: ts, ThreadTS: o.ThreadTS, ReplyBroadcast: o.Broadcast}); err != nil {
		return "", nt.fail(&provider.Error{Err: fmt.Errorf("encoding the Slack message: %w", err)})
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, &buf)
	if err != nil {
		return "", nt.fail(provider.SanitizeError(err, nt.secretValues()...))
	}
	for k, v := range nt.headers {
		req.Header.Set(k, v.Reveal())
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	if nt.userAgent != "" {
		req.Header.Set("User-Agent", nt.userAgent)
	}
	req.Header.Set("Authorization", "Bearer "+nt.token.Reveal())
	resp, err := nt.client.Do(req)
	if err != nil {
		return "", nt.fail(transportError(err, nt.secretValues()))
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4*maxResponse))
	_ = resp.Body.Close()
	if err := classify(resp, data, true); err != nil {
		return "", nt.fail(err)
	}
	var answer struct {
		TS string `json:"ts"`
	}
	if json.Unmarshal(data, &answer) != nil || answer.TS == "" {
		return "", nt.fail(&provider.Error{StatusCode: resp.StatusCode, Err: errors.New(`Slack's answer has no "ts"`)})
	}
	return answer.TS, nil
}
