package ingest

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// JWTConfig configures Entra ID bearer-token authentication.
type JWTConfig struct {
	// Tenant is the Entra ID tenant id whose tokens are accepted (required).
	Tenant string
	// Audience is the required "aud" claim: the app registration's
	// application id URI or client id (required).
	Audience string
	// JWKSURL serves the signing keys (default: the tenant's
	// https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys).
	JWKSURL string
	// Role, when set, is an app role the token must carry in its "roles"
	// claim (assigned to the caller's service principal in Entra ID), so
	// that not every identity of the tenant that can get a token for the
	// audience may post. Empty: no role required.
	Role string
	// Client fetches the keys (default: 10 s timeout).
	Client *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// JWTAuth accepts Entra ID access tokens (RS256) sent as
// "Authorization: Bearer …", checking signature, issuer (the tenant's v1 or
// v2 issuer), audience, expiry and not-before with two minutes of leeway.
// Signing keys are fetched from the JWKS URL and refetched (at most once a
// minute) when a token names an unknown key id.
type JWTAuth struct {
	cfg     JWTConfig
	issuers []string

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

// NewJWTAuth validates cfg and returns a JWTAuth. Keys are fetched on
// first use.
func NewJWTAuth(cfg JWTConfig) (*JWTAuth, error) {
	if cfg.Tenant == "" || strings.ContainsAny(cfg.Tenant, "/?#") {
		return nil, errors.New("ingest: Entra ID tenant id required")
	}
	if cfg.Audience == "" {
		return nil, errors.New("ingest: Entra ID audience required")
	}
	if cfg.JWKSURL == "" {
		cfg.JWKSURL = "https://login.microsoftonline.com/" + cfg.Tenant + "/discovery/v2.0/keys"
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &JWTAuth{cfg: cfg, keys: map[string]*rsa.PublicKey{}, issuers: []string{
		"https://login.microsoftonline.com/" + cfg.Tenant + "/v2.0",
		"https://sts.windows.net/" + cfg.Tenant + "/",
	}}, nil
}

type entraClaims struct {
	jwt.RegisteredClaims
	TenantID string   `json:"tid"`
	AppID    string   `json:"appid"`
	AZP      string   `json:"azp"`
	OID      string   `json:"oid"`
	Roles    []string `json:"roles"`
}

func (a *JWTAuth) Authenticate(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || raw == "" {
		return "", &AuthError{Missing: true, Reason: "authentication required: send an Entra ID bearer token"}
	}
	var c entraClaims
	_, err := jwt.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return a.key(r.Context(), kid)
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience(a.cfg.Audience), jwt.WithExpirationRequired(),
		jwt.WithLeeway(2*time.Minute), jwt.WithTimeFunc(a.cfg.Now))
	if err != nil {
		return "", &AuthError{Reason: "invalid Entra ID token: " + err.Error()}
	}
	okIss := false
	for _, iss := range a.issuers {
		if c.Issuer == iss {
			okIss = true
		}
	}
	if !okIss || (c.TenantID != "" && c.TenantID != a.cfg.Tenant) {
		return "", &AuthError{Reason: fmt.Sprintf("invalid Entra ID token: issuer %q is not tenant %s", c.Issuer, a.cfg.Tenant)}
	}
	if a.cfg.Role != "" && !slices.Contains(c.Roles, a.cfg.Role) {
		return "", &AuthError{Reason: fmt.Sprintf("Entra ID token of %s lacks the app role %q: assign it to the caller in the app registration", first(c.AppID, c.AZP, c.OID, c.Subject), a.cfg.Role)}
	}
	return "entra:" + first(c.AppID, c.AZP, c.OID, c.Subject), nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return "unknown"
}

// key returns the signing key kid, refetching the JWKS when unknown.
func (a *JWTAuth) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if k, ok := a.keys[kid]; ok {
		return k, nil
	}
	if a.cfg.Now().Sub(a.fetched) < time.Minute {
		return nil, fmt.Errorf("unknown signing key %q", kid)
	}
	a.fetched = a.cfg.Now()
	keys, err := a.fetch(ctx)
	if err != nil {
		return nil, err
	}
	a.keys = keys
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown signing key %q", kid)
}

func (a *JWTAuth) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.cfg.JWKSURL, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	resp, err := a.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: HTTP %d", resp.StatusCode)
	}
	var set struct {
		Keys []struct {
			Kty, Kid, N, E string
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	out := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			continue
		}
		out[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return out, nil
}
