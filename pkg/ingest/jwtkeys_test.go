package ingest

import (
	"crypto/rsa"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestJWTKeyRotation: a signing key published after the JWTAuth started
// is found by one refetch; an unknown key id right after is refused at
// once, without waiting for or starting another fetch.
func TestJWTKeyRotation(t *testing.T) {
	k1, k2 := rsaKey(t), rsaKey(t)
	var mu sync.Mutex
	published := map[string]*rsa.PrivateKey{"k1": k1}
	var fetches atomic.Int32
	jwks := jwksServer(t, map[string]string{"alg": "RS256", "use": "sig"}, func() map[string]*rsa.PrivateKey {
		fetches.Add(1)
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(published)
	})
	const tenant, aud = testTenant, testAudience
	now := time.Now()
	auth, err := NewJWTAuth(JWTConfig{Tenant: tenant, Audience: aud, JWKSURL: jwks.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	token := func(k *rsa.PrivateKey, kid string) *http.Request {
		s := signRS256(t, k, kid, jwt.MapClaims{"iss": "https://login.microsoftonline.com/" + tenant + "/v2.0",
			"aud": aud, "tid": tenant, "azp": "client-1", "exp": now.Add(time.Hour).Unix()})
		r := httptest.NewRequest(http.MethodPost, "/v1/alerts", nil)
		r.Header.Set("Authorization", "Bearer "+s)
		return r
	}
	if _, err := auth.Authenticate(token(k1, "k1")); err != nil {
		t.Fatalf("k1: %v", err)
	}
	before := fetches.Load()
	mu.Lock()
	published["k2"] = k2
	mu.Unlock()
	if _, err := auth.Authenticate(token(k2, "k2")); err != nil {
		t.Fatalf("k2, published after start: %v", err)
	}
	if got := fetches.Load() - before; got != 1 {
		t.Fatalf("%d fetches for the rotated key, want 1", got)
	}
	start := time.Now()
	_, err = auth.Authenticate(token(k2, "k9"))
	if err == nil || !strings.Contains(err.Error(), `unknown signing key "k9"`) {
		t.Fatalf("k9: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("an unknown key id waited %v", d)
	}
	if got := fetches.Load() - before; got != 1 {
		t.Fatalf("%d fetches after an unknown key id right after a refetch, want still 1", got)
	}
}
