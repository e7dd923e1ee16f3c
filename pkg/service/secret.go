package service

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxSecretFile bounds a secret file: secrets are short.
const maxSecretFile = 64 << 10

// ReadSecretFile reads a secret from path (for example a mounted
// Kubernetes or Key Vault secret), without surrounding whitespace. Secrets
// belong in files or the environment, never in flags: a command line is
// visible to every user of the machine (ps, /proc/PID/cmdline).
func ReadSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading secret: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("reading secret %s: %w", path, err)
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("reading secret %s: larger than %d bytes", path, maxSecretFile)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", errors.New("reading secret " + path + ": the file is empty")
	}
	return s, nil
}
