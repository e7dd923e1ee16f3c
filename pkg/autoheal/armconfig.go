package autoheal

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/dumpflow/dumpflow/pkg/arm"
)

// SiteConfigAPIVersion is the Microsoft.Web api-version used to read
// config/web (docs/autoheal.md).
const SiteConfigAPIVersion = "2024-11-01"

// SiteConfigReader reads a site's config/web resource from Resource
// Manager, where siteConfig.autoHealRules lives. It calls ARM through
// pkg/arm (azcore's pipeline and retry policy; the token goes only to
// BaseURL's host, redirects elsewhere are refused).
type SiteConfigReader struct {
	// BaseURL of Resource Manager; "" means arm.DefaultURL.
	BaseURL string
	// Credential signs the request (ARM audience); nil sends none (tests,
	// simulators).
	Credential azcore.TokenCredential
	// Client carries the request; nil means one with arm.DefaultTimeout.
	Client *http.Client

	arm arm.Lazy
}

// ARMError is a failed read of config/web: the operation and, in one
// line, ARM's answer (see arm.Error).
type ARMError = arm.Error

// Read returns the config/web JSON of the site (or slot) siteID. A failed
// answer is an *ARMError wrapping the *azcore.ResponseError.
func (r *SiteConfigReader) Read(ctx context.Context, siteID string) ([]byte, error) {
	if !strings.HasPrefix(siteID, "/subscriptions/") || !strings.Contains(strings.ToLower(siteID), "/providers/microsoft.web/sites/") {
		return nil, fmt.Errorf("autoheal: %q is not a Microsoft.Web/sites resource id", siteID)
	}
	c, err := r.arm.Client(arm.Options{BaseURL: r.BaseURL, Credential: r.Credential, HTTPClient: r.Client})
	if err != nil {
		return nil, fmt.Errorf("autoheal: %w", err)
	}
	var body json.RawMessage
	err = c.Get(ctx, c.URL(arm.EscapeID(siteID)+"/config/web", url.Values{"api-version": {SiteConfigAPIVersion}}), &body)
	if err != nil {
		return nil, arm.Wrap("read config/web of "+siteID, err)
	}
	return body, nil
}
