package worker

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// armSiteError classifies an error of an ARM call about the site itself
// (its instances, its SCM host). A 404 there means the app does not exist
// where the resource id says — not that a process ended — so it is said in
// those words and is permanent: retrying cannot make the app appear.
func armSiteError(site messages.Site, err error) error {
	if !errors.Is(err, kudu.ErrNotFound) {
		return wrapKudu(err, false)
	}
	code := "HTTP 404"
	var ae *kudu.APIError
	if errors.As(err, &ae) && ae.Code != "" {
		code = ae.Code
	}
	sub, rg, name := resourceParts(site.ResourceID)
	return &KuduError{Kind: ErrorKindPermanent, StatusCode: http.StatusNotFound,
		Err: fmt.Errorf("app %s not found in subscription %s, resource group %s (Resource Manager: %s): check the resource id and that the worker's identity can read the app: %w",
			name, sub, rg, code, err)}
}

// resourceParts returns the subscription, resource group and site name
// (with "/slot" for a slot) of an App Service resource id; "?" for parts
// it does not have.
func resourceParts(id string) (sub, rg, name string) {
	sub, rg, name = "?", "?", "?"
	seg := strings.Split(strings.Trim(id, "/"), "/")
	for i := 0; i+1 < len(seg); i += 2 {
		switch strings.ToLower(seg[i]) {
		case "subscriptions":
			sub = seg[i+1]
		case "resourcegroups":
			rg = seg[i+1]
		case "sites":
			name = seg[i+1]
		case "slots":
			name += "/" + seg[i+1]
		}
	}
	return sub, rg, name
}
