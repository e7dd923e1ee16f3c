package kudu

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults for the zero values of Config.
const (
	// DefaultRequestTimeout bounds a whole small request (list, detail,
	// kill, VFS metadata, command start).
	DefaultRequestTimeout = time.Minute
	// DefaultResponseHeaderTimeout bounds the wait for a dump's response
	// headers. Kudu sends nothing until the whole dump is written, so this
	// is long; the front end usually cuts at ~230 s anyway.
	DefaultResponseHeaderTimeout = 10 * time.Minute
	// DefaultIdleReadTimeout bounds the gap between two reads of a
	// streaming body. There is never a whole-body deadline.
	DefaultIdleReadTimeout = 2 * time.Minute
	// maxRedirects bounds same-host redirects (the VFS uses 307 for slashes).
	maxRedirects = 5
)

// Config configures a Client for one SCM site (an app or a slot).
type Config struct {
	// SCMURL is the base URL that /api/processes hangs from, e.g.
	// "https://contoso.scm.azurewebsites.net" (read it from ARM with
	// ARM.SCMURL) or "http://127.0.0.1:8080/contoso" for the simulator.
	// Required: http or https, no user info, query or fragment. Credentials
	// are sent only to this scheme and host.
	SCMURL string
	// Auth signs requests. Nil sends no Authorization header (simulator).
	Auth Auth
	// Transport carries the requests. Nil means a clone of
	// http.DefaultTransport. Timeouts below are enforced by the client on
	// top of any transport.
	Transport http.RoundTripper
	// RequestTimeout bounds a whole small request including its body.
	// 0 means DefaultRequestTimeout; negative means none.
	RequestTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for response headers of a
	// streaming request (dumps, VFS downloads). 0 means
	// DefaultResponseHeaderTimeout; negative means none.
	ResponseHeaderTimeout time.Duration
	// IdleReadTimeout bounds how long one read of a streaming body may wait
	// for bytes. 0 means DefaultIdleReadTimeout; negative means none.
	IdleReadTimeout time.Duration
	// UserAgent is sent with every request; empty means "dumpflow-kudu".
	UserAgent string
}

// timeouts is the normalized form of the Config durations; 0 = none.
type timeouts struct {
	request, header, idle time.Duration
}

func normTimeout(v, def time.Duration) time.Duration {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

func (c Config) timeouts() timeouts {
	return timeouts{
		request: normTimeout(c.RequestTimeout, DefaultRequestTimeout),
		header:  normTimeout(c.ResponseHeaderTimeout, DefaultResponseHeaderTimeout),
		idle:    normTimeout(c.IdleReadTimeout, DefaultIdleReadTimeout),
	}
}

// parseBaseURL validates a configured base URL and returns it without a
// trailing slash.
func parseBaseURL(field, raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("kudu: %s is required", field)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("kudu: %s: %w", field, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("kudu: %s %q: scheme must be http or https", field, raw)
	case u.Host == "":
		return nil, fmt.Errorf("kudu: %s %q: no host", field, raw)
	case u.User != nil:
		return nil, errors.New("kudu: " + field + ": user info in the URL is not allowed (use Auth)")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("kudu: %s %q: query and fragment are not allowed", field, raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// origin is scheme://host (host includes a port when present), lower-cased.
func origin(u *url.URL) string {
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// redactURL drops user info from a URL string for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
