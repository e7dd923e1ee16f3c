package ingest

import (
	"context"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// SiteDirectory finds the App Service apps behind a plan, a resource group
// or a tag selector (through ARM in production; ARM here, a test double in
// tests). Implementations are safe for concurrent use. Slots are not
// expanded: name a slot explicitly to capture it.
type SiteDirectory interface {
	// SitesInPlan lists the apps hosted on the App Service plan planID.
	SitesInPlan(ctx context.Context, planID string) ([]messages.Site, error)
	// SitesInGroup lists the apps in resource group rg of subscription sub.
	SitesInGroup(ctx context.Context, sub, rg string) ([]messages.Site, error)
	// SitesByTag lists the apps in subscription sub that carry every tag
	// in tags.
	SitesByTag(ctx context.Context, sub string, tags map[string]string) ([]messages.Site, error)
}
