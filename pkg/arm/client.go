// Package arm is dumpflow's one way to call Azure Resource Manager: a GET
// of JSON on azcore's runtime pipeline (bearer token policy, azcore's retry
// policy honouring Retry-After, azcore's *azcore.ResponseError for a failed
// answer) with one credential-host rule: requests, and so tokens, go only
// to the configured ARM scheme and host, and nextLink is followed only on
// it.
package arm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Defaults of Options.
const (
	DefaultURL     = "https://management.azure.com"
	DefaultScope   = "https://management.azure.com/.default"
	DefaultTimeout = 30 * time.Second
)

// ErrForeignHost is wrapped when a request, a redirect or a nextLink would
// go to another scheme or host than the configured ARM endpoint.
var ErrForeignHost = errors.New("arm: link to a host other than the configured ARM endpoint")

// ErrInvalidJSON is wrapped when a 200 answer is not the JSON expected.
var ErrInvalidJSON = errors.New("arm: invalid JSON answer")

// Options configures a Client. The zero value talks to DefaultURL without
// credentials.
type Options struct {
	// BaseURL of Resource Manager; "" means DefaultURL.
	BaseURL string
	// Credential gets ARM tokens for Scope; nil sends no Authorization
	// header (test doubles and simulators only). Over plain http (a
	// simulator) the token is sent too, still only to BaseURL's host.
	Credential azcore.TokenCredential
	// Scope of the tokens; "" means DefaultScope.
	Scope string
	// HTTPClient sends the requests; nil means one with DefaultTimeout. Its
	// redirects are limited to BaseURL's scheme and host.
	HTTPClient *http.Client
	// Retry is azcore's retry policy (its zero value: 3 retries of 408,
	// 429 and 5xx, honouring Retry-After); MaxRetries -1 disables retries
	// for callers that own their retry loop.
	Retry policy.RetryOptions
	// Authorize, when Credential is nil, is a policy that authorizes each
	// request otherwise (a simulator's basic auth); it runs after the host
	// check, so it sees only requests to BaseURL's host.
	Authorize policy.Policy
	// ApplicationID goes into the User-Agent (azcore's rule: at most 24
	// characters, no spaces); "" means "dumpflow".
	ApplicationID string
}

// Client calls ARM. It is safe for concurrent use.
type Client struct {
	base *url.URL
	pl   runtime.Pipeline
}

// New returns a Client.
func New(o Options) (*Client, error) {
	if o.BaseURL == "" {
		o.BaseURL = DefaultURL
	}
	base, err := url.Parse(strings.TrimSuffix(o.BaseURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || base.User != nil {
		return nil, fmt.Errorf("arm: base URL %q is not an http(s) URL without credentials", o.BaseURL)
	}
	if o.Scope == "" {
		o.Scope = DefaultScope
	}
	hc := &http.Client{Timeout: DefaultTimeout}
	if o.HTTPClient != nil {
		c := *o.HTTPClient
		hc = &c
	}
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !sameOrigin(base, req.URL) {
			return foreignHost("redirect to", req.URL)
		}
		if len(via) >= 10 {
			return errors.New("arm: stopped after 10 redirects")
		}
		return nil
	}
	var plo runtime.PipelineOptions
	// The host guard runs before the bearer policy, so a token is never
	// even fetched for a request to another host.
	plo.PerRetry = append(plo.PerRetry, hostGuard{base})
	if o.Credential != nil {
		plo.PerRetry = append(plo.PerRetry, runtime.NewBearerTokenPolicy(o.Credential, []string{o.Scope},
			&policy.BearerTokenOptions{InsecureAllowCredentialWithHTTP: base.Scheme == "http"}))
	} else if o.Authorize != nil {
		plo.PerRetry = append(plo.PerRetry, o.Authorize)
	}
	if o.ApplicationID == "" {
		o.ApplicationID = "dumpflow"
	}
	pl := runtime.NewPipeline("dumpflow-arm", "v1", plo, &policy.ClientOptions{
		Transport: hc,
		Retry:     o.Retry,
		Telemetry: policy.TelemetryOptions{ApplicationID: o.ApplicationID},
	})
	return &Client{base: base, pl: pl}, nil
}

// URL returns the base URL followed by path (already escaped, starting
// with "/") and the query.
func (c *Client) URL(path string, q url.Values) string {
	u := c.base.String() + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// Get GETs u (on the configured host) and decodes its JSON into v. A
// non-200 answer is an *azcore.ResponseError (with its StatusCode and ARM
// ErrorCode); a URL on another host wraps ErrForeignHost.
func (c *Client) Get(ctx context.Context, u string, v any) error {
	req, err := runtime.NewRequest(ctx, http.MethodGet, u)
	if err != nil {
		return fmt.Errorf("arm: %w", err)
	}
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := c.pl.Do(req)
	if err != nil {
		return err
	}
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return runtime.NewResponseError(resp)
	}
	if err := runtime.UnmarshalAsJSON(resp, v); err != nil {
		return fmt.Errorf("%w: GET %s: %w", ErrInvalidJSON, u, err)
	}
	return nil
}

// resolveNext returns nextLink as an absolute URL when it is on the
// configured scheme and host, else an error wrapping ErrForeignHost.
func (c *Client) resolveNext(link string) (string, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", fmt.Errorf("arm: bad nextLink %q: %w", link, err)
	}
	u = c.base.ResolveReference(u)
	if !sameOrigin(c.base, u) {
		return "", foreignHost("nextLink to", u)
	}
	u.User = nil
	return u.String(), nil
}

func sameOrigin(base, u *url.URL) bool {
	return u.Scheme == base.Scheme && strings.EqualFold(u.Host, base.Host)
}

// hostGuard refuses every request that is not on the configured origin.
type hostGuard struct{ base *url.URL }

func (g hostGuard) Do(req *policy.Request) (*http.Response, error) {
	if u := req.Raw().URL; !sameOrigin(g.base, u) {
		return nil, foreignHost("request to", u)
	}
	return req.Next()
}

// ForeignHostError is a request, redirect or nextLink refused because it
// would leave the configured origin. It matches ErrForeignHost, and
// azcore's retry policy does not retry it (NonRetriable).
type ForeignHostError struct {
	What   string // "request to", "redirect to", "nextLink to"
	Origin string // scheme://host refused
}

func foreignHost(what string, u *url.URL) error {
	return &ForeignHostError{what, u.Scheme + "://" + u.Host}
}

func (e *ForeignHostError) Error() string {
	return ErrForeignHost.Error() + ": " + e.What + " " + e.Origin
}
func (e *ForeignHostError) Unwrap() error { return ErrForeignHost }

// NonRetriable tells azcore's retry policy not to retry.
func (e *ForeignHostError) NonRetriable() {}

// EscapeID escapes each segment of a resource id ("/subscriptions/…") for
// a URL path given to URL.
func EscapeID(id string) string {
	parts := strings.Split(id, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// Lazy makes a Client at its first use, for a type configured through its
// exported fields before that. The zero value is ready; it is safe for
// concurrent use.
type Lazy struct {
	once sync.Once
	c    *Client
	err  error
}

// Client returns the Client (or the error) New(o) gave at the first call;
// o is not read again after it.
func (l *Lazy) Client(o Options) (*Client, error) {
	l.once.Do(func() { l.c, l.err = New(o) })
	return l.c, l.err
}
