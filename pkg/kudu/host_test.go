package kudu

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// foreignServer records whether it ever saw credentials.
func foreignServer(t *testing.T) (string, *recorder) {
	srv, rec := fakeServer(t, map[string]http.HandlerFunc{
		"/": jsonReply(200, `{"id":1,"name":"evil","machineName":"X","value":[]}`),
	})
	return srv.URL, rec
}

func assertNoCredentials(t *testing.T, rec *recorder) {
	t.Helper()
	for _, r := range rec.all() {
		if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
			t.Fatalf("foreign host received credentials: %v", r.Header)
		}
	}
}

func TestProcessAtRefusesForeignHost(t *testing.T) {
	foreign, frec := foreignServer(t)
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes/4120": jsonReply(200, `{"id":4120,"name":"w3wp","machineName":"M","children":["`+foreign+`/api/processes/6512"],"minidump":"`+foreign+`/api/processes/4120/dump"}`),
		"GET /api/processes/6512": jsonReply(200, `{"id":6512,"name":"dotnet","machineName":"M"}`),
	})
	c := newTestClient(t, srv, func(cfg *Config) { cfg.Auth = mustBasic(t, "$contoso", "s3cret") })
	ctx := context.Background()
	p, err := c.Process(ctx, 4120)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ProcessAt(ctx, p.Children[0])
	var he *HostMismatchError
	if !errors.As(err, &he) || !errors.Is(err, ErrHostMismatch) || IsTransient(err) {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), strings.ToLower(srv.URL)) || !strings.Contains(err.Error(), strings.ToLower(foreign)) {
		t.Fatalf("error must name both hosts: %v", err)
	}
	assertNoCredentials(t, frec)
	if len(frec.all()) != 0 {
		t.Fatal("foreign host was contacted")
	}
	// Same-host and relative hrefs are followed, with credentials.
	if q, err := c.ProcessAt(ctx, srv.URL+"/api/processes/6512"); err != nil || q.ID != 6512 {
		t.Fatalf("same host: %v %v", q, err)
	}
	if q, err := c.ProcessAt(ctx, "/api/processes/6512"); err != nil || q.ID != 6512 {
		t.Fatalf("relative: %v %v", q, err)
	}
	// Scheme counts too.
	if _, err := c.ProcessAt(ctx, strings.Replace(srv.URL, "http://", "https://", 1)+"/api/processes/6512"); !errors.Is(err, ErrHostMismatch) {
		t.Fatalf("scheme change: %v", err)
	}
}

func TestRedirectToForeignHostRefused(t *testing.T) {
	foreign, frec := foreignServer(t)
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, foreign+"/api/processes", http.StatusTemporaryRedirect)
		},
		"GET /api/vfs/data/": jsonReply(200, `[]`),
		"GET /api/vfs/data": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/api/vfs/data/", http.StatusTemporaryRedirect) // Kudu's slash rule: same host
		},
	})
	c := newTestClient(t, srv, func(cfg *Config) { cfg.Auth = mustBasic(t, "$contoso", "s3cret") })
	_, err := c.ListProcesses(context.Background())
	if !errors.Is(err, ErrHostMismatch) {
		t.Fatalf("got %v", err)
	}
	if len(frec.all()) != 0 {
		t.Fatal("redirect followed to the foreign host")
	}
	resp, err := c.c.do(context.Background(), call{op: "vfs", method: http.MethodGet, url: c.c.url("api", "vfs", "data")})
	if err != nil {
		t.Fatalf("same-host redirect: %v", err)
	}
	resp.Body.Close()
}

func TestConfigValidation(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "http://", "https://user:pw@x.scm.azurewebsites.net", "https://x?y=1", "::"} {
		if _, err := New(Config{SCMURL: u}); err == nil {
			t.Errorf("SCMURL %q accepted", u)
		}
	}
	c, err := New(Config{SCMURL: "http://127.0.0.1:8080/contoso/"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.processURL(4120, "dump"); got != "http://127.0.0.1:8080/contoso/api/processes/4120/dump" {
		t.Fatalf("url %s", got)
	}
}
