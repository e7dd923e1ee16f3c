package kudu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// fakeCred issues "tok-{scope}" and records the scopes asked for.
type fakeCred struct {
	mu     sync.Mutex
	scopes []string
	fail   error
}

func (f *fakeCred) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scopes = append(f.scopes, strings.Join(o.Scopes, " "))
	if f.fail != nil {
		return azcore.AccessToken{}, f.fail
	}
	return azcore.AccessToken{Token: "tok-" + o.Scopes[0], ExpiresOn: time.Now().Add(time.Hour)}, nil
}

var _ azcore.TokenCredential = (*fakeCred)(nil)

func mustBasic(t *testing.T, user, pw string) *Basic {
	t.Helper()
	t.Setenv("KUDU_TEST_PW", pw)
	b, err := NewBasic(user, SecretFromEnv("KUDU_TEST_PW"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// authServer accepts only Authorization == want; anything else gets the
// front end's HTML 401.
func authServer(t *testing.T, want *string) (*Client, *recorder, func(Auth) *Client) {
	srv, rec := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes": func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != *want {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(401)
				_, _ = w.Write([]byte(docHTML401))
				return
			}
			jsonReply(200, docList)(w, r)
		},
	})
	mk := func(a Auth) *Client { return newTestClient(t, srv, func(c *Config) { c.Auth = a }) }
	return mk(nil), rec, mk
}

func TestBearerAudienceFallback(t *testing.T) {
	want := "Bearer tok-" + ARMScope // this tenant still only accepts ARM tokens
	_, rec, mk := authServer(t, &want)
	cred := &fakeCred{}
	b, err := NewBearer(cred)
	if err != nil {
		t.Fatal(err)
	}
	c := mk(b)
	if _, err := c.ListProcesses(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cred.scopes, ","); got != AppServiceScope+","+ARMScope {
		t.Fatalf("scopes asked: %s", got)
	}
	if b.ScopeFor(rec.all()[0].Host) != ARMScope {
		t.Fatalf("scope did not stick: %s", b.ScopeFor(rec.all()[0].Host))
	}
	// Next call goes straight to the working audience, with the cached token.
	if _, err := c.ListProcesses(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(cred.scopes) != 2 {
		t.Fatalf("token not cached: asked %d times", len(cred.scopes))
	}
	if n := len(rec.all()); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
	// When no audience works: one fallback, then an ErrUnauthorized with the HTML title.
	want = "nothing works"
	_, err = mk(mustBearer(t, &fakeCred{})).ListProcesses(context.Background())
	var ae *APIError
	if !errors.Is(err, ErrUnauthorized) || !errors.As(err, &ae) || !strings.HasPrefix(ae.Message, "401 - Unauthorized") || IsTransient(err) {
		t.Fatalf("got %v", err)
	}
}

func mustBearer(t *testing.T, c azcore.TokenCredential) *Bearer {
	b, err := NewBearer(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBearerAppServiceAudienceFirst(t *testing.T) {
	want := "Bearer tok-" + AppServiceScope
	_, _, mk := authServer(t, &want)
	cred := &fakeCred{}
	if _, err := mk(mustBearer(t, cred)).ListProcesses(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(cred.scopes) != 1 || cred.scopes[0] != AppServiceScope {
		t.Fatalf("scopes %v", cred.scopes)
	}
	// A credential failure is reported, not sent.
	_, err := mk(mustBearer(t, &fakeCred{fail: errors.New("no login")})).ListProcesses(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no login") {
		t.Fatalf("got %v", err)
	}
}

func TestBearerCacheExpiry(t *testing.T) {
	cred := &expiringCred{life: time.Minute} // inside tokenSlack: never cached
	b, _ := NewBearer(cred, ARMScope)
	req, _ := http.NewRequest("GET", "http://x", nil)
	for i := 0; i < 3; i++ {
		if err := b.Authorize(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if cred.n != 3 {
		t.Fatalf("short-lived token reused: %d calls", cred.n)
	}
	cred.life = time.Hour
	for i := 0; i < 3; i++ {
		_ = b.Authorize(context.Background(), req)
	}
	if cred.n != 4 {
		t.Fatalf("long-lived token not reused: %d calls", cred.n)
	}
	if _, err := NewBearer(nil); err == nil {
		t.Fatal("nil credential accepted")
	}
	if _, err := NewBearer(cred, ""); err == nil {
		t.Fatal("empty scope accepted")
	}
	if s := b.String(); strings.Contains(s, "tok") {
		t.Fatalf("String shows a token: %s", s)
	}
}

type expiringCred struct {
	n    int
	life time.Duration
}

func (e *expiringCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	e.n++
	return azcore.AccessToken{Token: fmt.Sprintf("tok%d", e.n), ExpiresOn: time.Now().Add(e.life)}, nil
}

func TestBasicAuth(t *testing.T) {
	want := "Basic JGNvbnRvc286czNjcmV0" // base64("$contoso:s3cret")
	_, _, mk := authServer(t, &want)
	b := mustBasic(t, "$contoso", "s3cret")
	if _, err := mk(b).ListProcesses(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{b.String(), fmt.Sprint(b), slog.AnyValue(b).Resolve().String()} {
		if strings.Contains(s, "s3cret") || !strings.Contains(s, "REDACTED") {
			t.Fatalf("secret shown: %s", s)
		}
	}
	// Password rotated: the 401 makes Basic re-read the source once.
	t.Setenv("KUDU_TEST_PW", "n3w")
	want = "Basic JGNvbnRvc286bjN3"
	if _, err := mk(b).ListProcesses(context.Background()); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	t.Setenv("KUDU_TEST_PW", "")
	b2 := mustBasic(t, "$contoso", "")
	if _, err := mk(b2).ListProcesses(context.Background()); err == nil || !strings.Contains(err.Error(), "KUDU_TEST_PW") {
		t.Fatalf("empty env: %v", err)
	}
}

func TestSecretSources(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pw")
	if err := os.WriteFile(p, []byte("fromfile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if s, err := SecretFromFile(p).Secret(ctx); err != nil || s != "fromfile" {
		t.Fatalf("file: %q %v", s, err)
	}
	if _, err := SecretFromFile(filepath.Join(dir, "missing")).Secret(ctx); err == nil {
		t.Fatal("missing file accepted")
	}
	empty := filepath.Join(dir, "empty")
	_ = os.WriteFile(empty, nil, 0o600)
	if _, err := SecretFromFile(empty).Secret(ctx); err == nil {
		t.Fatal("empty file accepted")
	}
	v := "fromvault"
	kv := &fakeVault{value: &v}
	if s, err := SecretFromKeyVault(kv, "kudu-pw", "").Secret(ctx); err != nil || s != "fromvault" || kv.name != "kudu-pw" {
		t.Fatalf("vault: %q %v", s, err)
	}
	if _, err := SecretFromKeyVault(&fakeVault{}, "x", "").Secret(ctx); err == nil {
		t.Fatal("secret without value accepted")
	}
	if _, err := SecretFromKeyVault(&fakeVault{err: errors.New("403")}, "x", "").Secret(ctx); err == nil {
		t.Fatal("vault error swallowed")
	}
	if s := SecretFromKeyVault(kv, "kudu-pw", "").String(); strings.Contains(s, "fromvault") {
		t.Fatal("String shows the secret")
	}
}

type fakeVault struct {
	value *string
	err   error
	name  string
}

func (f *fakeVault) GetSecret(_ context.Context, name, _ string, _ *azsecrets.GetSecretOptions) (azsecrets.GetSecretResponse, error) {
	f.name = name
	var r azsecrets.GetSecretResponse
	r.Value = f.value
	return r, f.err
}
