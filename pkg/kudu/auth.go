package kudu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Token scopes (docs/kudu.md).
const (
	// AppServiceScope is the dedicated App Service (Kudu/SCM) audience,
	// requested first.
	AppServiceScope = "https://appservice.azure.com/.default"
	// AppServiceScopeUSGov is the App Service audience in Azure US
	// Government: pass it to NewBearer there.
	AppServiceScopeUSGov = "https://appservice.azure.us/.default"
	// ARMScope is the Azure Resource Manager audience: the fallback for Kudu
	// and the audience for ARM itself.
	ARMScope = "https://management.azure.com/.default"
)

// Auth puts credentials on outgoing requests. The client calls it only for
// requests to the configured SCM or ARM host. Implementations are safe for
// concurrent use and never log or print the secrets they hold.
type Auth interface {
	// Authorize sets the Authorization header of req (for req's host only).
	Authorize(ctx context.Context, req *http.Request) error
	// Unauthorized is told that a request authorized by Authorize was
	// answered 401. It returns true when the next Authorize will send
	// different credentials (another token audience, a re-read secret), so
	// one retry is worthwhile.
	Unauthorized(req *http.Request) bool
}

// Bearer authorizes with Microsoft Entra tokens from an
// azcore.TokenCredential (for example azidentity.NewDefaultAzureCredential
// or a managed identity). For each host it asks for the scopes in order: the
// first one until that host answers 401, then the next, and sticks to the
// one that worked for that host. The choice is per host (each app has its
// own SCM host), never shared: one app refusing an audience does not change
// what other apps receive, and a host that refuses every audience is an
// error for that host alone. Tokens are cached per scope until tokenSlack
// before they expire (or their RefreshOn), since some credentials (Azure
// CLI) are slow to ask.
type Bearer struct {
	cred   azcore.TokenCredential
	scopes []string

	mu    sync.Mutex
	cache map[string]azcore.AccessToken // by scope
	hosts map[string]int                // scope index by lower-case host[:port]
}

// tokenSlack is how long before its expiry a cached token is renewed.
const tokenSlack = 5 * time.Minute

// NewBearer returns a Bearer for cred. With no scopes it uses
// AppServiceScope, then ARMScope. Use NewBearer(cred, ARMScope) for ARM.
func NewBearer(cred azcore.TokenCredential, scopes ...string) (*Bearer, error) {
	if cred == nil {
		return nil, errors.New("kudu: NewBearer: nil credential")
	}
	if len(scopes) == 0 {
		scopes = []string{AppServiceScope, ARMScope}
	}
	for _, s := range scopes {
		if s == "" {
			return nil, errors.New("kudu: NewBearer: empty scope")
		}
	}
	return &Bearer{cred: cred, scopes: append([]string(nil), scopes...), cache: map[string]azcore.AccessToken{}, hosts: map[string]int{}}, nil
}

// ScopeFor returns the scope currently used for host (as in URL.Host).
func (b *Bearer) ScopeFor(host string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.scopes[b.hosts[strings.ToLower(host)]]
}

// Authorize implements Auth.
func (b *Bearer) Authorize(ctx context.Context, req *http.Request) error {
	scope := b.ScopeFor(req.URL.Host)
	tok, err := b.token(ctx, scope)
	if err != nil {
		return fmt.Errorf("kudu: getting a token for %s: %w", scope, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// token returns a cached token for scope or asks the credential.
func (b *Bearer) token(ctx context.Context, scope string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if t, ok := b.cache[scope]; ok && now.Before(t.ExpiresOn.Add(-tokenSlack)) &&
		(t.RefreshOn.IsZero() || now.Before(t.RefreshOn)) {
		return t.Token, nil
	}
	t, err := b.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		return "", err
	}
	if t.Token == "" {
		return "", errors.New("the credential returned an empty token")
	}
	b.cache[scope] = t
	return t.Token, nil
}

// Unauthorized implements Auth: after a 401 from a host it moves that host
// to the next scope, if any. A request sent with an older scope than the
// host's current one (concurrent requests) also reports true, so it is
// retried with the current scope.
func (b *Bearer) Unauthorized(req *http.Request) bool {
	host := strings.ToLower(req.URL.Host)
	sent := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
	b.mu.Lock()
	defer b.mu.Unlock()
	cur := b.hosts[host]
	for i := 0; i < cur; i++ {
		if t, ok := b.cache[b.scopes[i]]; ok && t.Token == sent {
			return true
		}
	}
	if cur+1 >= len(b.scopes) {
		// Refused with every audience: perhaps a revoked token. Drop it so
		// the next request asks the credential again, then give up.
		if t, ok := b.cache[b.scopes[cur]]; ok && t.Token == sent {
			delete(b.cache, b.scopes[cur])
		}
		return false
	}
	b.hosts[host] = cur + 1
	return true
}

// String never shows a token.
func (b *Bearer) String() string {
	return fmt.Sprintf("Bearer(scopes=%s)", strings.Join(b.scopes, ","))
}

// LogValue implements slog.LogValuer without secrets.
func (b *Bearer) LogValue() slog.Value { return slog.StringValue(b.String()) }

// Basic authorizes with publishing (basic-auth) credentials, for apps that
// still allow them. The user name is not secret ("$app", "$app__slot"); the
// password comes from a SecretSource, read on first use and cached until a
// 401 answer, after which it is read again once (a rotated password).
type Basic struct {
	user   string
	source SecretSource

	mu       sync.Mutex
	password string
	loaded   bool
}

// NewBasic returns a Basic for user with the password from source.
func NewBasic(user string, source SecretSource) (*Basic, error) {
	if user == "" {
		return nil, errors.New("kudu: NewBasic: empty user name")
	}
	if source == nil {
		return nil, errors.New("kudu: NewBasic: nil secret source")
	}
	return &Basic{user: user, source: source}, nil
}

// Authorize implements Auth.
func (b *Basic) Authorize(ctx context.Context, req *http.Request) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.loaded {
		pw, err := b.source.Secret(ctx)
		if err != nil {
			return fmt.Errorf("kudu: reading the publishing password from %s: %w", b.source, err)
		}
		b.password, b.loaded = pw, true
	}
	req.SetBasicAuth(b.user, b.password)
	return nil
}

// Unauthorized implements Auth: it forgets the cached password so the next
// Authorize reads it again, and reports true once per cached value.
func (b *Basic) Unauthorized(*http.Request) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	was := b.loaded
	b.loaded, b.password = false, ""
	return was
}

// String never shows the password.
func (b *Basic) String() string {
	return fmt.Sprintf("Basic(user=%s, password=REDACTED from %s)", b.user, b.source)
}

// LogValue implements slog.LogValuer without secrets.
func (b *Basic) LogValue() slog.Value { return slog.StringValue(b.String()) }
