package ingest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/dumpflow/dumpflow/pkg/ingest/ingesttest"
)

type fakeCred struct{ token string }

func (c fakeCred) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if len(o.Scopes) != 1 || o.Scopes[0] != armScope {
		return azcore.AccessToken{}, errors.New("wrong scope")
	}
	return azcore.AccessToken{Token: c.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestARMDirectory(t *testing.T) {
	const s = "/subscriptions/" + sub
	arm := &ingesttest.ARM{Token: "arm-token", PageSize: 2, Sites: []ingesttest.ARMSite{
		{ID: s + "/resourceGroups/web/providers/Microsoft.Web/sites/a1", Plan: s + "/resourceGroups/web/providers/Microsoft.Web/serverfarms/p1", Tags: map[string]string{"Team": "blue"}},
		{ID: s + "/resourceGroups/web/providers/Microsoft.Web/sites/a2", Plan: s + "/resourceGroups/web/providers/Microsoft.Web/serverfarms/p1"},
		{ID: s + "/resourceGroups/web/providers/Microsoft.Web/sites/a3", Plan: s + "/resourceGroups/web/providers/Microsoft.Web/serverfarms/p1", Tags: map[string]string{"team": "blue"}},
		{ID: s + "/resourceGroups/other/providers/Microsoft.Web/sites/b1", Plan: s + "/resourceGroups/other/providers/Microsoft.Web/serverfarms/p2"},
	}}
	srv := httptest.NewServer(arm)
	defer srv.Close()
	ctx := context.Background()
	d := &ARMDirectory{BaseURL: srv.URL, Credential: fakeCred{"arm-token"}}

	sites, err := d.SitesInPlan(ctx, s+"/resourceGroups/WEB/providers/Microsoft.Web/serverFarms/P1")
	if err != nil || len(sites) != 3 || sites[2].Name != "a3" || sites[0].ResourceGroup != "web" {
		t.Fatalf("plan (3 apps over 2 pages): %+v, %v", sites, err)
	}
	if sites, err = d.SitesInGroup(ctx, sub, "other"); err != nil || len(sites) != 1 || sites[0].Name != "b1" {
		t.Fatalf("group: %+v, %v", sites, err)
	}
	if sites, err = d.SitesByTag(ctx, sub, map[string]string{"team": "blue"}); err != nil || len(sites) != 2 {
		t.Fatalf("tags: %+v, %v", sites, err)
	}

	bad := &ARMDirectory{BaseURL: srv.URL, Credential: fakeCred{"wrong"}}
	_, err = bad.SitesInGroup(ctx, sub, "web")
	var ae *ARMError
	if !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Msg != "InvalidAuthenticationToken: bad token" {
		t.Fatalf("bad token: %v", err)
	}

	// A nextLink to another host never receives the token.
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"value":[],"nextLink":"http://evil.example/steal"}`))
	}))
	defer foreign.Close()
	fd := &ARMDirectory{BaseURL: foreign.URL, Credential: fakeCred{"arm-token"}}
	if _, err := fd.SitesInGroup(ctx, sub, "web"); !errors.Is(err, ErrForeignHost) {
		t.Fatalf("foreign nextLink: %v", err)
	}
}

func TestParseResourceID(t *testing.T) {
	for _, tc := range []struct{ id, kind, name, slot string }{
		{"/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/a", KindSite, "a", ""},
		{"/subscriptions/s/resourcegroups/r/providers/microsoft.web/sites/a/slots/staging", KindSite, "a", "staging"},
		{"/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/serverfarms/p", KindPlan, "p", ""},
		{"/subscriptions/s/resourceGroups/r", KindResourceGroup, "", ""},
		{"/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/vm", KindOther, "vm", ""},
		{"/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/a/config/web", KindOther, "a", ""},
	} {
		r, err := ParseResourceID(tc.id)
		if err != nil || r.Kind != tc.kind || r.Name != tc.name || r.Slot != tc.slot {
			t.Errorf("%s: %+v, %v", tc.id, r, err)
		}
	}
	for _, bad := range []string{"", "/subscriptions/s", "subscriptions/s/resourceGroups/r", "/subscriptions//resourceGroups/r", "/subscriptions/s/resourceGroups/r/providers/x"} {
		if _, err := ParseResourceID(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
