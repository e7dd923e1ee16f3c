package arm_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/dumpflow/dumpflow/pkg/arm"
)

type cred struct{}

func (cred) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if len(o.Scopes) != 1 || o.Scopes[0] != arm.DefaultScope {
		return azcore.AccessToken{}, errors.New("wrong scope")
	}
	return azcore.AccessToken{Token: "tok", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// recorder counts requests and the ones that carried the token.
type recorder struct{ requests, withToken atomic.Int32 }

func (r *recorder) wrap(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		if req.Header.Get("Authorization") == "Bearer tok" {
			r.withToken.Add(1)
		}
		h(w, req)
	})
}

func TestListFollowsSameHostNextLinkWithToken(t *testing.T) {
	var rec recorder
	var srv *httptest.Server
	srv = httptest.NewServer(rec.wrap(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" {
			_, _ = w.Write([]byte(`{"value":["c"]}`))
			return
		}
		_, _ = w.Write([]byte(`{"value":["a","b"],"nextLink":"` + srv.URL + `/x?page=2"}`))
	}))
	defer srv.Close()
	c, err := arm.New(arm.Options{BaseURL: srv.URL, Credential: cred{}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = arm.List(context.Background(), c, c.URL("/x", nil), 0, func(s string) error { got = append(got, s); return nil })
	if err != nil || len(got) != 3 || got[2] != "c" {
		t.Fatalf("List = %v, %v", got, err)
	}
	if rec.requests.Load() != 2 || rec.withToken.Load() != 2 {
		t.Errorf("%d requests, %d with the token; want 2, 2", rec.requests.Load(), rec.withToken.Load())
	}
}

func TestForeignHostsGetNoRequest(t *testing.T) {
	var foreign recorder
	fsrv := httptest.NewServer(foreign.wrap(func(w http.ResponseWriter, r *http.Request) {}))
	defer fsrv.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, fsrv.URL+"/steal", http.StatusFound)
			return
		}
		_, _ = w.Write([]byte(`{"value":[],"nextLink":"` + fsrv.URL + `/steal"}`))
	}))
	defer srv.Close()
	c, err := arm.New(arm.Options{BaseURL: srv.URL, Credential: cred{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := arm.List(ctx, c, c.URL("/x", nil), 0, func(string) error { return nil }); !errors.Is(err, arm.ErrForeignHost) {
		t.Errorf("foreign nextLink: %v", err)
	}
	if err := c.Get(ctx, fsrv.URL+"/direct", new(any)); !errors.Is(err, arm.ErrForeignHost) {
		t.Errorf("foreign URL: %v", err)
	}
	if err := c.Get(ctx, c.URL("/redirect", nil), new(any)); !errors.Is(err, arm.ErrForeignHost) {
		t.Errorf("foreign redirect: %v", err)
	}
	if n := foreign.requests.Load(); n != 0 {
		t.Errorf("foreign host got %d requests", n)
	}
}

func TestFailuresAreResponseErrorsAfterAzcoreRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":{"code":"ResourceNotFound","message":"no such app"}}`))
	}))
	defer srv.Close()
	c, err := arm.New(arm.Options{BaseURL: srv.URL, Retry: policy.RetryOptions{RetryDelay: time.Millisecond, MaxRetryDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Get(context.Background(), c.URL("/app", nil), new(any))
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 404 || re.ErrorCode != "ResourceNotFound" {
		t.Fatalf("err = %v, want a 404 ResourceNotFound *azcore.ResponseError", err)
	}
	if code, msg := arm.Describe(re); code != "ResourceNotFound" || msg != "no such app" {
		t.Errorf("Describe = %q, %q", code, msg)
	}
	if calls.Load() != 2 {
		t.Errorf("%d calls, want 2 (the 503 retried by azcore's policy)", calls.Load())
	}
}

func TestEscapeID(t *testing.T) {
	got := arm.EscapeID("/subscriptions/s/resourceGroups/my rg/providers/Microsoft.Web/sites/a?b#c")
	if want := "/subscriptions/s/resourceGroups/my%20rg/providers/Microsoft.Web/sites/a%3Fb%23c"; got != want {
		t.Errorf("EscapeID = %q, want %q", got, want)
	}
}
