package slacktest_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/fluxnotify/fluxnotify/slack/slacktest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// post sends body to url and returns the status, body and Retry-After.
func post(t *testing.T, c *http.Client, url, token, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b), resp.Header.Get("Retry-After")
}

func TestServer_DefaultAnswers(t *testing.T) {
	tests := []struct {
		name       string
		api        bool
		token      string
		body       string
		wantStatus int
		wantBody   string
	}{
		{"webhook ok", false, "", `{"text":"hi"}`, 200, "ok"},
		{"webhook attachments", false, "", `{"attachments":[{"text":"hi"}]}`, 200, "ok"},
		{"webhook not json", false, "", `{"text":`, 400, "invalid_payload"},
		{"webhook empty body", false, "", ``, 400, "invalid_payload"},
		{"webhook no text", false, "", `{"channel":"#x"}`, 400, "no_text"},
		{"api ok", true, "xoxb-1", `{"channel":"#x","text":"hi"}`, 200, `{"channel":"#x","ok":true,"ts":"1700000000.000001"}`},
		{"api no token", true, "", `{"channel":"#x","text":"hi"}`, 200, `{"error":"not_authed","ok":false}`},
		{"api wrong token", true, "xoxb-2", `{"channel":"#x","text":"hi"}`, 200, `{"error":"invalid_auth","ok":false}`},
		{"api no channel", true, "xoxb-1", `{"text":"hi"}`, 200, `{"error":"channel_not_found","ok":false}`},
		{"api no text", true, "xoxb-1", `{"channel":"#x"}`, 200, `{"error":"no_text","ok":false}`},
		{"api bad json", true, "xoxb-1", `nope`, 200, `{"error":"invalid_json","ok":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := slacktest.NewServer()
			defer srv.Close()
			url := srv.WebhookURL()
			if tt.api {
				srv.SetToken("xoxb-1")
				url = srv.PostMessageURL()
			}
			status, body, _ := post(t, srv.Client(), url, tt.token, tt.body)
			assert.Equal(t, tt.wantStatus, status)
			assert.Equal(t, tt.wantBody, body)
			require.Equal(t, 1, srv.Len())
			r, ok := srv.Last()
			require.True(t, ok)
			assert.Equal(t, tt.api, r.API())
			assert.Equal(t, tt.body, string(r.Body))
			assert.Empty(t, r.Header.Get("Authorization"), "the token is not recorded")
			assert.Equal(t, tt.token != "", r.Bearer)
		})
	}
}

func TestServer_UnknownPath(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	status, body, _ := post(t, srv.Client(), srv.URL+"/services/other", "", `{"text":"x"}`)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, "no_service", body)
}

func TestServer_Respond(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	srv.Respond(1, slacktest.TooManyRequests("3"))
	srv.Respond(2, slacktest.ServerError())
	c := srv.Client()
	var got []string
	for range 4 {
		status, body, ra := post(t, c, srv.WebhookURL(), "", `{"text":"x"}`)
		got = append(got, strings.Join([]string{http.StatusText(status), body, ra}, "|"))
	}
	assert.Equal(t, []string{
		"Too Many Requests|rate_limited|3",
		"Internal Server Error|rollup_error|",
		"Internal Server Error|rollup_error|",
		"OK|ok|",
	}, got)

	srv.Reset()
	assert.Zero(t, srv.Len())
}

func TestServer_RespondFunc(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	srv.RespondFunc(func(r slacktest.Request) slacktest.Answer {
		if r.Message.Channel == "#archived" {
			return slacktest.Error(http.StatusGone, "channel_is_archived")
		}
		return slacktest.Answer{} // as Slack would
	})
	status, body, _ := post(t, srv.Client(), srv.WebhookURL(), "", `{"channel":"#archived","text":"x"}`)
	assert.Equal(t, http.StatusGone, status)
	assert.Equal(t, "channel_is_archived", body)
	status, _, _ = post(t, srv.Client(), srv.WebhookURL(), "", `{"channel":"#ok","text":"x"}`)
	assert.Equal(t, http.StatusOK, status)

	// A queued answer comes first; OK() on chat.postMessage is its JSON.
	srv.Respond(1, slacktest.OK())
	status, body, _ = post(t, srv.Client(), srv.PostMessageURL(), "t", `{"channel":"#x","text":"x"}`)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `"ok":true`)
	srv.RespondFunc(nil)
	srv.Respond(1, slacktest.NotOK("is_archived"))
	_, body, _ = post(t, srv.Client(), srv.PostMessageURL(), "t", `{"channel":"#x","text":"x"}`)
	assert.Equal(t, `{"error":"is_archived","ok":false}`, body)
}

// TestServer_QueuedZeroAnswer: a queued zero Answer means "as Slack would"
// for that request, before RespondFunc's f, which answers the others.
func TestServer_QueuedZeroAnswer(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	srv.RespondFunc(func(slacktest.Request) slacktest.Answer { return slacktest.ServerError() })
	srv.Respond(1, slacktest.Answer{})
	tests := []struct {
		name       string
		wantStatus int
		wantBody   string
	}{
		{"queued zero answer", http.StatusOK, "ok"},
		{"then f", http.StatusInternalServerError, "rollup_error"},
	}
	for _, tt := range tests {
		status, body, _ := post(t, srv.Client(), srv.WebhookURL(), "", `{"text":"x"}`)
		assert.Equal(t, tt.wantStatus, status, tt.name)
		assert.Equal(t, tt.wantBody, body, tt.name)
	}
}

func TestServer_KeepAliveAndConcurrency(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	c := srv.Client()
	for range 3 {
		status, _, _ := post(t, c, srv.WebhookURL(), "", `{"text":"x"}`)
		require.Equal(t, http.StatusOK, status)
	}
	assert.Equal(t, 1, srv.Connections(), "one reused connection")

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, srv.WebhookURL(), strings.NewReader(`{"text":"y"}`))
			if resp, err := c.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
			_ = srv.Requests()
			_ = srv.Messages()
		})
	}
	wg.Wait()
	assert.Equal(t, 11, srv.Len())
	msgs := srv.Messages()
	assert.Equal(t, "y", msgs[len(msgs)-1].Text)
}

// TestServer_threads: chat.postMessage answers a ts, replies carry
// thread_ts (and reply_broadcast), chat.update changes a posted message and
// refuses one it never posted.
func TestServer_threads(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	c := srv.Client()
	const tok = "xoxb-1"

	_, body, _ := post(t, c, srv.PostMessageURL(), tok, `{"channel":"#x","text":"root"}`)
	assert.JSONEq(t, `{"ok":true,"channel":"#x","ts":"1700000000.000001"}`, body)
	const root = "1700000000.000001"

	tests := []struct {
		name     string
		url      string
		body     string
		wantBody string
	}{
		{"reply", srv.PostMessageURL(), `{"channel":"#x","text":"again","thread_ts":"` + root + `"}`,
			`{"ok":true,"channel":"#x","ts":"1700000000.000002"}`},
		{"broadcast reply", srv.PostMessageURL(), `{"channel":"#x","text":"failed","thread_ts":"` + root + `","reply_broadcast":true}`,
			`{"ok":true,"channel":"#x","ts":"1700000000.000003"}`},
		{"update", srv.UpdateURL(), `{"channel":"#x","ts":"` + root + `","text":"failing since 10:00, 2 failures"}`,
			`{"ok":true,"channel":"#x","ts":"` + root + `"}`},
		{"update unknown", srv.UpdateURL(), `{"channel":"#x","ts":"1.2","text":"x"}`, `{"ok":false,"error":"message_not_found"}`},
		{"update without ts", srv.UpdateURL(), `{"channel":"#x","text":"x"}`, `{"ok":false,"error":"message_not_found"}`},
		{"update without token", srv.UpdateURL(), `{"channel":"#x","ts":"` + root + `","text":"x"}`, `{"ok":false,"error":"not_authed"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := tok
			if tt.name == "update without token" {
				token = ""
			}
			status, body, _ := post(t, c, tt.url, token, tt.body)
			assert.Equal(t, http.StatusOK, status)
			assert.JSONEq(t, tt.wantBody, body)
		})
	}

	posted := srv.Posted()
	require.Len(t, posted, 1)
	assert.Equal(t, root, posted[0].TS)
	replies := srv.Replies(root)
	require.Len(t, replies, 2)
	assert.False(t, replies[0].Message.ReplyBroadcast)
	assert.True(t, replies[1].Message.ReplyBroadcast)
	assert.True(t, replies[1].IsReply())
	updates := srv.Updates(root)
	require.Len(t, updates, 2, "the successful update and the one without a token")
	assert.Equal(t, "failing since 10:00, 2 failures", updates[0].Message.Text)

	// A queued OK() answers chat.update with its ts too.
	srv.Respond(1, slacktest.OK())
	_, body, _ = post(t, c, srv.UpdateURL(), tok, `{"channel":"#x","ts":"9.9","text":"x"}`)
	assert.JSONEq(t, `{"ok":true,"channel":"#x","ts":"9.9"}`, body)
}
