package kudu

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/dumpflow/dumpflow/pkg/arm"
)

// ARM defaults.
const (
	// DefaultARMURL is the public-cloud Resource Manager endpoint.
	DefaultARMURL = "https://management.azure.com"
	// DefaultAPIVersion is the Microsoft.Web api-version used (docs/kudu.md).
	DefaultAPIVersion = "2024-11-01"
	// maxPages bounds nextLink paging.
	maxPages = 1000
)

// ARMConfig configures an ARM client.
type ARMConfig struct {
	// BaseURL of Resource Manager; "" means DefaultARMURL. Credentials and
	// nextLink requests go only to this scheme and host.
	BaseURL string
	// Auth signs requests, normally NewBearer(cred, ARMScope), whose
	// credential and scope then go to azcore's bearer token policy. Nil
	// sends no Authorization header (simulator).
	Auth Auth
	// APIVersion for Microsoft.Web; "" means DefaultAPIVersion.
	APIVersion string
	// SCMURLTemplate, when set, makes SCMURL return it with "{app}"
	// replaced by the site name (for a slot "{name}-{slot}", unless the
	// template also has "{slot}", which is then replaced by the slot), with
	// no ARM call. For tests and the simulator, e.g.
	// "http://127.0.0.1:8080/{app}".
	SCMURLTemplate string
	// Transport; nil means a clone of http.DefaultTransport.
	Transport http.RoundTripper
	// RequestTimeout per request; 0 means DefaultRequestTimeout, negative none.
	RequestTimeout time.Duration
	// UserAgent is azcore's application id in the User-Agent (at most 24
	// characters, no spaces); empty means "dumpflow-kudu".
	UserAgent string
	// Retry is azcore's retry policy for ARM calls (zero value: azcore's
	// defaults, which honour Retry-After).
	Retry policy.RetryOptions
}

// ARM reads what the Kudu client needs from Azure Resource Manager: a
// site's instances and its SCM host, through pkg/arm (azcore's pipeline).
// A failed answer is an *APIError wrapping the *azcore.ResponseError. It is
// safe for concurrent use.
type ARM struct {
	c          *arm.Client
	base       *url.URL
	apiVersion string
	template   string
}

// Instance is one instance of a site (WebSiteInstanceStatus).
type Instance struct {
	ID    string // instance id: the ARRAffinity value, WEBSITE_INSTANCE_ID
	State string // READY, STOPPED, UNKNOWN; "" when not reported
}

// NewARM returns an ARM client.
func NewARM(cfg ARMConfig) (*ARM, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultARMURL
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = DefaultAPIVersion
	}
	if t := cfg.SCMURLTemplate; t != "" {
		if !strings.Contains(t, "{app}") {
			return nil, errors.New(`kudu: ARMConfig.SCMURLTemplate has no "{app}"`)
		}
		if _, err := parseBaseURL("SCMURLTemplate", strings.NewReplacer("{app}", "app", "{slot}", "slot").Replace(t)); err != nil {
			return nil, err
		}
	}
	base, err := parseBaseURL("ARM BaseURL", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	rt := cfg.Transport
	if rt == nil {
		rt = http.DefaultTransport.(*http.Transport).Clone()
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "dumpflow-kudu"
	}
	o := arm.Options{
		BaseURL:       base.String(),
		HTTPClient:    &http.Client{Transport: rt, Timeout: normTimeout(cfg.RequestTimeout, DefaultRequestTimeout)},
		Retry:         cfg.Retry,
		ApplicationID: cfg.UserAgent,
	}
	switch a := cfg.Auth.(type) {
	case nil:
	case *Bearer:
		o.Credential, o.Scope = a.cred, a.ScopeFor(base.Host)
	default:
		o.Authorize = authPolicy{a}
	}
	c, err := arm.New(o)
	if err != nil {
		return nil, err
	}
	return &ARM{c: c, base: base, apiVersion: cfg.APIVersion, template: cfg.SCMURLTemplate}, nil
}

// authPolicy puts an Auth other than Bearer (a simulator's basic auth) on
// ARM requests.
type authPolicy struct{ a Auth }

func (p authPolicy) Do(req *policy.Request) (*http.Response, error) {
	if err := p.a.Authorize(req.Raw().Context(), req.Raw()); err != nil {
		return nil, err
	}
	return req.Next()
}

// armError turns a pkg/arm error into this package's kinds: an *APIError
// for a failed answer, a *HostMismatchError, a *DecodeError.
func (a *ARM) armError(op, u string, err error) error {
	var re *azcore.ResponseError
	var fe *arm.ForeignHostError
	switch {
	case errors.As(err, &re):
		code, msg := arm.Describe(re)
		return &APIError{Op: op, Method: http.MethodGet, URL: u, StatusCode: re.StatusCode, Code: code, Message: msg, Err: re}
	case errors.As(err, &fe):
		return &HostMismatchError{Op: op, Want: origin(a.base), Got: strings.ToLower(fe.Origin)}
	case errors.Is(err, arm.ErrInvalidJSON):
		return &DecodeError{Op: op, Err: err}
	}
	return fmt.Errorf("kudu: %s: %w", op, err)
}

// SiteID is a parsed Microsoft.Web site or slot resource id.
type SiteID struct {
	Subscription, ResourceGroup, Name, Slot string
}

// ParseSiteID parses "/subscriptions/{sub}/resourceGroups/{rg}/providers/
// Microsoft.Web/sites/{app}[/slots/{slot}]" (case-insensitive keywords).
func ParseSiteID(id string) (SiteID, error) {
	bad := func(why string) (SiteID, error) {
		return SiteID{}, fmt.Errorf("kudu: bad site resource id %q: %s", id, why)
	}
	parts := strings.Split(strings.Trim(id, "/"), "/")
	if len(parts) != 8 && len(parts) != 10 {
		return bad("want /subscriptions/…/resourceGroups/…/providers/Microsoft.Web/sites/{app}[/slots/{slot}]")
	}
	keys := []string{"subscriptions", "", "resourcegroups", "", "providers", "microsoft.web", "sites", "", "slots", ""}
	for i, p := range parts {
		if keys[i] != "" && !strings.EqualFold(p, keys[i]) {
			return bad("unexpected segment " + p)
		}
		if p == "" || strings.ContainsAny(p, "?#%\\") || p == "." || p == ".." {
			return bad("empty or invalid segment")
		}
	}
	s := SiteID{Subscription: parts[1], ResourceGroup: parts[3], Name: parts[7]}
	if len(parts) == 10 {
		s.Slot = parts[9]
	}
	return s, nil
}

// String returns the canonical resource id.
func (s SiteID) String() string {
	id := "/subscriptions/" + s.Subscription + "/resourceGroups/" + s.ResourceGroup +
		"/providers/Microsoft.Web/sites/" + s.Name
	if s.Slot != "" {
		id += "/slots/" + s.Slot
	}
	return id
}

func (a *ARM) resourceURL(s SiteID, more ...string) string {
	seg := []string{"subscriptions", s.Subscription, "resourceGroups", s.ResourceGroup, "providers", "Microsoft.Web", "sites", s.Name}
	if s.Slot != "" {
		seg = append(seg, "slots", s.Slot)
	}
	for i, v := range seg {
		seg[i] = url.PathEscape(v)
	}
	for _, v := range more {
		seg = append(seg, url.PathEscape(v))
	}
	return a.c.URL("/"+strings.Join(seg, "/"), url.Values{"api-version": {a.apiVersion}})
}

// ListInstances lists a site's instances (GET {site}/instances), following
// nextLink only on the configured ARM host (else ErrHostMismatch).
func (a *ARM) ListInstances(ctx context.Context, siteResourceID string) ([]Instance, error) {
	s, err := ParseSiteID(siteResourceID)
	if err != nil {
		return nil, err
	}
	op := "list instances of " + s.String()
	first := a.resourceURL(s, "instances")
	type instance struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		Properties struct {
			State string `json:"state"`
		} `json:"properties"`
	}
	var out []Instance
	err = arm.List(ctx, a.c, first, maxPages, func(v instance) error {
		id := v.Name
		if id == "" {
			id = v.ID[strings.LastIndexByte(v.ID, '/')+1:]
		}
		if id == "" {
			return &DecodeError{Op: op, Err: errors.New("instance without a name")}
		}
		out = append(out, Instance{ID: id, State: v.Properties.State})
		return nil
	})
	var de *DecodeError
	if errors.As(err, &de) {
		return nil, err
	}
	if err != nil {
		return nil, a.armError(op, first, err)
	}
	return out, nil
}

// SCMURL returns the SCM base URL of a site: from SCMURLTemplate when
// configured, else "https://" + the hostNameSslStates entry with hostType
// "Repository" of the site resource (never built from a naming pattern).
func (a *ARM) SCMURL(ctx context.Context, siteResourceID string) (string, error) {
	s, err := ParseSiteID(siteResourceID)
	if err != nil {
		return "", err
	}
	if a.template != "" {
		t, name := a.template, s.Name
		if s.Slot != "" && !strings.Contains(t, "{slot}") {
			name += "-" + s.Slot
		}
		return strings.NewReplacer("{app}", url.PathEscape(name), "{slot}", url.PathEscape(s.Slot)).Replace(t), nil
	}
	op := "get site " + s.String()
	var site struct {
		Properties struct {
			HostNameSslStates []struct {
				Name     string `json:"name"`
				HostType string `json:"hostType"`
			} `json:"hostNameSslStates"`
		} `json:"properties"`
	}
	u := a.resourceURL(s)
	if err := a.c.Get(ctx, u, &site); err != nil {
		return "", a.armError(op, u, err)
	}
	for _, h := range site.Properties.HostNameSslStates {
		if strings.EqualFold(h.HostType, "Repository") && h.Name != "" {
			scm := "https://" + strings.TrimSuffix(h.Name, ".")
			if _, err := parseBaseURL("SCM host", scm); err != nil {
				return "", &DecodeError{Op: op, Err: err}
			}
			return scm, nil
		}
	}
	return "", &DecodeError{Op: op, Err: errors.New(`no hostNameSslStates entry with hostType "Repository"`)}
}
