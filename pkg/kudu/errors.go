package kudu

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Sentinel conditions. Test with errors.Is; the concrete errors returned
// (*APIError, *HostMismatchError, *WrongInstanceError, …) match them.
var (
	// ErrNotFound: the server answered 404 (unknown pid, missing file, gone
	// instance). For Kill it means the process was already gone.
	ErrNotFound = errors.New("kudu: not found")
	// ErrUnauthorized: the server answered 401 or 403 (bad credentials, wrong
	// token audience, Reader-only principal, basic auth disabled, stopped app).
	ErrUnauthorized = errors.New("kudu: unauthorized")
	// ErrWrongInstance: a request meant for one instance (ARRAffinity) was
	// answered by another one, which the front end does silently when the
	// instance no longer exists (docs/kudu.md).
	ErrWrongInstance = errors.New("kudu: request answered by a different instance")
	// ErrHostMismatch: a URL taken from a response (href, minidump, nextLink,
	// redirect Location) points at a scheme or host other than the configured
	// one; it is not followed and no credentials are sent to it.
	ErrHostMismatch = errors.New("kudu: URL host differs from the configured host")
	// ErrFirstByteTimeout: no response headers arrived within
	// Config.ResponseHeaderTimeout. For direct dumps this is usually the front
	// end's ~230 s first-byte limit; the staged strategy avoids it.
	ErrFirstByteTimeout = errors.New("kudu: no response headers before the response-header timeout (for big dumps consider the staged strategy)")
	// ErrRequestTimeout: a small (JSON) request did not finish within
	// Config.RequestTimeout.
	ErrRequestTimeout = errors.New("kudu: request did not finish within the request timeout")
	// ErrIdleTimeout: a response body delivered no bytes for
	// Config.IdleReadTimeout.
	ErrIdleTimeout = errors.New("kudu: response body idle for longer than the idle-read timeout")
	// ErrTruncated: a body ended before its Content-Length.
	ErrTruncated = errors.New("kudu: response body ended before its Content-Length")
	// ErrRefused: the client refused a request that would harm the site, e.g.
	// killing pid 0 or the SCM (Kudu) process. Never sent to the server.
	ErrRefused = errors.New("kudu: request refused by the client")
	// ErrChanged: a resumed download found that the file changed (its ETag
	// no longer matches), so the bytes already read cannot be continued.
	ErrChanged = errors.New("kudu: file changed during download")
	// ErrStaged: the staged dump tool did not produce a complete file.
	ErrStaged = errors.New("kudu: staged dump failed")
)

// APIError is a non-success HTTP answer from Kudu or ARM.
type APIError struct {
	Op         string        // what the client was doing, e.g. "get process 4120"
	Method     string        // HTTP method
	URL        string        // request URL (never holds credentials)
	StatusCode int           // HTTP status code
	Code       string        // ARM error code ({"error":{"code"}}), if any
	Message    string        // server message from a JSON or HTML body, trimmed
	RetryAfter time.Duration // parsed Retry-After header, 0 when absent
	// Err is the *azcore.ResponseError of an ARM call (whose Retry-After
	// azcore's retry policy already honoured), nil for Kudu.
	Err error
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("kudu: %s: %s %s: %d %s", e.Op, e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns the *azcore.ResponseError of an ARM call, or nil.
func (e *APIError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNotFound) true for 404 and
// errors.Is(err, ErrUnauthorized) true for 401 and 403.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	}
	return false
}

// HostMismatchError names the configured and the offending URL origins.
type HostMismatchError struct {
	Op   string
	Want string // configured scheme://host
	Got  string // scheme://host found in the response
}

func (e *HostMismatchError) Error() string {
	return fmt.Sprintf("kudu: %s: refusing to follow a URL on %s: the configured host is %s", e.Op, e.Got, e.Want)
}

// Is matches ErrHostMismatch.
func (e *HostMismatchError) Is(target error) bool { return target == ErrHostMismatch }

// WrongInstanceError says which instance answered instead of the target.
type WrongInstanceError struct {
	Want        string // instance id the request was pinned to
	Got         string // instance id that answered, if known
	MachineName string // machine name that answered, if known
	Evidence    string // how it was detected ("Set-Cookie ARRAffinity", "WEBSITE_INSTANCE_ID", …)
}

func (e *WrongInstanceError) Error() string {
	got := e.Got
	if got == "" {
		got = "an unknown instance"
	}
	if e.MachineName != "" {
		got += " (machine " + e.MachineName + ")"
	}
	return fmt.Sprintf("kudu: request for instance %s was answered by %s (%s)", e.Want, got, e.Evidence)
}

// Is matches ErrWrongInstance.
func (e *WrongInstanceError) Is(target error) bool { return target == ErrWrongInstance }

// DecodeError is a response body that is not the JSON the API documents.
// It is permanent.
type DecodeError struct {
	Op  string
	Err error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("kudu: %s: decoding response: %v", e.Op, e.Err)
}
func (e *DecodeError) Unwrap() error { return e.Err }
