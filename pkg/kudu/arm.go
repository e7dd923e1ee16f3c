package kudu

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
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
	// Auth signs requests, normally NewBearer(cred, ARMScope). Nil sends no
	// Authorization header (simulator).
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
	// UserAgent; empty means "dumpflow-kudu".
	UserAgent string
}

// ARM reads what the Kudu client needs from Azure Resource Manager: a
// site's instances and its SCM host. It is safe for concurrent use.
type ARM struct {
	c          *conn
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
	to := timeouts{request: normTimeout(cfg.RequestTimeout, DefaultRequestTimeout)}
	c, err := newConn("ARM BaseURL", cfg.BaseURL, cfg.Auth, cfg.Transport, to, cfg.UserAgent)
	if err != nil {
		return nil, err
	}
	return &ARM{c: c, apiVersion: cfg.APIVersion, template: cfg.SCMURLTemplate}, nil
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
	return a.c.url(append(seg, more...)...) + "?" + url.Values{"api-version": {a.apiVersion}}.Encode()
}

// ListInstances lists a site's instances (GET {site}/instances), following
// nextLink only on the configured ARM host (else ErrHostMismatch).
func (a *ARM) ListInstances(ctx context.Context, siteResourceID string) ([]Instance, error) {
	s, err := ParseSiteID(siteResourceID)
	if err != nil {
		return nil, err
	}
	op := "list instances of " + s.String()
	next := a.resourceURL(s, "instances")
	var out []Instance
	for page := 0; next != ""; page++ {
		if page >= maxPages {
			return nil, fmt.Errorf("kudu: %s: more than %d pages", op, maxPages)
		}
		var body struct {
			Value []struct {
				ID         string `json:"id"`
				Name       string `json:"name"`
				Properties struct {
					State string `json:"state"`
				} `json:"properties"`
			} `json:"value"`
			NextLink string `json:"nextLink"`
		}
		if err := a.c.getJSON(ctx, op, next, nil, &body); err != nil {
			return nil, err
		}
		for _, v := range body.Value {
			id := v.Name
			if id == "" {
				id = v.ID[strings.LastIndexByte(v.ID, '/')+1:]
			}
			if id == "" {
				return nil, &DecodeError{Op: op, Err: errors.New("instance without a name")}
			}
			out = append(out, Instance{ID: id, State: v.Properties.State})
		}
		next = ""
		if body.NextLink != "" {
			if next, err = a.c.resolve(op+" (nextLink)", body.NextLink); err != nil {
				return nil, err
			}
		}
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
	if err := a.c.getJSON(ctx, op, a.resourceURL(s), nil, &site); err != nil {
		return "", err
	}
	for _, h := range site.Properties.HostNameSslStates {
		if strings.EqualFold(h.HostType, "Repository") && h.Name != "" {
			u := "https://" + strings.TrimSuffix(h.Name, ".")
			if _, err := parseBaseURL("SCM host", u); err != nil {
				return "", &DecodeError{Op: op, Err: err}
			}
			return u, nil
		}
	}
	return "", &DecodeError{Op: op, Err: errors.New(`no hostNameSslStates entry with hostType "Repository"`)}
}
