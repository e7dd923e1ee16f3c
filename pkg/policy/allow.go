package policy

import (
	"fmt"
	"strings"
)

// Allowlist names the subscriptions and resource groups in which ingest
// may capture. A target is allowed when its subscription is listed, or
// its resource group is. Comparison is case-insensitive.
type Allowlist struct {
	// Subscriptions are subscription ids.
	Subscriptions []string `json:"subscriptions,omitempty"`
	// ResourceGroups are scopes: /subscriptions/S/resourceGroups/R.
	ResourceGroups []string `json:"resource_groups,omitempty"`
}

// Empty reports whether the allowlist names nothing (which allows
// everything outside production).
func (a Allowlist) Empty() bool { return len(a.Subscriptions) == 0 && len(a.ResourceGroups) == 0 }

func (a Allowlist) validate() error {
	for i, s := range a.Subscriptions {
		if s == "" || strings.Contains(s, "/") {
			return fmt.Errorf("allow.subscriptions[%d]: %q is not a subscription id", i, s)
		}
	}
	for i, g := range a.ResourceGroups {
		if _, _, ok := splitGroup(g); !ok {
			return fmt.Errorf("allow.resource_groups[%d]: %q is not /subscriptions/S/resourceGroups/R", i, g)
		}
	}
	return nil
}

// Permits reports whether a target in subscription sub and resource group
// rg is allowed.
func (a Allowlist) Permits(sub, rg string) bool {
	if a.Empty() {
		return true
	}
	for _, s := range a.Subscriptions {
		if strings.EqualFold(s, sub) {
			return true
		}
	}
	for _, g := range a.ResourceGroups {
		gs, gr, _ := splitGroup(g)
		if strings.EqualFold(gs, sub) && strings.EqualFold(gr, rg) {
			return true
		}
	}
	return false
}

func splitGroup(scope string) (sub, rg string, ok bool) {
	parts := strings.Split(strings.Trim(scope, "/"), "/")
	if len(parts) != 4 || !strings.EqualFold(parts[0], "subscriptions") || !strings.EqualFold(parts[2], "resourceGroups") ||
		parts[1] == "" || parts[3] == "" {
		return "", "", false
	}
	return parts[1], parts[3], true
}
