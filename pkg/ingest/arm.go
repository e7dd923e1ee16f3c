package ingest

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/dumpflow/dumpflow/pkg/arm"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// ARM API versions used by ARMDirectory.
const (
	webAPIVersion       = "2023-12-01"
	resourcesAPIVersion = "2021-04-01"
	armScope            = arm.DefaultScope
	maxARMPages         = 100
)

// ARMDirectory is the SiteDirectory backed by Azure Resource Manager,
// called through pkg/arm (azcore's pipeline, with its retry policy). The
// bearer token goes only to BaseURL's host: nextLink URLs on any other
// host are refused.
type ARMDirectory struct {
	// BaseURL is ARM's endpoint (default https://management.azure.com).
	BaseURL string
	// Credential gets ARM tokens (azidentity in production). Nil sends no
	// Authorization header (test doubles and simulators only).
	Credential azcore.TokenCredential
	// Client is the HTTP client (default: one with a 30 s timeout).
	Client *http.Client

	arm arm.Lazy
}

var _ SiteDirectory = (*ARMDirectory)(nil)

// ARMError is a failed ARM call: the operation and, in one line, ARM's
// answer (see arm.Error).
type ARMError = arm.Error

// ErrForeignHost is wrapped when ARM answers with a nextLink on another
// host than BaseURL's.
var ErrForeignHost = arm.ErrForeignHost

func (d *ARMDirectory) client() (*arm.Client, error) {
	return d.arm.Client(arm.Options{BaseURL: d.BaseURL, Credential: d.Credential, HTTPClient: d.Client})
}

// SitesInPlan lists the apps of an App Service plan.
func (d *ARMDirectory) SitesInPlan(ctx context.Context, planID string) ([]messages.Site, error) {
	return d.list(ctx, "list apps in plan", arm.EscapeID(planID)+"/sites", url.Values{"api-version": {webAPIVersion}}, nil)
}

// SitesInGroup lists the apps of a resource group.
func (d *ARMDirectory) SitesInGroup(ctx context.Context, sub, rg string) ([]messages.Site, error) {
	p := "/subscriptions/" + url.PathEscape(sub) + "/resourceGroups/" + url.PathEscape(rg) + "/providers/Microsoft.Web/sites"
	return d.list(ctx, "list apps in resource group", p, url.Values{"api-version": {webAPIVersion}}, nil)
}

// SitesByTag lists the apps of a subscription carrying every tag given.
func (d *ARMDirectory) SitesByTag(ctx context.Context, sub string, tags map[string]string) ([]messages.Site, error) {
	q := url.Values{"api-version": {resourcesAPIVersion}, "$filter": {"resourceType eq 'Microsoft.Web/sites'"}}
	return d.list(ctx, "list tagged apps", "/subscriptions/"+url.PathEscape(sub)+"/resources", q, tags)
}

type armResource struct {
	ID   string            `json:"id"`
	Type string            `json:"type"`
	Tags map[string]string `json:"tags"`
}

func (d *ARMDirectory) list(ctx context.Context, op, path string, q url.Values, tags map[string]string) ([]messages.Site, error) {
	c, err := d.client()
	if err != nil {
		return nil, err
	}
	var out []messages.Site
	err = arm.List(ctx, c, c.URL(path, q), maxARMPages, func(v armResource) error {
		if !tagsMatch(v.Tags, tags) {
			return nil
		}
		id, err := ParseResourceID(v.ID)
		if err != nil || id.Kind != KindSite {
			return nil // not an app (ARM lists only apps here; be safe)
		}
		if s, err := id.Site(); err == nil {
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return nil, arm.Wrap(op, err)
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
