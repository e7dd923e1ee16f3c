package main

import (
	"flag"
	"fmt"
	"log/slog"

	"github.com/dumpflow/dumpflow/pkg/ingest"
	"github.com/dumpflow/dumpflow/pkg/service"
)

// authFlags are serve's API authentication flags: the shared webhook
// secret and Entra ID bearer tokens.
type authFlags struct {
	token, tokenFile                string
	tenant, audience, role, jwksURL string
}

func (a *authFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.token, "webhook-token", "", "DEPRECATED (a secret in a flag is visible to every user of the machine): set $DUMPFLOW_WEBHOOK_TOKEN or --webhook-token-file")
	fs.StringVar(&a.tokenFile, "webhook-token-file", "", "file holding the shared webhook secret (at least 16 characters); or set $DUMPFLOW_WEBHOOK_TOKEN")
	fs.StringVar(&a.tenant, "entra-tenant", "", "accept Entra ID bearer tokens issued by this tenant id")
	fs.StringVar(&a.audience, "entra-audience", "", "required audience of Entra ID tokens")
	fs.StringVar(&a.role, "entra-role", "", "app role Entra ID tokens must carry in their roles claim (empty: any identity of the tenant with a token for the audience)")
	fs.StringVar(&a.jwksURL, "entra-jwks-url", "", "JWKS URL for Entra ID signing keys (default: the tenant's discovery keys)")
}

// build returns the authenticator the flags describe and a func that
// stops its background work. tokenOnCommandLine says whether
// --webhook-token was given as a flag (deprecated, warned on log) rather
// than filled from DUMPFLOW_WEBHOOK_TOKEN. Every mistake is a usage error.
func (a *authFlags) build(tokenOnCommandLine bool, log *slog.Logger) (ingest.Authenticator, func(), error) {
	if tokenOnCommandLine {
		log.Warn("--webhook-token is deprecated and will be removed: a secret on the command line is visible to every user of the machine; set DUMPFLOW_WEBHOOK_TOKEN or --webhook-token-file instead")
	}
	token := a.token
	if a.tokenFile != "" {
		if tokenOnCommandLine {
			return nil, nil, fmt.Errorf("%w: --webhook-token and --webhook-token-file are both set; keep --webhook-token-file", errUsage)
		}
		var err error
		if token, err = service.ReadSecretFile(a.tokenFile); err != nil {
			return nil, nil, fmt.Errorf("%w: --webhook-token-file: %v", errUsage, err)
		}
	}
	var auths ingest.AnyAuth
	closeAll := func() {}
	if token != "" {
		ta, err := ingest.NewTokenAuth(token)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		auths = append(auths, ta)
	}
	if a.tenant != "" {
		ja, err := ingest.NewJWTAuth(ingest.JWTConfig{Tenant: a.tenant, Audience: a.audience, Role: a.role, JWKSURL: a.jwksURL})
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		closeAll = ja.Close
		auths = append(auths, ja)
	}
	if len(auths) == 0 {
		return nil, nil, fmt.Errorf("%w: every endpoint is authenticated: set DUMPFLOW_WEBHOOK_TOKEN (or --webhook-token-file) or --entra-tenant", errUsage)
	}
	return auths, closeAll, nil
}
