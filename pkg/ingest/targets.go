package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/policy"
)

// OutsideAllowlistError reports a target outside the configured
// subscriptions and resource groups.
type OutsideAllowlistError struct {
	ResourceID    string
	Subscription  string
	ResourceGroup string
}

func (e *OutsideAllowlistError) Error() string {
	return fmt.Sprintf("target %s is outside the allowlist (subscription %s, resource group %s)", e.ResourceID, e.Subscription, e.ResourceGroup)
}

var (
	// ErrNoDirectory is wrapped when a plan, resource group or tag target
	// needs a SiteDirectory and none is configured.
	ErrNoDirectory = errors.New("ingest: no site directory configured to expand plans, resource groups or tags")
	// ErrTooManySites is wrapped when targets expand to more apps than
	// Config.MaxSites.
	ErrTooManySites = errors.New("ingest: too many apps")
	// ErrNoSites is wrapped when targets name no App Service app.
	ErrNoSites = errors.New("ingest: no App Service app among the targets")
)

// Resolution is the outcome of resolving targets to apps.
type Resolution struct {
	Sites []messages.Site
	// Via says, per resolved app (by index), how it was found: "app",
	// "plan …", "resource group …" or "tags …".
	Via []string
	// Ignored lists ids that are not apps, plans or resource groups, with
	// the reason.
	Ignored []string
}

// resolver turns ids and Targets into apps, checking the allowlist.
type resolver struct {
	dir      SiteDirectory
	allow    policy.Allowlist
	maxSites int
}

// resolve expands t (plans, groups and tags through the directory) and
// ids (the alert's resource ids) into a duplicate-free list of apps. Any
// target outside the allowlist fails the whole resolution with
// *OutsideAllowlistError.
func (r *resolver) resolve(ctx context.Context, ids []string, t policy.Targets) (*Resolution, error) {
	res := &Resolution{}
	seen := map[string]bool{}
	add := func(s messages.Site, via string) error {
		if !r.allow.Permits(s.SubscriptionID, s.ResourceGroup) {
			return &OutsideAllowlistError{ResourceID: s.ResourceID, Subscription: s.SubscriptionID, ResourceGroup: s.ResourceGroup}
		}
		k := strings.ToLower(s.ResourceID)
		if seen[k] {
			return nil
		}
		if r.maxSites > 0 && len(res.Sites) >= r.maxSites {
			return fmt.Errorf("%w: targets expand to more than %d apps", ErrTooManySites, r.maxSites)
		}
		seen[k] = true
		res.Sites = append(res.Sites, s)
		res.Via = append(res.Via, via)
		return nil
	}
	expand := func(via string, list func() ([]messages.Site, error)) error {
		if r.dir == nil {
			return fmt.Errorf("%w (%s)", ErrNoDirectory, via)
		}
		sites, err := list()
		if err != nil {
			return fmt.Errorf("ingest: expand %s: %w", via, err)
		}
		for _, s := range sites {
			if err := add(s, via); err != nil {
				return err
			}
		}
		return nil
	}
	all := append(append(append([]string(nil), ids...), t.Apps...), t.Plans...)
	all = append(all, t.ResourceGroups...)
	for _, raw := range all {
		id, err := ParseResourceID(raw)
		if err != nil {
			res.Ignored = append(res.Ignored, err.Error())
			continue
		}
		if id.Kind != KindOther && !r.allow.Permits(id.Subscription, id.ResourceGroup) {
			return nil, &OutsideAllowlistError{ResourceID: raw, Subscription: id.Subscription, ResourceGroup: id.ResourceGroup}
		}
		switch id.Kind {
		case KindSite:
			s, err := id.Site()
			if err != nil {
				res.Ignored = append(res.Ignored, err.Error())
				continue
			}
			if err := add(s, "app"); err != nil {
				return nil, err
			}
		case KindPlan:
			if err := expand("plan "+raw, func() ([]messages.Site, error) { return r.dir.SitesInPlan(ctx, raw) }); err != nil {
				return nil, err
			}
		case KindResourceGroup:
			if err := expand("resource group "+raw, func() ([]messages.Site, error) {
				return r.dir.SitesInGroup(ctx, id.Subscription, id.ResourceGroup)
			}); err != nil {
				return nil, err
			}
		default:
			res.Ignored = append(res.Ignored, fmt.Sprintf("%s is a %s/%s, not an App Service app, plan or resource group", raw, id.Provider, id.Type))
		}
	}
	if len(t.Tags) > 0 {
		subs := t.TagSubscriptions
		if len(subs) == 0 {
			subs = r.allow.Subscriptions
		}
		if len(subs) == 0 {
			return nil, errors.New("ingest: a tag selector needs tag_subscriptions or allowlisted subscriptions")
		}
		for _, sub := range subs {
			via := fmt.Sprintf("tags %v in subscription %s", t.Tags, sub)
			if err := expand(via, func() ([]messages.Site, error) { return r.dir.SitesByTag(ctx, sub, t.Tags) }); err != nil {
				return nil, err
			}
		}
	}
	if len(res.Sites) == 0 {
		msg := "the targets name no app"
		if len(res.Ignored) > 0 {
			msg = strings.Join(res.Ignored, "; ")
		}
		return res, fmt.Errorf("%w: %s", ErrNoSites, msg)
	}
	return res, nil
}
