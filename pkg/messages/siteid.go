package messages

import (
	"fmt"
	"strings"
)

// siteIDParts splits a Microsoft.Web/sites resource id,
// /subscriptions/S/resourceGroups/R/providers/Microsoft.Web/sites/A[/slots/N]
// (keywords compared case-insensitively, as ARM does; one trailing '/'
// tolerated), into its subscription, resource group, app and slot.
func siteIDParts(id string) (sub, rg, app, slot string, ok bool) {
	p := strings.Split(strings.TrimSuffix(id, "/"), "/")
	if len(p) != 9 && len(p) != 11 {
		return "", "", "", "", false
	}
	if p[0] != "" || !strings.EqualFold(p[1], "subscriptions") || !strings.EqualFold(p[3], "resourceGroups") ||
		!strings.EqualFold(p[5], "providers") || !strings.EqualFold(p[6], "Microsoft.Web") || !strings.EqualFold(p[7], "sites") {
		return "", "", "", "", false
	}
	if len(p) == 11 {
		if !strings.EqualFold(p[9], "slots") || p[10] == "" {
			return "", "", "", "", false
		}
		slot = p[10]
	}
	if p[2] == "" || p[4] == "" || p[8] == "" {
		return "", "", "", "", false
	}
	return p[2], p[4], p[8], slot, true
}

// checkSiteAgrees reports a *FieldError when the site's subscription,
// resource group, name or slot disagree with its resource id. Every key the
// services derive from a site (job id, blob keys, per-site lock and kill
// budget) uses the name; checking it against the id means a message cannot
// name one app's resource id under another app's name and so escape that
// app's kill budget or lock (issue 22, point 3).
func (s Site) checkAgrees() error {
	sub, rg, app, slot, ok := siteIDParts(s.ResourceID)
	if !ok {
		return &FieldError{"resource_id", fmt.Sprintf("%q is not a Microsoft.Web/sites resource id (/subscriptions/S/resourceGroups/R/providers/Microsoft.Web/sites/APP[/slots/SLOT])", s.ResourceID)}
	}
	for _, c := range []struct{ field, got, want string }{
		{"subscription_id", s.SubscriptionID, sub},
		{"resource_group", s.ResourceGroup, rg},
		{"name", s.Name, app},
		{"slot", s.Slot, slot},
	} {
		if !strings.EqualFold(c.got, c.want) {
			return &FieldError{c.field, fmt.Sprintf("%q disagrees with resource_id %q, which says %q", c.got, s.ResourceID, c.want)}
		}
	}
	return nil
}
