package ingest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
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
	k1, _ := rsa.GenerateKey(rand.Reader, 2048)
	k2, _ := rsa.GenerateKey(rand.Reader, 2048)
	var mu sync.Mutex
	published := map[string]*rsa.PrivateKey{"k1": k1}
	var fetches atomic.Int32
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		mu.Lock()
		defer mu.Unlock()
		var keys []map[string]string
		for kid, k := range published {
			keys = append(keys, map[string]string{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
				"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
				"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	}))
	defer jwks.Close()
	const tenant, aud = "72f988bf-0000-0000-0000-000000000000", "api://dumpflow-ingest"
	now := time.Now()
	auth, err := NewJWTAuth(JWTConfig{Tenant: tenant, Audience: aud, JWKSURL: jwks.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	token := func(k *rsa.PrivateKey, kid string) *http.Request {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": "https://login.microsoftonline.com/" + tenant + "/v2.0",
			"aud": aud, "tid": tenant, "azp": "client-1", "exp": now.Add(time.Hour).Unix()})
		tok.Header["kid"] = kid
		s, err := tok.SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
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
