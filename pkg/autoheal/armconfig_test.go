package autoheal

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSiteConfigReaderImports(t *testing.T) {
	var gotPath, gotVersion string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotVersion = r.URL.Path, r.URL.Query().Get("api-version")
		if strings.Contains(r.URL.Path, "missing") {
			http.Error(w, `{"error":{"code":"ResourceNotFound"}}`, http.StatusNotFound)
			return
		}
		w.Write([]byte(configWeb))
	}))
	defer srv.Close()
	rd := &SiteConfigReader{BaseURL: srv.URL}
	site := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/contoso"
	data, err := rd.Read(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	if gotPath != site+"/config/web" || gotVersion != SiteConfigAPIVersion {
		t.Fatalf("requested %s?api-version=%s", gotPath, gotVersion)
	}
	if _, err := Import("contoso", data); err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Read(context.Background(), strings.Replace(site, "contoso", "missing", 1)); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("missing site: %v", err)
	}
	if _, err := rd.Read(context.Background(), "/subscriptions/s/providers/Microsoft.Compute/vms/x"); err == nil {
		t.Fatal("non-site id accepted")
	}
}
