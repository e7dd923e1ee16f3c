package kudu

import (
	"context"
	"errors"
	"testing"
)

// The attack of issue 22 point 5: one app's Kudu answered 401 once, and
// from then on every app received Resource Manager tokens from the shared
// Bearer. The audience is now chosen per SCM host: an app that refuses both
// audiences fails alone, and the others keep the App Service audience.
func TestBearerAudienceIsPerHost(t *testing.T) {
	refuseAll := "nothing works"
	appService := "Bearer tok-" + AppServiceScope
	_, _, mkUnauth := authServer(t, &refuseAll)
	_, normalRec, mkNormal := authServer(t, &appService)
	b := mustBearer(t, &fakeCred{})
	unauth1, normal := mkUnauth(b), mkNormal(b)

	if _, err := unauth1.ListProcesses(context.Background()); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("app refusing every audience: %v, want ErrUnauthorized", err)
	}
	for i := range 2 {
		if _, err := normal.ListProcesses(context.Background()); err != nil {
			t.Fatalf("call %d to the normal app after another app's 401: %v", i, err)
		}
	}
	for _, r := range normalRec.all() {
		if got := r.Header.Get("Authorization"); got != appService {
			t.Fatalf("the normal app received %q, want the App Service audience", got)
		}
	}
	// The refusing app is still refused on its own, without a retry loop.
	if _, err := unauth1.ListProcesses(context.Background()); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("second call to the refusing app: %v", err)
	}
}
