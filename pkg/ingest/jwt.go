package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
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
// Signing keys come from the JWKS URL through keyfunc/jwkset: fetched when
// the JWTAuth is made, refreshed every hour in the background, and fetched
// again (at most once a minute) when a token names an unknown key id. A
// request never waits for a fetch another request started. Close stops the
// background refresh.
type JWTAuth struct {
	cfg     JWTConfig
	issuers []string
	keys    keyfunc.Keyfunc
	stop    context.CancelFunc
	// unknownKID allows one refetch a minute for a token whose key id is
	// not in the set; a token that finds no allowance is refused at once.
	unknownKID *rate.Limiter
}

// NewJWTAuth validates cfg and returns a JWTAuth; call Close when done.
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
	ctx, stop := context.WithCancel(context.Background())
	keys, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{cfg.JWKSURL}, keyfunc.Override{
		Client:          cfg.Client,
		RefreshInterval: time.Hour,
		// jwkset bounds its wait for this limiter and the refetch itself by
		// the same RateLimitWaitMax context, so a short wait would cut the
		// fetch short too (a refetch from Entra ID never fits in 1 ms).
		// Its limiter therefore never waits, and unknownKID below decides
		// which request may refetch; that request's fetch is bounded by
		// Client's timeout.
		RefreshUnknownKID: rate.NewLimiter(rate.Inf, 1),
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				slog.Default().WarnContext(ctx, "ingest: fetching the Entra ID signing keys failed", "url", u, "err", err)
			}
		},
	})
	if err != nil {
		stop()
		return nil, fmt.Errorf("ingest: Entra ID signing keys from %s: %w", cfg.JWKSURL, err)
	}
	return &JWTAuth{cfg: cfg, keys: keys, stop: stop, unknownKID: rate.NewLimiter(rate.Every(time.Minute), 1), issuers: []string{
		"https://login.microsoftonline.com/" + cfg.Tenant + "/v2.0",
		"https://sts.windows.net/" + cfg.Tenant + "/",
	}}, nil
}

// Close stops the background refresh of the signing keys.
func (a *JWTAuth) Close() { a.stop() }

// keyfunc is keyfunc's lookup, a key it cannot give said in one line: a
// key id not in the set (also when a refetch for it was refused because
// one ran less than a minute ago).
func (a *JWTAuth) keyfunc(ctx context.Context) jwt.Keyfunc {
	kf := a.keys.KeyfuncCtx(ctx)
	return func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if !a.known(ctx, kid) && !a.unknownKID.Allow() {
			return nil, fmt.Errorf("unknown signing key %q", kid)
		}
		k, err := kf(t)
		if err != nil && (errors.Is(err, jwkset.ErrKeyNotFound) || !a.known(ctx, kid)) {
			return nil, fmt.Errorf("unknown signing key %q", kid)
		}
		return k, err
	}
}

// known reports whether the key set holds kid, without fetching.
func (a *JWTAuth) known(ctx context.Context, kid string) bool {
	all, err := a.keys.Storage().KeyReadAll(ctx)
	if err != nil {
		return false
	}
	for _, k := range all {
		if k.Marshal().KID == kid {
			return true
		}
	}
	return false
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
	_, err := jwt.ParseWithClaims(raw, &c, a.keyfunc(r.Context()), jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience(a.cfg.Audience), jwt.WithExpirationRequired(),
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
