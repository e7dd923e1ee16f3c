package kudu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// maxSecretFile bounds a password file.
const maxSecretFile = 64 << 10

// SecretSource yields a secret (a publishing password) from somewhere other
// than configuration text. String describes where, never what.
type SecretSource interface {
	Secret(ctx context.Context) (string, error)
	String() string
}

// SecretFromEnv reads the secret from environment variable name.
func SecretFromEnv(name string) SecretSource { return envSecret(name) }

type envSecret string

func (e envSecret) Secret(context.Context) (string, error) {
	v, ok := os.LookupEnv(string(e))
	if !ok || v == "" {
		return "", fmt.Errorf("environment variable %s is unset or empty", string(e))
	}
	return v, nil
}

func (e envSecret) String() string { return "env " + string(e) }

// SecretFromFile reads the secret from a file (for example a mounted
// Kubernetes secret); one trailing newline is dropped.
func SecretFromFile(path string) SecretSource { return fileSecret(path) }

type fileSecret string

func (f fileSecret) Secret(context.Context) (string, error) {
	fh, err := os.Open(string(f))
	if err != nil {
		return "", err
	}
	defer fh.Close()
	buf := make([]byte, maxSecretFile+1)
	n, err := fh.Read(buf)
	if err != nil && n == 0 {
		return "", fmt.Errorf("reading %s: %w", string(f), err)
	}
	if n > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d bytes", string(f), maxSecretFile)
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(buf[:n]), "\n"), "\r")
	if s == "" {
		return "", fmt.Errorf("%s is empty", string(f))
	}
	return s, nil
}

func (f fileSecret) String() string { return "file " + string(f) }

// SecretGetter is the part of *azsecrets.Client that SecretFromKeyVault
// uses; tests fake it.
type SecretGetter interface {
	GetSecret(ctx context.Context, name, version string, opts *azsecrets.GetSecretOptions) (azsecrets.GetSecretResponse, error)
}

var _ SecretGetter = (*azsecrets.Client)(nil)

// SecretFromKeyVault reads secret name (version "" = latest) from Azure Key
// Vault through client, e.g. azsecrets.NewClient(vaultURL, cred, nil).
func SecretFromKeyVault(client SecretGetter, name, version string) SecretSource {
	return &kvSecret{client: client, name: name, version: version}
}

type kvSecret struct {
	client        SecretGetter
	name, version string
}

func (k *kvSecret) Secret(ctx context.Context) (string, error) {
	if k.client == nil {
		return "", errors.New("nil Key Vault client")
	}
	resp, err := k.client.GetSecret(ctx, k.name, k.version, nil)
	if err != nil {
		return "", fmt.Errorf("Key Vault secret %s: %w", k.name, err)
	}
	if resp.Value == nil || *resp.Value == "" {
		return "", fmt.Errorf("Key Vault secret %s has no value", k.name)
	}
	return *resp.Value, nil
}

func (k *kvSecret) String() string { return "Key Vault secret " + k.name }
