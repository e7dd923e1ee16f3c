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

// TestRulesCheckSaysWhichSourceEachTriggerUses: a request trigger reads
// web server logs, and says what its metrics fallback cannot express.
func TestRulesCheckSaysWhichSourceEachTriggerUses(t *testing.T) {
	f := writeFile(t, "rules.json", `{"rules":[{"name":"slow-api","triggers":{
		"privateBytesInKB":1000,
		"slowRequestsWithPath":[{"timeTaken":"00:00:10","path":"/api/*","count":5,"timeInterval":"00:01:00"}],
		"statusCodes":[{"status":500,"subStatus":13,"count":1,"timeInterval":"00:01:00"}]},"action":{"kind":"log"}}]}`)
	var notes bytes.Buffer
	if err := run(context.Background(), []string{"rules", "check", f}, &bytes.Buffer{}, &notes); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"rule slow-api: privateBytesInKB from memory watch (Kudu process detail)\n",
		"rule slow-api: slowRequestsWithPath[0] from web server logs (W3C, per request): while the site logs to the file system",
		"rule slow-api: slowRequestsWithPath[0] otherwise from Azure Monitor metrics (per instance, per minute): never fires: metrics carry no request paths\n",
		"rule slow-api: statusCodes[0] from web server logs (W3C, per request)",
		"rule slow-api: statusCodes[0] otherwise from Azure Monitor metrics (per instance, per minute): never fires: metrics carry no sub-status or win32 status\n",
	}
	for _, w := range want {
		if !strings.Contains(notes.String(), w) {
			t.Errorf("stderr lacks %q:\n%s", w, notes.String())
		}
	}
	if strings.Contains(notes.String(), "privateBytesInKB otherwise") {
		t.Errorf("a memory trigger has no fallback:\n%s", notes.String())
	}
}

// TestServeSlowRequestsFromWebLogs runs ingest serve against a simulated
// app that writes web server logs: five slow requests on the rule's path
// make one incident, through the per-request source only (no ARM
// authentication, so no metrics).
func TestServeSlowRequestsFromWebLogs(t *testing.T) {
	srv, err := sim.New(sim.Config{Apps: 1, Instances: 1, WebLogs: sim.WebLogs{Apps: []string{"*"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	info := srv.Info()
	app := info.Apps[0]
	now := time.Now()
	for i := range 5 {
		// Four on the path would not be enough; one elsewhere does not count.
		path := "/api/orders/" + string(rune('a'+i))
		if err := srv.LogRequests(app.Name, app.Instances[0], sim.LoggedRequest{At: now, Path: path, Status: 200, TimeTaken: 12 * time.Second},
			sim.LoggedRequest{At: now, Path: "/home", Status: 200, TimeTaken: 30 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	sub := strings.Split(app.ResourceID, "/")[2]
	dir := t.TempDir()
	config := writeFile(t, "policies.json", `{"allow":{"subscriptions":["`+sub+`"]},"policies":[]}`)
	rules := writeFile(t, "rules.json", `{"rules":[{"name":"slow-orders","sites":["`+app.ResourceID+`"],"triggers":{
		"slowRequestsWithPath":[{"path":"/api/orders/*","timeTaken":"00:00:10","count":5,"timeInterval":"00:05:00"}]},
		"action":{"kind":"collect","dump_type":"mini"}}]}`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--config", config, "--rules", rules,
			"--queue", backend.FileURL(filepath.Join(dir, "q")), "--blob", backend.FileURL(filepath.Join(dir, "b")),
			"--webhook-token", "0123456789abcdef0123", "--arm-url", info.ARMURL, "--arm-auth=false",
			"--scm-url-template", info.SCMURLTemplate, "--rules-memory-poll", "50ms", "--rules-web-log-poll", "50ms",
			"--rules-evaluate", "50ms", "--log-level", "error"},
			&bytes.Buffer{}, &bytes.Buffer{})
	}()
	var m *messages.Manifest
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && m == nil {
		time.Sleep(100 * time.Millisecond)
		b, err := fileblob.Open(filepath.Join(dir, "b"))
		if err != nil {
			continue
		}
		list, _ := b.List(context.Background(), "incidents/")
		for _, a := range list {
			if strings.HasSuffix(a.Key, "/manifest.json") {
				rd, _, err := b.NewReader(context.Background(), a.Key)
				if err != nil {
					t.Fatal(err)
				}
				m = &messages.Manifest{}
				if err := json.NewDecoder(rd).Decode(m); err != nil {
					t.Fatal(err)
				}
				rd.Close()
			}
		}
		b.Close()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if m == nil {
		t.Fatal("no incident from the web server logs within 20 s")
	}
	if m.Trigger.Kind != "rule" || m.Trigger.Rule != "slow-orders" || len(m.Jobs) != 1 || !strings.Contains(m.Trigger.Reason, "5 requests slower than 00:00:10") {
		t.Fatalf("manifest trigger %+v, %d jobs", m.Trigger, len(m.Jobs))
	}
}
