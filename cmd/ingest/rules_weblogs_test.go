package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

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
	found := serveUntilIncident(t, info, `{"rules":[{"name":"slow-orders","sites":["`+app.ResourceID+`"],"triggers":{
		"slowRequestsWithPath":[{"path":"/api/orders/*","timeTaken":"00:00:10","count":5,"timeInterval":"00:05:00"}]},
		"action":{"kind":"collect","dump_type":"mini"}}]}`, 20*time.Second,
		"--rules-memory-poll", "50ms", "--rules-web-log-poll", "50ms", "--rules-evaluate", "50ms")
	if len(found) != 1 {
		t.Fatalf("%d incidents from the web server logs within 20 s, want 1", len(found))
	}
	m := found[0].m
	if m.Trigger.Kind != "rule" || m.Trigger.Rule != "slow-orders" || len(m.Jobs) != 1 || !strings.Contains(m.Trigger.Reason, "5 requests slower than 00:00:10") {
		t.Fatalf("manifest trigger %+v, %d jobs", m.Trigger, len(m.Jobs))
	}
}
