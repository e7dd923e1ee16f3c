package ingest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// The Entra ID tenant and audience the JWT tests' tokens are for.
const testTenant, testAudience = "72f988bf-0000-0000-0000-000000000000", "api://dumpflow-ingest"

// rsaKey is a fresh 2048-bit signing key.
func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// jwksServer serves, on every request, the public halves of the keys
// published returns (by key id) as a JWKS document, extras added to each
// key; it closes when the test ends.
func jwksServer(t testing.TB, extras map[string]string, published func() map[string]*rsa.PrivateKey) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys := []map[string]string{}
		for kid, k := range published() {
			key := map[string]string{"kty": "RSA", "kid": kid,
				"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
				"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
			for a, v := range extras {
				key[a] = v
			}
			keys = append(keys, key)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// signRS256 is a token of claims signed by k under key id kid.
func signRS256(t testing.TB, k *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
