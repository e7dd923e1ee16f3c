package ingest

import (
	"crypto/rsa"
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
	key := rsaKey(t)
	jwks := jwksServer(t, nil, func() map[string]*rsa.PrivateKey { return map[string]*rsa.PrivateKey{"k1": key} })
	const tenant, aud = testTenant, testAudience
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
		return signRS256(t, key, "k1", c)
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
