package ingest

import (
	"crypto/rsa"
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
	k1, k2 := rsaKey(t), rsaKey(t)
	var rotated atomic.Bool
	jwks := jwksServer(t, map[string]string{"alg": "RS256", "use": "sig"}, func() map[string]*rsa.PrivateKey {
		keys := map[string]*rsa.PrivateKey{"k1": k1}
		if rotated.Load() {
			time.Sleep(50 * time.Millisecond) // a slow answer, not a wait for an event
			keys["k2"] = k2
		}
		return keys
	})
	const tenant, aud = testTenant, testAudience
	auth, err := NewJWTAuth(JWTConfig{Tenant: tenant, Audience: aud, JWKSURL: jwks.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	s := signRS256(t, k2, "k2", jwt.MapClaims{"iss": "https://login.microsoftonline.com/" + tenant + "/v2.0",
		"aud": aud, "tid": tenant, "azp": "client-1", "exp": time.Now().Add(time.Hour).Unix()})
	rotated.Store(true)
	r := httptest.NewRequest(http.MethodPost, "/v1/alerts", nil)
	r.Header.Set("Authorization", "Bearer "+s)
	if _, err := auth.Authenticate(r); err != nil {
		t.Fatalf("k2 behind a 50 ms refetch: %v", err)
	}
}
