package azcred

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

type failing struct{ err error }

func (f failing) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, f.err
}

// TestChainFailureIsOneLine: the text azidentity gives for a failed
// chain becomes one line naming what was tried and the fix.
func TestChainFailureIsOneLine(t *testing.T) {
	chain := errors.New("DefaultAzureCredential: failed to acquire a token.\nAttempted credentials:\n" +
		"\tEnvironmentCredential: missing environment variable AZURE_TENANT_ID\n" +
		"\tWorkloadIdentityCredential: no client ID specified. Check pod configuration or set ClientID in the options\n" +
		"\tManagedIdentityCredential: managed identity timed out. See https://aka.ms/azsdk/go/identity/troubleshoot#dac for more information\n" +
		"\tAzureCLICredential: Azure CLI not found on path\n" +
		"\tAzureDeveloperCLICredential: Azure Developer CLI not found on path")
	_, err := Wrap(failing{chain}).GetToken(context.Background(), policy.TokenRequestOptions{})
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Fatalf("not one line: %q", msg)
	}
	for _, want := range []string{"tried EnvironmentCredential, WorkloadIdentityCredential, ManagedIdentityCredential, AzureCLICredential, AzureDeveloperCLICredential", "az login", "--auth none"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if !errors.Is(err, chain) {
		t.Error("the full error is lost")
	}
}

// TestRealChainWithoutCredentials runs a real azidentity chain of the
// credentials that need no network (environment, Azure CLI) on a machine
// with neither: azidentity's own text reaches the person in one line.
// (The default chain also probes the managed identity endpoint, a
// non-loopback address, which tests must never contact.)
func TestRealChainWithoutCredentials(t *testing.T) {
	for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_USERNAME", "AZURE_CLIENT_CERTIFICATE_PATH"} {
		t.Setenv(k, "")
	}
	t.Setenv("PATH", t.TempDir()) // no az
	var creds []azcore.TokenCredential
	if env, err := azidentity.NewEnvironmentCredential(nil); err == nil {
		creds = append(creds, env)
	}
	cli, err := azidentity.NewAzureCLICredential(nil)
	if err != nil {
		t.Fatal(err)
	}
	creds = append(creds, cli)
	chain, err := azidentity.NewChainedTokenCredential(creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Wrap(chain).GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	if err == nil {
		t.Fatal("a token without any credential")
	}
	if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "AzureCLICredential") || !strings.Contains(err.Error(), "az login") {
		t.Fatalf("%q", err)
	}
}
