package servicebus

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/dumpflow/dumpflow/pkg/azcred"
)

// EnvConnectionString names the environment variable that, when set,
// supplies a Service Bus connection string (local development) instead of
// an Azure AD credential.
const EnvConnectionString = "DUMPFLOW_SERVICEBUS_CONNECTION_STRING"

// OpenURL opens the queue name in the namespace of a URL of the form
//
//	sb://NAMESPACE.servicebus.windows.net[/NAME][?client_id=CLIENT_ID]
//
// The URL's path, if any, must be the queue name itself (so that
// sb://ns.servicebus.windows.net/captures and the name "captures" agree);
// normally it is empty and name chooses the queue.
//
// Credentials, first match wins:
//   - env DUMPFLOW_SERVICEBUS_CONNECTION_STRING: a connection string
//     (Endpoint=sb://HOST/;SharedAccessKeyName=…;SharedAccessKey=…). Its
//     host must equal the URL's, so a secret never goes to another host.
//   - ?client_id=ID: the user-assigned managed identity with that client ID.
//   - otherwise azidentity.DefaultAzureCredential (environment, workload
//     identity, managed identity, Azure CLI, …).
//
// The Queue owns the client it creates and closes it on Close. ctx is
// unused: the SDK connects lazily, on the first operation.
func OpenURL(ctx context.Context, u *url.URL, name string) (*Queue, error) {
	_ = ctx
	host, clientID, err := parseURL(u, name)
	if err != nil {
		return nil, err
	}
	var client *azservicebus.Client
	if cs := os.Getenv(EnvConnectionString); cs != "" {
		if clientID != "" {
			return nil, fmt.Errorf("servicebus: both %s and client_id are set; use one", EnvConnectionString)
		}
		csHost, err := connectionStringHost(cs)
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(csHost, host) {
			return nil, fmt.Errorf("servicebus: %s is for host %q, but the URL names %q", EnvConnectionString, csHost, host)
		}
		if client, err = azservicebus.NewClientFromConnectionString(cs, nil); err != nil {
			return nil, fmt.Errorf("servicebus: client from %s: %w", EnvConnectionString, err)
		}
	} else {
		var cred azcore.TokenCredential
		if clientID != "" {
			cred, err = azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: azidentity.ClientID(clientID)})
		} else {
			cred, err = azidentity.NewDefaultAzureCredential(nil)
		}
		if err != nil {
			return nil, fmt.Errorf("servicebus: credential: %w", err)
		}
		if client, err = azservicebus.NewClient(host, azcred.Wrap(cred), nil); err != nil {
			return nil, fmt.Errorf("servicebus: client for %s: %w", host, err)
		}
	}
	q, err := New(client, name)
	if err != nil {
		_ = client.Close(context.Background())
		return nil, err
	}
	q.closeClient = client.Close
	return q, nil
}

// parseURL checks an sb:// URL and returns its host and client_id.
func parseURL(u *url.URL, name string) (host, clientID string, err error) {
	if u == nil {
		return "", "", errors.New("servicebus: nil URL")
	}
	if u.Scheme != "sb" {
		return "", "", fmt.Errorf("servicebus: URL scheme %q, want sb", u.Scheme)
	}
	if u.Host == "" || u.User != nil || u.Port() != "" {
		return "", "", fmt.Errorf("servicebus: URL %q: want sb://NAMESPACE.servicebus.windows.net", u.Redacted())
	}
	if name == "" {
		return "", "", errors.New("servicebus: empty queue name")
	}
	if p := strings.Trim(u.Path, "/"); p != "" && p != name {
		return "", "", fmt.Errorf("servicebus: URL path %q names another queue than %q", u.Path, name)
	}
	for k, v := range u.Query() {
		if k != "client_id" {
			return "", "", fmt.Errorf("servicebus: unknown URL option %q (known: client_id)", k)
		}
		if len(v) != 1 || v[0] == "" {
			return "", "", errors.New("servicebus: client_id needs exactly one non-empty value")
		}
		clientID = v[0]
	}
	return u.Host, clientID, nil
}

// connectionStringHost returns the host of a connection string's
// Endpoint.
func connectionStringHost(cs string) (string, error) {
	for part := range strings.SplitSeq(cs, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !strings.EqualFold(k, "Endpoint") {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("servicebus: %s: bad Endpoint", EnvConnectionString)
		}
		return u.Host, nil
	}
	return "", fmt.Errorf("servicebus: %s has no Endpoint", EnvConnectionString)
}
