package kudu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxJSONBody bounds a JSON response (a process detail with its whole
// environment, modules and handles is well under this).
const maxJSONBody = 32 << 20

// Causes used to cancel a request's context from a timer.
var (
	errHeaderTimer  = errors.New("response-header timer")
	errRequestTimer = errors.New("request timer")
	errIdleTimer    = errors.New("idle-read timer")
)

// conn is the HTTP core of Client (ARM goes through pkg/arm): one origin that receives
// credentials, timeouts, 401 retry, redirect and URL host checks.
type conn struct {
	base      *url.URL // configured base URL, no trailing slash
	origin    string
	auth      Auth
	hc        *http.Client
	to        timeouts
	userAgent string
	header    http.Header // extra headers on every request (affinity cookies)
	instance  string      // pinned instance id ("" = none)
}

func newConn(field, rawBase string, auth Auth, rt http.RoundTripper, to timeouts, ua string) (*conn, error) {
	base, err := parseBaseURL(field, rawBase)
	if err != nil {
		return nil, err
	}
	if rt == nil {
		rt = http.DefaultTransport.(*http.Transport).Clone()
	}
	if ua == "" {
		ua = "dumpflow-kudu"
	}
	c := &conn{base: base, origin: origin(base), auth: auth, to: to, userAgent: ua}
	c.hc = &http.Client{Transport: rt, CheckRedirect: c.checkRedirect}
	return c, nil
}

// checkRedirect follows redirects only on the configured origin, so
// credentials never leave it.
func (c *conn) checkRedirect(req *http.Request, via []*http.Request) error {
	if o := origin(req.URL); o != c.origin {
		return &HostMismatchError{Op: "redirect", Want: c.origin, Got: o}
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("kudu: stopped after %d redirects", len(via))
	}
	return nil
}

// resolve turns a URL from a response (absolute or relative) into an
// absolute URL on the configured origin, or a *HostMismatchError.
func (c *conn) resolve(op, ref string) (string, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return "", &DecodeError{Op: op, Err: fmt.Errorf("bad URL %q: %w", ref, err)}
	}
	u = c.base.ResolveReference(u)
	if o := origin(u); o != c.origin {
		return "", &HostMismatchError{Op: op, Want: c.origin, Got: o}
	}
	u.User = nil
	return u.String(), nil
}

// url builds base + escaped path segments.
func (c *conn) url(segments ...string) string {
	u := *c.base
	var b strings.Builder
	b.WriteString(u.EscapedPath())
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	p := b.String()
	u.RawPath = p
	u.Path, _ = url.PathUnescape(p)
	return u.String()
}

// call describes one request.
type call struct {
	op     string
	method string
	url    string // absolute; on c.origin
	body   []byte // nil = none
	header http.Header
	stream bool // dump/download: header timeout + idle body; else whole-request timeout
	ok     func(status int) bool
}

func is2xx(s int) bool { return s >= 200 && s < 300 }

// do sends cl and returns a response with an accepted status. The response
// body is wrapped: it enforces the idle-read timeout, reports bodies cut
// before Content-Length as ErrTruncated, and releases the request's context
// on Close, which the caller must call.
func (c *conn) do(ctx context.Context, cl call) (*http.Response, error) {
	if o := originOf(cl.url); o != c.origin {
		return nil, &HostMismatchError{Op: cl.op, Want: c.origin, Got: o}
	}
	if cl.ok == nil {
		cl.ok = is2xx
	}
	for attempt := 0; ; attempt++ {
		resp, req, err := c.send(ctx, cl)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 && c.auth != nil && c.auth.Unauthorized(req) {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
			resp.Body.Close()
			continue
		}
		if err := c.checkAffinity(resp); err != nil {
			resp.Body.Close()
			return nil, fmt.Errorf("kudu: %s: %w", cl.op, err)
		}
		if !cl.ok(resp.StatusCode) {
			return nil, newAPIError(cl.op, resp)
		}
		return resp, nil
	}
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return origin(u)
}

// send performs one attempt.
func (c *conn) send(parent context.Context, cl call) (*http.Response, *http.Request, error) {
	ctx, cancel := context.WithCancelCause(parent)
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, cl.url, body)
	if err != nil {
		cancel(nil)
		return nil, nil, fmt.Errorf("kudu: %s: %w", cl.op, err)
	}
	for k, v := range c.header {
		req.Header[k] = append([]string(nil), v...)
	}
	for k, v := range cl.header {
		req.Header[k] = append([]string(nil), v...)
	}
	req.Header.Set("User-Agent", c.userAgent)
	if cl.body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth != nil {
		if err := c.auth.Authorize(ctx, req); err != nil {
			cancel(nil)
			return nil, nil, fmt.Errorf("kudu: %s: %w", cl.op, err)
		}
	}
	var timer *time.Timer
	switch {
	case cl.stream && c.to.header > 0:
		timer = time.AfterFunc(c.to.header, func() { cancel(errHeaderTimer) })
	case !cl.stream && c.to.request > 0:
		timer = time.AfterFunc(c.to.request, func() { cancel(errRequestTimer) })
	}
	resp, err := c.hc.Do(req)
	if cl.stream && timer != nil && !timer.Stop() && err == nil {
		// The header timer fired as the headers arrived: the request's
		// context is already cancelled, so the body is unusable.
		resp.Body.Close()
		cancel(nil)
		return nil, nil, fmt.Errorf("kudu: %s: %w (%s)", cl.op, ErrFirstByteTimeout, c.to.header)
	}
	if err != nil {
		if timer != nil {
			timer.Stop()
		}
		cause := context.Cause(ctx)
		cancel(nil)
		switch {
		case errors.Is(cause, errHeaderTimer):
			return nil, nil, fmt.Errorf("kudu: %s: %w (%s)", cl.op, ErrFirstByteTimeout, c.to.header)
		case errors.Is(cause, errRequestTimer):
			return nil, nil, fmt.Errorf("kudu: %s: %w (%s)", cl.op, ErrRequestTimeout, c.to.request)
		}
		return nil, nil, fmt.Errorf("kudu: %s: %w", cl.op, err)
	}
	idle := time.Duration(0)
	if cl.stream {
		idle = c.to.idle
	}
	resp.Body = newBody(ctx, cancel, resp.Body, resp.ContentLength, idle, timer, cl.op)
	return resp, req, nil
}

// checkAffinity fails when a pinned request was answered by a different
// instance, as told by the ARRAffinity cookie the front end sets.
func (c *conn) checkAffinity(resp *http.Response) error {
	if c.instance == "" {
		return nil
	}
	for _, ck := range resp.Cookies() {
		if (ck.Name == "ARRAffinity" || ck.Name == "ARRAffinitySameSite") && ck.Value != "" &&
			!strings.EqualFold(ck.Value, c.instance) {
			return &WrongInstanceError{Want: c.instance, Got: ck.Value, Evidence: "Set-Cookie " + ck.Name}
		}
	}
	return nil
}

// getJSON GETs u and decodes the JSON answer into v.
func (c *conn) getJSON(ctx context.Context, op, u string, header http.Header, v any) error {
	resp, err := c.do(ctx, call{op: op, method: http.MethodGet, url: u, header: header})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decodeJSON(op, resp.Body, v)
}

// decodeJSON decodes one JSON value from r. Read failures keep their own
// (often transient) error; malformed JSON is a *DecodeError.
func decodeJSON(op string, r io.Reader, v any) error {
	lr := &readErrTracker{r: io.LimitReader(r, maxJSONBody)}
	if err := json.NewDecoder(lr).Decode(v); err != nil {
		if lr.err != nil {
			return lr.err
		}
		return &DecodeError{Op: op, Err: err}
	}
	return nil
}

// readErrTracker remembers the first non-EOF read error, to tell transport
// failures apart from malformed JSON.
type readErrTracker struct {
	r   io.Reader
	err error
}

func (t *readErrTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}
