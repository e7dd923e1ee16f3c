package ingest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestJWTKeyRotationSlowRefetch: the refetch for a rotated key is not cut
// short by the refusal of other unknown key ids: a JWKS endpoint that
// takes 50 ms to answer (Entra ID over the internet takes longer) still
// delivers the new key to the request that asked.
func TestJWTKeyRotationSlowRefetch(t *testing.T) {
	k1, _ := rsa.GenerateKey(rand.Reader, 2048)
	k2, _ := rsa.GenerateKey(rand.Reader, 2048)
	var rotated atomic.Bool
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys := map[string]*rsa.PrivateKey{"k1": k1}
		if rotated.Load() {
			time.Sleep(50 * time.Millisecond) // a slow answer, not a wait for an event
			keys["k2"] = k2
		}
		var out []map[string]string
		for kid, k := range keys {
			out = append(out, map[string]string{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
				"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
				"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": out})
	}))
	defer jwks.Close()
	const tenant, aud = "72f988bf-0000-0000-0000-000000000000", "api://dumpflow-ingest"
	auth, err := NewJWTAuth(JWTConfig{Tenant: tenant, Audience: aud, JWKSURL: jwks.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": "https://login.microsoftonline.com/" + tenant + "/v2.0",
		"aud": aud, "tid": tenant, "azp": "client-1", "exp": time.Now().Add(time.Hour).Unix()})
	tok.Header["kid"] = "k2"
	s, err := tok.SignedString(k2)
	if err != nil {
		t.Fatal(err)
	}
	rotated.Store(true)
	r := httptest.NewRequest(http.MethodPost, "/v1/alerts", nil)
	r.Header.Set("Authorization", "Bearer "+s)
	if _, err := auth.Authenticate(r); err != nil {
		t.Fatalf("k2 behind a 50 ms refetch: %v", err)
	}
}
