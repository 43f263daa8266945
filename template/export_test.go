package template

// For FuzzLinkURL.
var (
	PlainHTTPURL  = plainHTTPURL
	LinkURL       = linkURL
	ParsedLinkURL = parsedLinkURL
)
