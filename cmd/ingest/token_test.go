package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 22 point 7: the webhook secret was a flag, although secrets never
// go in flags (a command line is visible to every user of the machine).
// --webhook-token still works, as docs/contracts.md promises, but warns;
// the secret comes from DUMPFLOW_WEBHOOK_TOKEN or --webhook-token-file.
func TestWebhookTokenFlagIsDeprecated(t *testing.T) {
	t.Setenv("DUMPFLOW_WEBHOOK_TOKEN", "")
	missing := filepath.Join(t.TempDir(), "missing.json") // serve stops at the config, after the token
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"serve", "--config", missing, "--webhook-token", "0123456789abcdef0123"}, &bytes.Buffer{}, &stderr)
	if err == nil || strings.Contains(err.Error(), "every endpoint is authenticated") {
		t.Fatalf("the flag's token was not taken: %v", err)
	}
	for _, want := range []string{"--webhook-token is deprecated", "DUMPFLOW_WEBHOOK_TOKEN", "--webhook-token-file"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("no %q in the warning:\n%s", want, stderr.String())
		}
	}

	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	err = run(context.Background(), []string{"serve", "--config", missing, "--webhook-token-file", file}, &bytes.Buffer{}, &stderr)
	if err == nil || strings.Contains(err.Error(), "authenticated") || strings.Contains(stderr.String(), "deprecated") {
		t.Fatalf("--webhook-token-file: %v\n%s", err, stderr.String())
	}
	err = run(context.Background(), []string{"serve", "--config", missing, "--webhook-token-file", filepath.Join(t.TempDir(), "none")}, &bytes.Buffer{}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "--webhook-token-file") {
		t.Fatalf("unreadable token file: %v", err)
	}
}
