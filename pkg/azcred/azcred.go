// Package azcred provides the Azure credential the binaries use — the
// azidentity default chain — with failures a person can read in one line.
//
// azidentity reports a failed chain as a dozen lines, one per credential
// tried, with links. A person at a terminal needs which credentials were
// tried and how to get one; the full text stays available through
// errors.Unwrap for logs that want it.
package azcred

import (
	"context"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Hint is how to get a credential, said after every failure.
const Hint = "sign in with `az login` on a workstation, or give the process a managed identity " +
	"(AZURE_CLIENT_ID selects a user-assigned one); for a local simulator use --auth none"

// Default returns azidentity's default credential chain, wrapped so that
// its token errors are one line (see Error).
func Default() (azcore.TokenCredential, error) {
	c, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, &Error{err: err}
	}
	return Wrap(c), nil
}

// Wrap returns c with its token errors made one line.
func Wrap(c azcore.TokenCredential) azcore.TokenCredential { return oneLine{c} }

type oneLine struct{ c azcore.TokenCredential }

func (o oneLine) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	t, err := o.c.GetToken(ctx, opts)
	if err != nil && ctx.Err() == nil {
		return t, &Error{err: err}
	}
	return t, err
}

// Error is a credential failure: Error() is one line naming the
// credentials tried and the fix; Unwrap gives azidentity's full error.
type Error struct{ err error }

func (e *Error) Unwrap() error { return e.err }

func (e *Error) Error() string {
	msg := e.err.Error()
	first, rest, _ := strings.Cut(msg, "\n")
	var tried []string
	for _, line := range strings.Split(rest, "\n") {
		line = strings.TrimSpace(line)
		if name, _, ok := strings.Cut(line, ":"); ok && strings.HasSuffix(name, "Credential") && !strings.Contains(name, " ") {
			tried = append(tried, name)
		}
	}
	first = strings.TrimSuffix(strings.TrimSpace(first), ".")
	if len(tried) > 0 {
		return fmt.Sprintf("no Azure credential worked (tried %s): %s", strings.Join(tried, ", "), Hint)
	}
	return fmt.Sprintf("Azure credential: %s: %s", first, Hint)
}
