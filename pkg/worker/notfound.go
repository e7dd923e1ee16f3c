package worker

import (
	"errors"
	"fmt"
	"net/http"

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
	name := site.Name
	if site.Slot != "" {
		name += "/" + site.Slot
	}
	return &KuduError{Kind: ErrorKindPermanent, StatusCode: http.StatusNotFound,
		Err: fmt.Errorf("app %s not found in subscription %s, resource group %s (Resource Manager: %s): check the resource id and that the worker's identity can read the app: %w",
			name, site.SubscriptionID, site.ResourceGroup, code, err)}
}
