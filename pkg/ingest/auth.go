package ingest

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// Authenticator authenticates an API request. Implementations are safe
// for concurrent use and never log or return the credential.
type Authenticator interface {
	// Authenticate returns the caller's identity (for logs and manual
	// triggers), or an error wrapping ErrUnauthenticated with a reason a
	// caller can act on.
	Authenticate(r *http.Request) (string, error)
}

// ErrUnauthenticated is wrapped by every authentication failure (HTTP 401).
var ErrUnauthenticated = errors.New("unauthenticated")

// AuthError is an authentication failure with its reason.
type AuthError struct {
	Reason string
	// Missing is true when the request carried no credential of this kind.
	Missing bool
}

func (e *AuthError) Error() string        { return e.Reason }
func (e *AuthError) Is(target error) bool { return target == ErrUnauthenticated }

// TokenHeader is the header carrying the shared webhook secret; TokenParam
// the query parameter (Azure action groups can only set the URL).
const (
	TokenHeader = "X-Dumpflow-Token"
	TokenParam  = "token"
)

// MinTokenLength is the shortest webhook secret NewTokenAuth accepts.
const MinTokenLength = 16

// TokenAuth checks a shared secret sent as the token query parameter or the
// X-Dumpflow-Token header, in constant time.
type TokenAuth struct {
	sum [sha256.Size]byte
}

// NewTokenAuth returns a TokenAuth for secret, which must be at least
// MinTokenLength bytes.
func NewTokenAuth(secret string) (*TokenAuth, error) {
	if len(secret) < MinTokenLength {
		return nil, errors.New("ingest: webhook token must be at least 16 characters")
	}
	return &TokenAuth{sum: sha256.Sum256([]byte(secret))}, nil
}

func (a *TokenAuth) Authenticate(r *http.Request) (string, error) {
	tok := r.Header.Get(TokenHeader)
	if tok == "" {
		tok = r.URL.Query().Get(TokenParam)
	}
	if tok == "" {
		return "", &AuthError{Missing: true, Reason: "authentication required: send the webhook token as the token query parameter or the X-Dumpflow-Token header"}
	}
	// Comparing digests keeps the comparison constant-time whatever the
	// length of the token sent.
	sum := sha256.Sum256([]byte(tok))
	if subtle.ConstantTimeCompare(sum[:], a.sum[:]) != 1 {
		return "", &AuthError{Reason: "invalid webhook token"}
	}
	return "webhook-token", nil
}

// AnyAuth accepts a request that any of its authenticators accepts. When
// all refuse, the error of the first that found a credential (else the
// first error) is returned.
type AnyAuth []Authenticator

func (as AnyAuth) Authenticate(r *http.Request) (string, error) {
	var first, specific error
	for _, a := range as {
		who, err := a.Authenticate(r)
		if err == nil {
			return who, nil
		}
		if first == nil {
			first = err
		}
		var ae *AuthError
		if specific == nil && (!errors.As(err, &ae) || !ae.Missing) {
			specific = err
		}
	}
	if specific != nil {
		return "", specific
	}
	if first == nil {
		first = &AuthError{Missing: true, Reason: "authentication required"}
	}
	if len(as) > 1 {
		return "", &AuthError{Missing: true, Reason: "authentication required: send the webhook token (token query parameter or X-Dumpflow-Token header) or an Entra ID bearer token"}
	}
	return "", first
}

// redactToken removes the token query parameter from a raw query, for logs.
// Keys are compared decoded, as net/url decodes them to authenticate
// (?%74oken= is the token too); a key that does not decode is redacted
// with its value, since what the server would make of it is unknown.
func redactToken(rawQuery string) string {
	if !strings.Contains(strings.ToLower(rawQuery), TokenParam) && !strings.Contains(rawQuery, "%") {
		return rawQuery
	}
	parts := strings.Split(rawQuery, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil || strings.EqualFold(dk, TokenParam) {
			parts[i] = k + "=REDACTED"
		}
	}
	return strings.Join(parts, "&")
}
