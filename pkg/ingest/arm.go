package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// ARM API versions used by ARMDirectory.
const (
	webAPIVersion       = "2023-12-01"
	resourcesAPIVersion = "2021-04-01"
	armScope            = "https://management.azure.com/.default"
	maxARMPages         = 100
	maxARMPage          = 16 << 20
)

// ARMDirectory is the SiteDirectory backed by Azure Resource Manager.
// The bearer token goes only to BaseURL's host: nextLink URLs on any other
// host are refused.
type ARMDirectory struct {
	// BaseURL is ARM's endpoint (default https://management.azure.com).
	BaseURL string
	// Credential gets ARM tokens (azidentity in production). Nil sends no
	// Authorization header (test doubles and simulators only).
	Credential azcore.TokenCredential
	// Client is the HTTP client (default: one with a 30 s timeout).
	Client *http.Client
}

var _ SiteDirectory = (*ARMDirectory)(nil)

// ARMError is a failed ARM call.
type ARMError struct {
	Op         string
	StatusCode int
	Msg        string
}

func (e *ARMError) Error() string {
	return fmt.Sprintf("arm: %s: HTTP %d: %s", e.Op, e.StatusCode, e.Msg)
}

// ErrForeignHost is wrapped when ARM answers with a nextLink on another
// host than BaseURL's.
var ErrForeignHost = errors.New("arm: link to a host other than the configured ARM endpoint")

func (d *ARMDirectory) base() string {
	if d.BaseURL == "" {
		return "https://management.azure.com"
	}
	return strings.TrimSuffix(d.BaseURL, "/")
}

// SitesInPlan lists the apps of an App Service plan.
func (d *ARMDirectory) SitesInPlan(ctx context.Context, planID string) ([]messages.Site, error) {
	return d.list(ctx, "list apps in plan", d.base()+escapePath(planID)+"/sites?api-version="+webAPIVersion, nil)
}

// SitesInGroup lists the apps of a resource group.
func (d *ARMDirectory) SitesInGroup(ctx context.Context, sub, rg string) ([]messages.Site, error) {
	u := d.base() + "/subscriptions/" + url.PathEscape(sub) + "/resourceGroups/" + url.PathEscape(rg) +
		"/providers/Microsoft.Web/sites?api-version=" + webAPIVersion
	return d.list(ctx, "list apps in resource group", u, nil)
}

// SitesByTag lists the apps of a subscription carrying every tag given.
func (d *ARMDirectory) SitesByTag(ctx context.Context, sub string, tags map[string]string) ([]messages.Site, error) {
	q := url.Values{"api-version": {resourcesAPIVersion}, "$filter": {"resourceType eq 'Microsoft.Web/sites'"}}
	u := d.base() + "/subscriptions/" + url.PathEscape(sub) + "/resources?" + q.Encode()
	return d.list(ctx, "list tagged apps", u, tags)
}

type armPage struct {
	Value []struct {
		ID   string            `json:"id"`
		Type string            `json:"type"`
		Tags map[string]string `json:"tags"`
	} `json:"value"`
	NextLink string `json:"nextLink"`
}

func (d *ARMDirectory) list(ctx context.Context, op, u string, tags map[string]string) ([]messages.Site, error) {
	baseURL, err := url.Parse(d.base())
	if err != nil {
		return nil, fmt.Errorf("arm: base URL: %w", err)
	}
	var out []messages.Site
	for page := 0; u != ""; page++ {
		if page >= maxARMPages {
			return nil, &ARMError{Op: op, Msg: fmt.Sprintf("more than %d pages", maxARMPages)}
		}
		next, err := url.Parse(u)
		if err != nil || next.Scheme != baseURL.Scheme || !strings.EqualFold(next.Host, baseURL.Host) {
			return nil, fmt.Errorf("%w: %s", ErrForeignHost, op)
		}
		var p armPage
		if err := d.get(ctx, op, next.String(), &p); err != nil {
			return nil, err
		}
		for _, v := range p.Value {
			if !tagsMatch(v.Tags, tags) {
				continue
			}
			id, err := ParseResourceID(v.ID)
			if err != nil || id.Kind != KindSite {
				continue // not an app (ARM lists only apps here; be safe)
			}
			s, err := id.Site()
			if err != nil {
				continue
			}
			out = append(out, s)
		}
		u = p.NextLink
	}
	return out, nil
}

func tagsMatch(have, want map[string]string) bool {
	for k, v := range want {
		found := false
		for hk, hv := range have {
			if strings.EqualFold(hk, k) && hv == v {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (d *ARMDirectory) get(ctx context.Context, op, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("arm: %s: %w", op, err)
	}
	if d.Credential != nil {
		tok, err := d.Credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{armScope}})
		if err != nil {
			return fmt.Errorf("arm: %s: get token: %w", op, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok.Token)
	}
	req.Header.Set("Accept", "application/json")
	client := d.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("arm: %s: %w", op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxARMPage))
	if err != nil {
		return fmt.Errorf("arm: %s: read: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		msg := strings.TrimSpace(string(body))
		if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
			msg = e.Error.Code + ": " + e.Error.Message
		}
		if len(msg) > 300 {
			msg = msg[:300]
		}
		return &ARMError{Op: op, StatusCode: resp.StatusCode, Msg: msg}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &ARMError{Op: op, StatusCode: resp.StatusCode, Msg: "invalid JSON: " + err.Error()}
	}
	return nil
}

// escapePath escapes each segment of an ARM id for use in a URL path.
func escapePath(id string) string {
	parts := strings.Split(id, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
