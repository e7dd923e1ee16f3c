package ingesttest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// ARMSite is one app known to the ARM test double.
type ARMSite struct {
	// ID is the app's ARM id; Plan its App Service plan's id.
	ID   string
	Plan string
	Tags map[string]string
}

// ARM is a test double of the three Azure Resource Manager list calls
// ingest.ARMDirectory makes (apps in a plan, in a resource group, in a
// subscription). Ids compare case-insensitively, as in ARM. PageSize > 0
// splits answers into pages linked by nextLink.
type ARM struct {
	Sites    []ARMSite
	PageSize int
	// Token, when set, is the bearer token every request must carry.
	Token string

	mu    sync.Mutex
	Calls []string
}

func (a *ARM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.Calls = append(a.Calls, r.URL.Path)
	a.mu.Unlock()
	if a.Token != "" && r.Header.Get("Authorization") != "Bearer "+a.Token {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"code":"InvalidAuthenticationToken","message":"bad token"}}`))
		return
	}
	path := strings.ToLower(r.URL.Path)
	var match func(ARMSite) bool
	switch {
	case strings.Contains(path, "/providers/microsoft.web/serverfarms/") && strings.HasSuffix(path, "/sites"):
		plan := strings.TrimSuffix(path, "/sites")
		match = func(s ARMSite) bool { return strings.EqualFold(s.Plan, plan) }
	case strings.HasSuffix(path, "/providers/microsoft.web/sites"):
		prefix := strings.TrimSuffix(path, "/providers/microsoft.web/sites") + "/"
		match = func(s ARMSite) bool { return strings.HasPrefix(strings.ToLower(s.ID), prefix) }
	case strings.HasSuffix(path, "/resources"):
		prefix := strings.TrimSuffix(path, "/resources") + "/"
		match = func(s ARMSite) bool { return strings.HasPrefix(strings.ToLower(s.ID), prefix) }
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":{"code":"NotFound","message":"no such route"}}`))
		return
	}
	type item struct {
		ID   string            `json:"id"`
		Type string            `json:"type"`
		Tags map[string]string `json:"tags,omitempty"`
	}
	var items []item
	for _, s := range a.Sites {
		if match(s) {
			items = append(items, item{ID: s.ID, Type: "Microsoft.Web/sites", Tags: s.Tags})
		}
	}
	skip, _ := strconv.Atoi(r.URL.Query().Get("skip"))
	skip = max(skip, 0)
	page := struct {
		Value    []item `json:"value"`
		NextLink string `json:"nextLink,omitempty"`
	}{Value: []item{}}
	if skip < len(items) {
		items = items[skip:]
		if a.PageSize > 0 && len(items) > a.PageSize {
			q := r.URL.Query()
			q.Set("skip", strconv.Itoa(skip+a.PageSize))
			page.NextLink = "http://" + r.Host + r.URL.Path + "?" + q.Encode()
			items = items[:a.PageSize]
		}
		page.Value = items
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(page)
}
