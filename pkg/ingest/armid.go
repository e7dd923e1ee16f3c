package ingest

import (
	"fmt"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// Kinds of ARM resource ids ingest understands.
const (
	KindSite          = "site"           // Microsoft.Web/sites/A or …/sites/A/slots/S
	KindPlan          = "plan"           // Microsoft.Web/serverfarms/P
	KindResourceGroup = "resource-group" // /subscriptions/S/resourceGroups/R
	KindOther         = "other"          // any other resource (VM, storage, App Insights …)
)

// ResourceID is a parsed ARM resource id. Fields keep the case of the
// input; compare them case-insensitively.
type ResourceID struct {
	Raw           string
	Kind          string
	Subscription  string
	ResourceGroup string
	// Provider and Type are e.g. "microsoft.web" and "sites" (as given).
	Provider string
	Type     string
	// Name is the resource's name (app, plan); Slot the slot's, if any.
	Name string
	Slot string
}

// ParseResourceID parses an ARM id. It accepts any resource in a resource
// group and the resource-group scope itself; subscription-level or
// malformed ids are errors.
func ParseResourceID(id string) (ResourceID, error) {
	r := ResourceID{Raw: id}
	parts := strings.Split(strings.TrimSuffix(id, "/"), "/")
	// "", "subscriptions", S, "resourceGroups", R, "providers", NS, T, N, ...
	if len(parts) < 5 || parts[0] != "" || !strings.EqualFold(parts[1], "subscriptions") || !strings.EqualFold(parts[3], "resourceGroups") {
		return r, fmt.Errorf("%q is not an ARM id of a resource group or a resource in one", id)
	}
	r.Subscription, r.ResourceGroup = parts[2], parts[4]
	if r.Subscription == "" || r.ResourceGroup == "" {
		return r, fmt.Errorf("%q has an empty subscription or resource group", id)
	}
	if len(parts) == 5 {
		r.Kind = KindResourceGroup
		return r, nil
	}
	if len(parts) < 9 || !strings.EqualFold(parts[5], "providers") || parts[6] == "" || parts[7] == "" || parts[8] == "" {
		return r, fmt.Errorf("%q is not an ARM resource id", id)
	}
	r.Provider, r.Type, r.Name = parts[6], parts[7], parts[8]
	r.Kind = KindOther
	if !strings.EqualFold(r.Provider, "microsoft.web") {
		return r, nil
	}
	switch {
	case strings.EqualFold(r.Type, "sites") && len(parts) == 9:
		r.Kind = KindSite
	case strings.EqualFold(r.Type, "sites") && len(parts) == 11 && strings.EqualFold(parts[9], "slots") && parts[10] != "":
		r.Kind, r.Slot = KindSite, parts[10]
	case strings.EqualFold(r.Type, "serverfarms") && len(parts) == 9:
		r.Kind = KindPlan
	}
	return r, nil
}

// Site returns the messages.Site of a KindSite id, validated.
func (r ResourceID) Site() (messages.Site, error) {
	if r.Kind != KindSite {
		return messages.Site{}, fmt.Errorf("%q is not an App Service app or slot", r.Raw)
	}
	s := messages.Site{ResourceID: r.Raw, SubscriptionID: r.Subscription, ResourceGroup: r.ResourceGroup, Name: r.Name, Slot: r.Slot}
	if err := s.Validate(); err != nil {
		return messages.Site{}, fmt.Errorf("app %q: %w", r.Raw, err)
	}
	return s, nil
}
