package ingest

import (
	"crypto/rsa"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestJWTAuth(t *testing.T) {
	key, other := rsaKey(t), rsaKey(t)
	jwks := jwksServer(t, nil, func() map[string]*rsa.PrivateKey { return map[string]*rsa.PrivateKey{"k1": key} })
	const tenant, aud = testTenant, testAudience
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	auth, err := NewJWTAuth(JWTConfig{Tenant: tenant, Audience: aud, JWKSURL: jwks.URL, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	sign := func(k *rsa.PrivateKey, kid string, claims jwt.MapClaims) string { return signRS256(t, k, kid, claims) }
	good := jwt.MapClaims{"iss": "https://login.microsoftonline.com/" + tenant + "/v2.0", "aud": aud, "tid": tenant,
		"azp": "client-1", "exp": now.Add(time.Hour).Unix(), "nbf": now.Add(-time.Minute).Unix()}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for a, b := range good {
			c[a] = b
		}
		c[k] = v
		return c
	}
	tests := []struct {
		name, header, wantErr, wantWho string
	}{
		{"valid", "Bearer " + sign(key, "k1", good), "", "entra:client-1"},
		{"missing", "", "authentication required: send an Entra ID bearer token", ""},
		{"wrong audience", "Bearer " + sign(key, "k1", with("aud", "api://other")), "invalid Entra ID token: token has invalid claims: token has invalid audience", ""},
		{"expired", "Bearer " + sign(key, "k1", with("exp", now.Add(-time.Hour).Unix())), "invalid Entra ID token: token has invalid claims: token is expired", ""},
		{"other tenant", "Bearer " + sign(key, "k1", with("iss", "https://sts.windows.net/evil/")), `invalid Entra ID token: issuer "https://sts.windows.net/evil/" is not tenant ` + tenant, ""},
		{"wrong key", "Bearer " + sign(other, "k1", good), "invalid Entra ID token: token signature is invalid: crypto/rsa: verification error", ""},
		{"unknown kid", "Bearer " + sign(key, "k9", good), `invalid Entra ID token: token is unverifiable: error while executing keyfunc: unknown signing key "k9"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/alerts", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			who, err := auth.Authenticate(r)
			if tt.wantErr == "" {
				if err != nil || who != tt.wantWho {
					t.Fatalf("got %q, %v", who, err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error %v\nwant  %s", err, tt.wantErr)
			}
		})
	}
	// Combined with the token: a bad bearer token is reported, not "missing".
	ta, _ := NewTokenAuth(testToken)
	r := httptest.NewRequest("POST", "/v1/alerts", nil)
	r.Header.Set("Authorization", "Bearer garbage")
	if _, err := (AnyAuth{ta, auth}).Authenticate(r); err == nil || !strings.HasPrefix(err.Error(), "invalid Entra ID token") {
		t.Errorf("AnyAuth: %v", err)
	}
}
