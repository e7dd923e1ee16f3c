package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/backend"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// incident is a manifest ingest wrote and its blob key.
type incident struct {
	key string
	m   messages.Manifest
}

// serveUntilIncident runs ingest serve with rulesJSON against the
// simulator's first app (its subscription allowed, no ARM authentication)
// until incidents appear or wait passes, stops it, and returns the
// incidents found at the first look that found any (none after wait).
func serveUntilIncident(t *testing.T, info sim.Info, rulesJSON string, wait time.Duration, flags ...string) []incident {
	t.Helper()
	sub := strings.Split(info.Apps[0].ResourceID, "/")[2]
	dir := t.TempDir()
	config := writeFile(t, "policies.json", `{"allow":{"subscriptions":["`+sub+`"]},"policies":[]}`)
	rules := writeFile(t, "rules.json", rulesJSON)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--config", config, "--rules", rules,
		"--queue", backend.FileURL(filepath.Join(dir, "q")), "--blob", backend.FileURL(filepath.Join(dir, "b")),
		"--webhook-token", "0123456789abcdef0123", "--arm-url", info.ARMURL, "--arm-auth=false",
		"--scm-url-template", info.SCMURLTemplate, "--log-level", "error"}, flags...)
	go func() { done <- run(ctx, args, &bytes.Buffer{}, &bytes.Buffer{}) }()
	var found []incident
	for deadline := time.Now().Add(wait); time.Now().Before(deadline) && len(found) == 0; {
		time.Sleep(100 * time.Millisecond)
		found = incidents(t, filepath.Join(dir, "b"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	return found
}

// incidents reads every manifest under incidents/ of a file blob store.
func incidents(t *testing.T, dir string) []incident {
	t.Helper()
	b, err := fileblob.Open(dir)
	if err != nil {
		return nil // not created yet
	}
	defer b.Close()
	list, _ := b.List(context.Background(), "incidents/")
	var out []incident
	for _, a := range list {
		if !strings.HasSuffix(a.Key, "/manifest.json") {
			continue
		}
		rd, _, err := b.NewReader(context.Background(), a.Key)
		if err != nil {
			t.Fatal(err)
		}
		var m messages.Manifest
		err = json.NewDecoder(rd).Decode(&m)
		rd.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, incident{a.Key, m})
	}
	return out
}
