package autoheal

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// SiteConfigAPIVersion is the Microsoft.Web api-version used to read
// config/web (docs/autoheal.md).
const SiteConfigAPIVersion = "2024-11-01"

// SiteConfigReader reads a site's config/web resource from Resource
// Manager, where siteConfig.autoHealRules lives.
type SiteConfigReader struct {
	// BaseURL of Resource Manager, e.g. https://management.azure.com.
	BaseURL string
	// Credential signs the request (ARM audience); nil sends none (tests,
	// simulators).
	Credential azcore.TokenCredential
	// Client carries the request; nil means http.DefaultClient.
	Client *http.Client
}

// Read returns the config/web JSON of the site (or slot) siteID.
func (r *SiteConfigReader) Read(ctx context.Context, siteID string) ([]byte, error) {
	if !strings.HasPrefix(siteID, "/subscriptions/") || !strings.Contains(strings.ToLower(siteID), "/providers/microsoft.web/sites/") {
		return nil, fmt.Errorf("autoheal: %q is not a Microsoft.Web/sites resource id", siteID)
	}
	base, err := url.Parse(strings.TrimSuffix(r.BaseURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("autoheal: bad ARM URL %q", r.BaseURL)
	}
	u := base.JoinPath(siteID, "config", "web")
	u.RawQuery = url.Values{"api-version": {SiteConfigAPIVersion}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	if r.Credential != nil {
		tok, err := r.Credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
		if err != nil {
			return nil, fmt.Errorf("autoheal: ARM token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok.Token)
	}
	cl := r.Client
	if cl == nil {
		cl = http.DefaultClient
	}
	// Never follow a redirect: the token must reach the configured host only.
	noRedirect := *cl
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirect.Do(req)
	if err != nil {
		return nil, fmt.Errorf("autoheal: read config/web of %s: %w", siteID, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("autoheal: read config/web of %s: %w", siteID, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("autoheal: config/web of %s: HTTP %d: %.300s", siteID, resp.StatusCode, body)
	}
	return body, nil
}
