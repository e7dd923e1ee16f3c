package kudu

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

const siteID = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Web/sites/contoso"

func newTestARM(t *testing.T, base string, cred *fakeCred, tmpl string) *ARM {
	t.Helper()
	cfg := ARMConfig{BaseURL: base, SCMURLTemplate: tmpl}
	if cred != nil {
		b, err := NewBearer(cred, ARMScope)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Auth = b
	}
	a, err := NewARM(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestListInstancesPaging(t *testing.T) {
	var srvURL string
	srv, rec := fakeServer(t, map[string]http.HandlerFunc{
		"GET " + siteID + "/instances": func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("page") == "2" {
				jsonReply(200, `{"value":[{"id":"`+siteID+`/instances/`+instanceB+`","name":"`+instanceB+`","type":"Microsoft.Web/sites/instances","properties":{"state":"READY"}}]}`)(w, r)
				return
			}
			jsonReply(200, `{"value":[{"id":"`+siteID+`/instances/`+instanceA+`","name":"`+instanceA+`","type":"Microsoft.Web/sites/instances","properties":{"state":"READY","statusUrl":"x"}}],
				"nextLink":"`+srvURL+siteID+`/instances?api-version=2024-11-01&page=2"}`)(w, r)
		},
	})
	srvURL = srv.URL
	cred := &fakeCred{}
	a := newTestARM(t, srv.URL, cred, "")
	got, err := a.ListInstances(context.Background(), siteID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != instanceA || got[1].ID != instanceB || got[0].State != "READY" {
		t.Fatalf("instances %+v", got)
	}
	r0 := rec.all()[0]
	if r0.URL.Query().Get("api-version") != DefaultAPIVersion || r0.Header.Get("Authorization") != "Bearer tok-"+ARMScope {
		t.Fatalf("first request %s %v", r0.URL, r0.Header)
	}
	if rec.all()[1].Header.Get("Authorization") == "" {
		t.Fatal("same-host nextLink sent without credentials")
	}
}

func TestListInstancesForeignNextLink(t *testing.T) {
	foreign, frec := foreignServer(t)
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{
		"GET " + siteID + "/instances": jsonReply(200, `{"value":[{"name":"`+instanceA+`"}],"nextLink":"`+foreign+`/steal"}`),
	})
	_, err := newTestARM(t, srv.URL, &fakeCred{}, "").ListInstances(context.Background(), siteID)
	if !errors.Is(err, ErrHostMismatch) {
		t.Fatalf("got %v", err)
	}
	if len(frec.all()) != 0 {
		t.Fatal("foreign nextLink followed")
	}
}

func TestSCMURL(t *testing.T) {
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{
		"GET " + siteID: jsonReply(200, `{"id":"`+siteID+`","name":"contoso","properties":{"defaultHostName":"contoso-abc.westeurope-01.azurewebsites.net",
			"hostNameSslStates":[{"name":"contoso-abc.westeurope-01.azurewebsites.net","sslState":"Disabled","hostType":"Standard"},
			{"name":"contoso-abc.scm.westeurope-01.azurewebsites.net","sslState":"Disabled","hostType":"Repository"}]}}`),
		"GET " + siteID + "/slots/staging": jsonReply(200, `{"properties":{"hostNameSslStates":[{"name":"x","hostType":"Standard"}]}}`),
	})
	a := newTestARM(t, srv.URL, nil, "")
	u, err := a.SCMURL(context.Background(), siteID)
	if err != nil || u != "https://contoso-abc.scm.westeurope-01.azurewebsites.net" {
		t.Fatalf("%q %v", u, err)
	}
	var de *DecodeError
	if _, err := a.SCMURL(context.Background(), siteID+"/slots/staging"); !errors.As(err, &de) {
		t.Fatalf("no Repository host: %v", err)
	}
	tm := newTestARM(t, srv.URL, nil, "http://127.0.0.1:8080/{app}")
	for id, want := range map[string]string{
		siteID:                    "http://127.0.0.1:8080/contoso",
		siteID + "/slots/staging": "http://127.0.0.1:8080/contoso-staging",
	} {
		if u, err := tm.SCMURL(context.Background(), id); err != nil || u != want {
			t.Fatalf("template %s: %q %v", id, u, err)
		}
	}
	if _, err := NewARM(ARMConfig{SCMURLTemplate: "http://x/"}); err == nil {
		t.Fatal("template without {app} accepted")
	}
}

func TestParseSiteID(t *testing.T) {
	s, err := ParseSiteID("/subscriptions/s/resourcegroups/rg/providers/microsoft.web/sites/app/slots/stg")
	if err != nil || s != (SiteID{"s", "rg", "app", "stg"}) {
		t.Fatalf("%+v %v", s, err)
	}
	if s.String() != "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app/slots/stg" {
		t.Fatal(s.String())
	}
	for _, bad := range []string{"", "/subscriptions/s", siteID + "/instances", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/..",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/sites/a", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/a%2f"} {
		if _, err := ParseSiteID(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
