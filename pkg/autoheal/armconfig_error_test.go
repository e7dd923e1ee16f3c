package autoheal

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/dumpflow/dumpflow/pkg/arm"
)

func TestSiteConfigReaderErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/sites/moved/") {
			http.Redirect(w, r, "http://example.invalid/elsewhere", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":{"code":"AuthorizationFailed","message":"The client does not have authorization\nto perform action"}}`))
	}))
	defer srv.Close()
	rd := &SiteConfigReader{BaseURL: srv.URL}
	_, err := rd.Read(context.Background(), "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/denied")
	var ae *ARMError
	var re *azcore.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) || ae.StatusCode != http.StatusForbidden {
		t.Fatalf("got %v, want an *ARMError with HTTP 403 wrapping *azcore.ResponseError", err)
	}
	if want := "arm: read config/web of /subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/denied: HTTP 403: AuthorizationFailed: The client does not have authorization to perform action"; err.Error() != want {
		t.Errorf("error %q\nwant    %q (one line, ARM's code and message)", err, want)
	}
	if _, err := rd.Read(context.Background(), "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/moved"); !errors.Is(err, arm.ErrForeignHost) {
		t.Errorf("redirect to another host: %v, want ErrForeignHost (the token stays on the ARM host)", err)
	}
}
