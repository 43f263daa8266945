package template

// CommitURL returns the web URL of revision in the repository at repoURL, or
// "" when either is unknown or the revision names no commit.
// TODO(issue 4): implement (GitHub, GitLab, Gitea, Bitbucket, Azure DevOps;
// https, ssh:// and scp-like URLs; Flux revisions main@sha1:abc, sha1:abc,
// main/abc).
func CommitURL(repoURL, revision string) string { return "" }

// NewLinks builds the links of an event about obj at revision:
// Links.Repository is repoURL, Links.Commit is CommitURL(repoURL, revision),
// Links.Dashboard is dashboardURL with "{kind}", "{name}" and "{namespace}"
// replaced by obj's, path-escaped.
// TODO(issue 4): implement.
func NewLinks(repoURL, dashboardURL string, obj Object, revision string) Links {
	return Links{Repository: repoURL}
}
