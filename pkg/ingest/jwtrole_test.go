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
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The attack of issue 22 point 7: Entra tokens were checked for issuer,
// audience and expiry only, so any identity of the tenant able to get a
// token for the audience could post alerts. With Role set, the token must
// carry that app role.
func TestJWTAuthRequiresTheRole(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "k1",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	}))
	defer jwks.Close()
	const tenant, aud = "72f988bf-0000-0000-0000-000000000000", "api://dumpflow-ingest"
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	auth, err := NewJWTAuth(JWTConfig{Tenant: tenant, Audience: aud, Role: "Alerts.Send", JWKSURL: jwks.URL, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	token := func(roles ...string) string {
		c := jwt.MapClaims{"iss": "https://login.microsoftonline.com/" + tenant + "/v2.0", "aud": aud, "tid": tenant,
			"azp": "client-1", "exp": now.Add(time.Hour).Unix()}
		if roles != nil {
			c["roles"] = roles
		}
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for name, tc := range map[string]struct {
		tok string
		ok  bool
	}{
		"no roles":    {token(), false},
		"other role":  {token("Reader"), false},
		"with role":   {token("Reader", "Alerts.Send"), true},
		"role prefix": {token("Alerts.Send.Extra"), false},
	} {
		r := httptest.NewRequest("POST", "/v1/alerts", nil)
		r.Header.Set("Authorization", "Bearer "+tc.tok)
		_, err := auth.Authenticate(r)
		if tc.ok != (err == nil) {
			t.Errorf("%s: err %v", name, err)
		}
		if err != nil && !strings.Contains(err.Error(), `lacks the app role "Alerts.Send"`) {
			t.Errorf("%s: reason %q does not name the role", name, err)
		}
	}
}
