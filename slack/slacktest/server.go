package slacktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/slack-go/slack"
)

// Paths the server answers on.
const (
	// WebhookPath is the path of the server's incoming webhook.
	WebhookPath = "/services/T000/B000/XXX"
	// APIPath is the base path of the server's Web API.
	APIPath = "/api/"
	// PostMessagePath is the path of chat.postMessage.
	PostMessagePath = APIPath + "chat.postMessage"
	// UpdatePath is the path of chat.update.
	UpdatePath = APIPath + "chat.update"
)

// maxBody bounds what the server reads of a request.
const maxBody = 8 << 20

// Request is one request the server received.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the URL path: WebhookPath, PostMessagePath or another.
	Path string
	// Header holds the request headers, without Authorization and Cookie.
	Header http.Header
	// Bearer reports whether an "Authorization: Bearer" token was sent.
	Bearer bool
	// Body is the raw body.
	Body []byte
	// Message is Body decoded; its zero value when Body is not a message.
	Message slack.WebhookMessage
	// DecodeError says why Body could not be decoded, or is nil.
	DecodeError error
	// TS is the timestamp of the message the request created or changed:
	// the "ts" the server answered to a chat.postMessage call that
	// succeeded, the "ts" a chat.update call named; "" otherwise. A reply
	// in a thread has Message.ThreadTimestamp set to the root's TS, and
	// Message.ReplyBroadcast when it is also shown in the channel.
	TS string
}

// API reports whether r was a chat.postMessage call.
func (r Request) API() bool { return r.Path == PostMessagePath }

// IsUpdate reports whether r was a chat.update call.
func (r Request) IsUpdate() bool { return r.Path == UpdatePath }

// IsReply reports whether r was a chat.postMessage call in a thread.
func (r Request) IsReply() bool { return r.API() && r.Message.ThreadTimestamp != "" }

// Answer is what the server replies.
type Answer struct {
	// Status is the HTTP status; 0 means 200.
	Status int
	// Header is added to the reply (for example Retry-After).
	Header http.Header
	// Body is the reply body.
	Body string
}

// IsZero reports whether a is the zero Answer, which means "answer as
// Slack would".
func (a Answer) IsZero() bool { return a.Status == 0 && a.Header == nil && a.Body == "" }

// OK is Slack's success: a webhook's "ok" (a chat.postMessage call gets
// {"ok":true} when RespondFunc returns OK()).
func OK() Answer { return Answer{Status: http.StatusOK, Body: "ok"} }

// TooManyRequests answers 429 with Retry-After set to retryAfter: seconds
// ("1") or an HTTP date (see http.TimeFormat).
func TooManyRequests(retryAfter string) Answer {
	return Answer{
		Status: http.StatusTooManyRequests,
		Header: http.Header{"Retry-After": {retryAfter}},
		Body:   "rate_limited",
	}
}

// ServerError answers 500 with Slack's webhook body "rollup_error".
func ServerError() Answer { return Error(http.StatusInternalServerError, "rollup_error") }

// NotFound answers 404 with Slack's body for a removed webhook,
// "no_service".
func NotFound() Answer { return Error(http.StatusNotFound, "no_service") }

// Error answers status with Slack's error string code as a plain-text body,
// as incoming webhooks do: Error(400, "invalid_payload"),
// Error(404, "channel_not_found"), Error(410, "channel_is_archived").
func Error(status int, code string) Answer {
	return Answer{Status: status, Body: code}
}

// NotOK answers 200 {"ok":false,"error":code}, as the Web API does.
func NotOK(code string) Answer {
	b, _ := json.Marshal(map[string]any{"ok": false, "error": code})
	return Answer{Status: http.StatusOK, Header: jsonHeader(), Body: string(b)}
}

func jsonHeader() http.Header {
	return http.Header{"Content-Type": {"application/json; charset=utf-8"}}
}

// Server is a Slack sink on a loopback address. Create it with NewServer.
type Server struct {
	// URL is the base URL of the server, "http://127.0.0.1:port".
	URL string

	srv   *httptest.Server
	conns atomic.Int64

	mu       sync.Mutex
	requests []Request
	queue    []Answer
	fn       func(Request) Answer
	token    string
	ts       int64
	posted   map[string]bool // the ts of every message posted
}

// NewServer starts a sink on 127.0.0.1. Close it when done.
func NewServer() *Server {
	s := &Server{}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.srv.Start()
	s.URL = s.srv.URL
	return s
}

// WebhookURL is the server's incoming webhook URL.
func (s *Server) WebhookURL() string { return s.URL + WebhookPath }

// APIURL is the base URL of the server's Web API, for slack.WithAPIURL.
func (s *Server) APIURL() string { return s.URL + APIPath }

// PostMessageURL is the URL of the server's chat.postMessage.
func (s *Server) PostMessageURL() string { return s.URL + PostMessagePath }

// UpdateURL is the URL of the server's chat.update.
func (s *Server) UpdateURL() string { return s.URL + UpdatePath }

// Posted returns the chat.postMessage calls that succeeded and were not
// replies: the messages at the top of a channel, roots of threads or not.
func (s *Server) Posted() []Request {
	return s.filter(func(r Request) bool { return r.API() && r.TS != "" && r.Message.ThreadTimestamp == "" })
}

// Replies returns the chat.postMessage calls in the thread of the message
// with timestamp ts, in order.
func (s *Server) Replies(ts string) []Request {
	return s.filter(func(r Request) bool { return r.API() && r.Message.ThreadTimestamp == ts })
}

// Updates returns the chat.update calls of the message with timestamp ts,
// in order; the last one is what the message shows.
func (s *Server) Updates(ts string) []Request {
	return s.filter(func(r Request) bool { return r.IsUpdate() && r.TS == ts })
}

func (s *Server) filter(keep func(Request) bool) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down and closes every connection; it blocks until
// every request has been answered.
func (s *Server) Close() { s.srv.Close() }

// SetToken makes chat.postMessage accept only "Bearer token" (any token is
// accepted before SetToken is called, or after SetToken("")).
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// Respond makes the server answer a to the next n requests, after the
// answers queued before; a zero Answer answers them as Slack would, whatever
// RespondFunc says.
func (s *Server) Respond(n int, a Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.queue = append(s.queue, a)
	}
}

// RespondFunc makes f choose the answer to every request that no Respond
// answer is queued for; a zero Answer from f means "answer as Slack
// would". A nil f removes it.
func (s *Server) RespondFunc(f func(Request) Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fn = f
}

// Requests returns a copy of every request received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// Messages returns the decoded message of every request, in order.
func (s *Server) Messages() []slack.WebhookMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]slack.WebhookMessage, len(s.requests))
	for i, r := range s.requests {
		out[i] = r.Message
	}
	return out
}

// Len returns the number of requests received.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Last returns the last request received, if any.
func (s *Server) Last() (Request, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return Request{}, false
	}
	return s.requests[len(s.requests)-1], true
}

// Reset forgets the requests received and the queued answers.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.queue = nil, nil
}

// Connections returns how many TCP connections the server accepted.
func (s *Server) Connections() int { return int(s.conns.Load()) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	req := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Header: r.Header.Clone(),
		Body:   body,
	}
	auth := req.Header.Get("Authorization")
	token, bearer := strings.CutPrefix(auth, "Bearer ")
	req.Bearer = bearer && token != ""
	req.Header.Del("Authorization")
	req.Header.Del("Cookie")
	if len(body) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&req.Message); err != nil {
			req.Message, req.DecodeError = slack.WebhookMessage{}, err
		}
	}
	if req.IsUpdate() && req.DecodeError == nil {
		var u struct {
			TS string `json:"ts"`
		}
		_ = json.Unmarshal(body, &u)
		req.TS = u.TS
	}

	s.mu.Lock()
	index := len(s.requests)
	s.requests = append(s.requests, req)
	known := s.posted[req.TS]
	var a Answer
	queued := len(s.queue) > 0
	if queued {
		a, s.queue = s.queue[0], s.queue[1:]
	}
	fn, want := s.fn, s.token
	s.ts++
	ts := s.ts
	s.mu.Unlock()

	// A queued answer, even the zero one ("as Slack would"), comes before f.
	if !queued && fn != nil {
		a = fn(req)
	}
	if a.IsZero() {
		a = slackAnswer(req, token, want, ts, known)
	} else if (req.API() || req.IsUpdate()) && a.Status == http.StatusOK && a.Body == "ok" {
		a = postMessageOK(req, ts)
	}
	if posted := answeredTS(a); req.API() && posted != "" {
		// Recorded before the answer is written: a client that has the
		// answer finds the message in Requests.
		s.mu.Lock()
		s.requests[index].TS = posted
		if s.posted == nil {
			s.posted = map[string]bool{}
		}
		s.posted[posted] = true
		s.mu.Unlock()
	}
	for k, v := range a.Header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, a.Body)
}

// slackAnswer answers as Slack would; known reports whether the ts of a
// chat.update call names a message the server posted.
func slackAnswer(r Request, token, want string, ts int64, known bool) Answer {
	switch {
	case r.Method != http.MethodPost:
		return Error(http.StatusMethodNotAllowed, "invalid_method")
	case r.Path == WebhookPath:
		switch {
		case r.DecodeError != nil || len(r.Body) == 0:
			return Error(http.StatusBadRequest, "invalid_payload")
		case empty(r.Message):
			return Error(http.StatusBadRequest, "no_text")
		}
		return OK()
	case r.Path == PostMessagePath, r.Path == UpdatePath:
		// chat.update checks what chat.postMessage does, and that the
		// message to change exists.
		switch {
		case !r.Bearer:
			return NotOK("not_authed")
		case want != "" && token != want:
			return NotOK("invalid_auth")
		case r.DecodeError != nil || len(r.Body) == 0:
			return NotOK("invalid_json")
		case r.Message.Channel == "":
			return NotOK("channel_not_found")
		case r.Path == UpdatePath && (r.TS == "" || !known):
			return NotOK("message_not_found")
		case empty(r.Message):
			return NotOK("no_text")
		}
		return postMessageOK(r, ts)
	}
	return NotFound()
}

// answeredTS returns the ts of a successful Web API answer, or "".
func answeredTS(a Answer) string {
	if a.Status != 0 && a.Status != http.StatusOK {
		return ""
	}
	var ok struct {
		OK bool   `json:"ok"`
		TS string `json:"ts"`
	}
	if json.Unmarshal([]byte(a.Body), &ok) != nil || !ok.OK {
		return ""
	}
	return ok.TS
}

func tsString(ts int64) string { return fmt.Sprintf("1700000000.%06d", ts) }

func empty(m slack.WebhookMessage) bool {
	return m.Text == "" && len(m.Attachments) == 0 && (m.Blocks == nil || len(m.Blocks.BlockSet) == 0)
}

// postMessageOK is Slack's success: the ts of the new message for
// chat.postMessage, that of the message changed for chat.update.
func postMessageOK(r Request, ts int64) Answer {
	t := tsString(ts)
	if r.IsUpdate() {
		t = r.TS
	}
	b, _ := json.Marshal(map[string]any{
		"channel": r.Message.Channel,
		"ok":      true,
		"ts":      t,
	})
	return Answer{Status: http.StatusOK, Header: jsonHeader(), Body: string(b)}
}
