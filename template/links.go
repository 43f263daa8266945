package template

import (
	"net/url"
	"strings"
)

// CommitURL returns the web URL of revision's commit in the Git repository
// at repoURL, or "" when either is empty or unrecognised, or the revision
// names no Git commit.
//
// revision is a Flux revision: "main@sha1:<sha>", "sha1:<sha>", the legacy
// "main/<sha>" or a bare 40-hex "<sha>" (see CommitSHA). OCI digests
// ("sha256:...", "v1.0@sha256:...") and chart versions name no commit.
//
// repoURL may be a web URL (https://github.com/org/repo, with or without
// ".git"), an ssh:// URL (ssh://git@github.com/org/repo.git) or scp-like
// (git@github.com:org/repo.git); credentials, ports of ssh URLs, queries and
// fragments are dropped. The commit path follows the host: GitLab
// ("/-/commit/<sha>", for any host whose name contains "gitlab"), Bitbucket
// Cloud ("/commits/<sha>"), Azure DevOps (dev.azure.com and
// *.visualstudio.com, ssh URLs included: "/commit/<sha>"), and GitHub,
// Gitea, Forgejo and any other host ("/commit/<sha>").
func CommitURL(repoURL, revision string) string {
	sha := CommitSHA(revision)
	if sha == "" {
		return ""
	}
	web, host := repositoryWebURL(repoURL)
	if web == "" {
		return ""
	}
	switch {
	case strings.Contains(host, "gitlab"):
		return web + "/-/commit/" + sha
	case host == "bitbucket.org":
		return web + "/commits/" + sha
	default:
		return web + "/commit/" + sha
	}
}

// CommitSHA returns the Git commit hash a Flux revision names, or "":
// "main@sha1:<hex>" and "sha1:<hex>" (7 to 40 hex digits), the legacy
// "<branch>/<40 hex>" and a bare 40-hex hash. A "sha256:" revision is an OCI
// artifact digest, not a commit, and yields "".
func CommitSHA(revision string) string {
	revision = strings.TrimSpace(revision)
	if i := strings.LastIndexByte(revision, '@'); i >= 0 {
		revision = revision[i+1:]
	}
	if h, ok := strings.CutPrefix(revision, "sha1:"); ok {
		if len(h) >= 7 && len(h) <= 40 && isHex(h) {
			return strings.ToLower(h)
		}
		return ""
	}
	if i := strings.LastIndexByte(revision, '/'); i >= 0 {
		revision = revision[i+1:]
	}
	if len(revision) == 40 && isHex(revision) {
		return strings.ToLower(revision)
	}
	return ""
}

// ShortRevision shortens a Flux revision for display, keeping its ref:
//
//	main@sha1:2f3c4d5e6f70...   → main@2f3c4d5
//	sha1:2f3c4d5e6f70...        → 2f3c4d5
//	main/2f3c4d5e6f70... (legacy) → main@2f3c4d5
//	2f3c4d5e6f70... (40 hex)    → 2f3c4d5
//	v1.0@sha256:9b8a7c6d5e4f... → v1.0@sha256:9b8a7c6d5e4f (12 digits)
//	sha256:9b8a7c6d5e4f...      → sha256:9b8a7c6d5e4f
//
// Anything else (a chart version "6.5.0", a tag) is returned unchanged.
func ShortRevision(revision string) string {
	ref, digest := "", revision
	if i := strings.LastIndexByte(revision, '@'); i >= 0 {
		ref, digest = revision[:i+1], revision[i+1:]
	}
	if h, ok := strings.CutPrefix(digest, "sha256:"); ok && len(h) > 12 && isHex(h) {
		return ref + "sha256:" + h[:12]
	}
	sha := CommitSHA(digest)
	if sha == "" {
		return revision
	}
	if ref == "" && !strings.HasPrefix(digest, "sha1:") {
		if i := strings.LastIndexByte(digest, '/'); i >= 0 {
			ref = digest[:i] + "@"
		}
	}
	return ref + sha[:min(7, len(sha))]
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return s != ""
}

// repositoryWebURL turns a Git remote URL into the repository's web URL and
// lower-cased host, or "" when it cannot. Credentials are never kept.
func repositoryWebURL(repo string) (web, host string) {
	repo = strings.TrimSpace(repo)
	if repo == "" || strings.ContainsAny(repo, " \t\r\n<>|") {
		return "", ""
	}
	scheme := "https"
	var path string
	if !strings.Contains(repo, "://") {
		// scp-like: [user@]host:path
		at := strings.LastIndexByte(repo, '@')
		rest := repo[at+1:]
		h, p, ok := strings.Cut(rest, ":")
		if !ok || h == "" || strings.Contains(h, "/") {
			return "", ""
		}
		host, path = strings.ToLower(h), p
	} else {
		u, err := url.Parse(repo)
		if err != nil || u.Host == "" {
			return "", ""
		}
		switch strings.ToLower(u.Scheme) {
		case "http":
			scheme = "http"
			host = strings.ToLower(u.Host)
		case "https":
			host = strings.ToLower(u.Host)
		case "ssh", "git+ssh", "ssh+git", "git":
			host = strings.ToLower(u.Hostname()) // the ssh port is not the web port
		default:
			return "", ""
		}
		path = u.Path
	}
	path = strings.Trim(path, "/")
	path = strings.TrimSuffix(path, ".git")
	path = strings.TrimSuffix(path, "/")
	if path == "" || host == "" {
		return "", ""
	}
	switch {
	case host == "ssh.dev.azure.com":
		// v3/org/project/repo → https://dev.azure.com/org/project/_git/repo
		parts := strings.Split(strings.TrimPrefix(path, "v3/"), "/")
		if len(parts) != 3 {
			return "", ""
		}
		return "https://dev.azure.com/" + parts[0] + "/" + parts[1] + "/_git/" + parts[2], "dev.azure.com"
	case host == "vs-ssh.visualstudio.com":
		// v3/org/project/repo → https://org.visualstudio.com/project/_git/repo
		parts := strings.Split(strings.TrimPrefix(path, "v3/"), "/")
		if len(parts) != 3 {
			return "", ""
		}
		h := parts[0] + ".visualstudio.com"
		return "https://" + h + "/" + parts[1] + "/_git/" + parts[2], h
	}
	return scheme + "://" + host + "/" + path, host
}

// NewLinks builds the links of an event about obj at revision:
// Links.Repository is the web URL of repoURL (an ssh or scp-like remote
// becomes https; credentials are dropped; "" when it is not a Git remote
// URL), Links.Commit is CommitURL(repoURL, revision), and Links.Dashboard
// is dashboardURL with "{kind}", "{name}" and "{namespace}" replaced by
// obj's, path-escaped ("" when dashboardURL is empty).
func NewLinks(repoURL, dashboardURL string, obj Object, revision string) Links {
	var l Links
	l.Repository, _ = repositoryWebURL(repoURL)
	l.Commit = CommitURL(repoURL, revision)
	if dashboardURL != "" {
		l.Dashboard = strings.NewReplacer(
			"{kind}", url.PathEscape(obj.Kind),
			"{name}", url.PathEscape(obj.Name),
			"{namespace}", url.PathEscape(obj.Namespace),
		).Replace(dashboardURL)
	}
	return l
}
