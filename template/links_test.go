package template_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/fluxnotify/fluxnotify/template"
)

const sha = "2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"

func TestCommitURL(t *testing.T) {
	tests := []struct {
		name, repo, revision, want string
	}{
		{"github https", "https://github.com/org/repo", "main@sha1:" + sha, "https://github.com/org/repo/commit/" + sha},
		{"github .git", "https://github.com/org/repo.git", "main@sha1:" + sha, "https://github.com/org/repo/commit/" + sha},
		{"github trailing slash", "https://github.com/org/repo/", "sha1:" + sha, "https://github.com/org/repo/commit/" + sha},
		{"github ssh", "ssh://git@github.com/org/repo.git", "main@sha1:" + sha, "https://github.com/org/repo/commit/" + sha},
		{"github ssh port", "ssh://git@github.com:22/org/repo.git", "main@sha1:" + sha, "https://github.com/org/repo/commit/" + sha},
		{"github scp", "git@github.com:org/repo.git", "main@sha1:" + sha, "https://github.com/org/repo/commit/" + sha},
		{"credentials dropped", "https://user:s3cret@github.com/org/repo.git?x=1#y", "main@sha1:" + sha, "https://github.com/org/repo/commit/" + sha},
		{"legacy revision", "https://github.com/org/repo", "main/" + sha, "https://github.com/org/repo/commit/" + sha},
		{"legacy nested branch", "https://github.com/org/repo", "feature/x/" + sha, "https://github.com/org/repo/commit/" + sha},
		{"bare sha", "https://github.com/org/repo", sha, "https://github.com/org/repo/commit/" + sha},
		{"upper-case sha", "https://github.com/org/repo", "main@sha1:2F3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E", "https://github.com/org/repo/commit/" + sha},
		{"short sha1", "https://github.com/org/repo", "main@sha1:abc1234", "https://github.com/org/repo/commit/abc1234"},
		{"gitlab", "https://gitlab.com/group/sub/repo.git", "main@sha1:" + sha, "https://gitlab.com/group/sub/repo/-/commit/" + sha},
		{"gitlab self-hosted scp", "git@gitlab.example.com:group/repo.git", "main@sha1:" + sha, "https://gitlab.example.com/group/repo/-/commit/" + sha},
		{"bitbucket cloud", "https://bitbucket.org/team/repo.git", "main@sha1:" + sha, "https://bitbucket.org/team/repo/commits/" + sha},
		{"bitbucket scp", "git@bitbucket.org:team/repo.git", "main@sha1:" + sha, "https://bitbucket.org/team/repo/commits/" + sha},
		{"gitea", "https://gitea.example.com:3000/org/repo.git", "main@sha1:" + sha, "https://gitea.example.com:3000/org/repo/commit/" + sha},
		{"forgejo codeberg", "ssh://git@codeberg.org/org/repo.git", "main@sha1:" + sha, "https://codeberg.org/org/repo/commit/" + sha},
		{"azure devops https", "https://org@dev.azure.com/org/project/_git/repo", "main@sha1:" + sha, "https://dev.azure.com/org/project/_git/repo/commit/" + sha},
		{"azure devops ssh", "git@ssh.dev.azure.com:v3/org/project/repo", "main@sha1:" + sha, "https://dev.azure.com/org/project/_git/repo/commit/" + sha},
		{"azure devops visualstudio ssh", "org@vs-ssh.visualstudio.com:v3/org/project/repo", "main@sha1:" + sha, "https://org.visualstudio.com/project/_git/repo/commit/" + sha},
		{"unknown host", "https://git.example.com/org/repo", "main@sha1:" + sha, "https://git.example.com/org/repo/commit/" + sha},
		{"http kept", "http://git.local/org/repo", "main@sha1:" + sha, "http://git.local/org/repo/commit/" + sha},
		{"oci digest", "https://github.com/org/repo", "sha256:" + sha + sha[:24], ""},
		{"oci tag digest", "https://github.com/org/repo", "v1.0@sha256:" + sha + sha[:24], ""},
		{"chart version", "https://github.com/org/repo", "6.5.0", ""},
		{"branch name", "https://github.com/org/repo", "main/feature", ""},
		{"short bare", "https://github.com/org/repo", "abc1234", ""},
		{"not hex", "https://github.com/org/repo", "main@sha1:xyz1234", ""},
		{"empty revision", "https://github.com/org/repo", "", ""},
		{"empty repo", "", "main@sha1:" + sha, ""},
		{"file repo", "file:///srv/repo", "main@sha1:" + sha, ""},
		{"no path", "https://github.com", "main@sha1:" + sha, ""},
		{"garbage repo", "not a url", "main@sha1:" + sha, ""},
		{"injection", "https://github.com/org/repo>|x", "main@sha1:" + sha, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, template.CommitURL(tt.repo, tt.revision))
		})
	}
}

func TestShortRevision(t *testing.T) {
	digest := sha + sha[:24]
	tests := []struct{ in, want string }{
		{"main@sha1:" + sha, "main@2f3c4d5"},
		{"refs/heads/main@sha1:" + sha, "refs/heads/main@2f3c4d5"},
		{"sha1:" + sha, "2f3c4d5"},
		{"main/" + sha, "main@2f3c4d5"},
		{sha, "2f3c4d5"},
		{"main@sha1:abc12", "main@sha1:abc12"},
		{"v1.0@sha256:" + digest, "v1.0@sha256:2f3c4d5e6f70"},
		{"sha256:" + digest, "sha256:2f3c4d5e6f70"},
		{"6.5.0", "6.5.0"},
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, template.ShortRevision(tt.in), tt.in)
	}
}

func TestNewLinks(t *testing.T) {
	obj := template.Object{Kind: "HelmRelease", Name: "pod info", Namespace: "team/a"}
	l := template.NewLinks("https://token@github.com/org/repo.git", "https://dash.example.com/{namespace}/{kind}/{name}?x={name}",
		obj, "main@sha1:"+sha)
	assert.Equal(t, template.Links{
		Repository: "https://github.com/org/repo",
		Commit:     "https://github.com/org/repo/commit/" + sha,
		Dashboard:  "https://dash.example.com/team%2Fa/HelmRelease/pod%20info?x=pod%20info",
	}, l)

	assert.Equal(t, template.Links{}, template.NewLinks("", "", obj, ""))
	assert.Equal(t, template.Links{Repository: "https://github.com/org/repo"},
		template.NewLinks("git@github.com:org/repo", "", obj, "6.5.0"))
}

// FuzzLinkURL: the URLs linkURL takes without parsing are taken the same
// way by url.Parse.
func FuzzLinkURL(f *testing.F) {
	for _, s := range []string{
		"https://github.com/example/fleet-infra/commit/2f3c4d5e", "http://a", "https://", "https:///x", "https://a.b-c/p?q=1&r=(x)#f",
		"https://a@b/", "https://a:80/", "https://a/%zz", "https://a/ b", "HTTPS://a/", "https://a/\x7f", "https://a/é", "http://./",
		"https://a/[x]", "https://a/p|q>r", " https://a/ ", "https://a/?q=%41",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		raw = strings.TrimSpace(raw)
		if !template.PlainHTTPURL(raw) {
			return
		}
		got, ok := template.LinkURL(raw)
		want, wantOK := template.ParsedLinkURL(raw)
		if got != want || ok != wantOK || !ok {
			t.Fatalf("%q: plain (%q, %v), parsed (%q, %v)", raw, got, ok, want, wantOK)
		}
	})
}
