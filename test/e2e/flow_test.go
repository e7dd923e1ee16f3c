package e2e

import (
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/ingest"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/policy"
	"github.com/dumpflow/dumpflow/pkg/report"
	"github.com/dumpflow/dumpflow/test/harness"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// simConfig is a small simulated estate: real minidumps of 1 MiB.
func simConfig(apps ...string) sim.Config {
	return sim.Config{Apps: len(apps), AppNames: apps, Instances: 2, Seed: 11,
		DumpSize: 1 << 20, DumpWriteTime: 20 * time.Millisecond}
}

// TestPipeline drives the three services as processes through an alert
// (and its retry), a bulk manual capture and a scheduled sweep, then
// checks every stored dump against the simulator's ground truth.
func TestPipeline(t *testing.T) {
	e := startEnv(t, simConfig("shop", "checkout", "search", "catalog"), "", nil)
	initial := e.sim.Info()
	ids := map[string]string{}
	for _, a := range e.info.Apps {
		ids[a.Name] = a.ResourceID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	b, err := e.p.OpenBucket(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	// 1. An Azure Monitor alert on two apps: one incident, one job per
	// app, a full dump of each instance's w3wp, analyses, a report.
	alert, err := harness.MetricAlert{Rule: "High memory on checkout", SubscriptionID: e.sub, RuleGroup: "rg-mon",
		AlertGUID: "0f7c1d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f", Targets: []string{ids["shop"], ids["checkout"]},
		FiredAt: time.Now().Add(-time.Minute), Threshold: 1e9, Value: 2e9}.CommonSchema()
	if err != nil {
		t.Fatal(err)
	}
	ans, err := e.p.Client.PostAlert(ctx, alert)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Jobs != 2 {
		t.Fatalf("alert answer: %d jobs, want 2 (%+v)", ans.Jobs, ans)
	}
	inc := waitReport(ctx, t, e, b, ans.IncidentID)
	if inc.Counts.Captured != 4 || inc.Counts.Failed != 0 || inc.Counts.Analyzed != 4 || inc.Action.DumpType != messages.DumpFull {
		t.Errorf("alert report: counts %+v, action %+v; want 4 full dumps captured and analyzed", inc.Counts, inc.Action)
	}
	st, err := e.p.Client.Incident(ctx, ans.IncidentID)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Complete || st.JobsDone != 2 || len(st.Dumps) != 4 || st.Report["html"] == "" || st.Report["md"] == "" || st.Report["json"] == "" {
		t.Errorf("GET /v1/incidents/%s: complete=%t jobs %d/%d, %d dumps, report %v", ans.IncidentID, st.Complete, st.JobsDone, st.JobsExpected, len(st.Dumps), st.Report)
	}
	if u, err := url.Parse(e.p.BlobURL); err == nil && u.Scheme == "file" {
		// The local store is plain files: the report opens as it is, and
		// sha256sum of each dump equals the recorded checksum.
		dir := filepath.FromSlash(u.Path)
		if _, err := os.Stat(harness.ReportFile(dir, ans.IncidentID)); err != nil {
			t.Errorf("the report is not a plain file: %v", err)
		}
		if n, err := harness.VerifyDumpFiles(ctx, b, dir, inc); err != nil || n != 4 {
			t.Errorf("VerifyDumpFiles = %d, %v; want 4 dumps matching the report", n, err)
		}
	}
	html := exportHTML(ctx, t, b, ans.IncidentID)
	for _, want := range []string{"High memory on checkout", "shop", "checkout", "w3wp"} {
		if !strings.Contains(html, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	// Azure retries webhooks: the same alert again is the same incident.
	again, err := e.p.Client.PostAlert(ctx, alert)
	if err != nil {
		t.Fatal(err)
	}
	if again.IncidentID != ans.IncidentID || !again.Duplicate {
		t.Errorf("retried alert: incident %s duplicate=%t, want %s duplicate", again.IncidentID, again.Duplicate, ans.IncidentID)
	}

	// 2. A bulk manual capture of three apps (mini dumps).
	capAns, err := e.p.Client.PostCapture(ctx, ingest.CaptureRequest{
		Targets:    policy.Targets{Apps: []string{ids["shop"], ids["search"], ids["catalog"]}},
		ActionSpec: policy.ActionSpec{Action: policy.ActionAnalyze, DumpType: messages.DumpMini},
		RequestID:  "e2e-bulk-1", Reason: "bulk capture from the e2e test",
	})
	if err != nil {
		t.Fatal(err)
	}
	if capAns.Jobs != 3 {
		t.Fatalf("capture answer: %d jobs, want 3", capAns.Jobs)
	}
	inc = waitReport(ctx, t, e, b, capAns.IncidentID)
	if inc.Counts.Captured != 6 || inc.Counts.Failed != 0 || inc.Trigger.Kind != "manual" {
		t.Errorf("bulk capture report: counts %+v, trigger %+v; want 6 captured", inc.Counts, inc.Trigger)
	}

	// 3. A scheduled sweep: a second ingest replica with a schedule that
	// fires every second, stopped as soon as its first slot made an
	// incident. Every slot's incident must complete.
	pol, err := harness.PolicyFile([]string{e.sub}, messages.DumpMini, harness.Sweep{Name: "e2e-sweep", Cron: "@every 1s", Apps: []string{ids["checkout"]}})
	if err != nil {
		t.Fatal(err)
	}
	sweeper, err := e.p.StartIngestReplica("sweeper", pol)
	if err != nil {
		t.Fatal(err)
	}
	var sweeps []string
	for len(sweeps) == 0 {
		sweeps = scheduleIncidents(ctx, t, b)
		if ctx.Err() != nil {
			t.Fatal("no scheduled incident appeared")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := sweeper.Stop(20 * time.Second); err != nil {
		t.Errorf("stopping the sweeping ingest: %v", err)
	}
	for _, id := range scheduleIncidents(ctx, t, b) {
		inc := waitReport(ctx, t, e, b, id)
		if inc.Counts.Captured != 2 || inc.Trigger.Kind != "schedule" || inc.Trigger.Source != "e2e-sweep" {
			t.Errorf("sweep %s: counts %+v, trigger %+v; want 2 captured by schedule e2e-sweep", id, inc.Counts, inc.Trigger)
		}
	}

	s := e.stopAndCheck(t, initial)
	want := 4 + 6 + 2*len(scheduleIncidents(ctx, t, b))
	if s.Captured != want || s.Targets != want || s.Failed != 0 {
		t.Errorf("check: %d targets, %d captured, %d failed; want %d captured (%+v)", s.Targets, s.Captured, s.Failed, want, s)
	}
	t.Logf("check: %d incidents, %d dumps (%d bytes) byte-identical to the simulator's, %d analyzed, %d dump requests",
		s.Incidents, s.Captured, s.Bytes, s.Analyzed, s.DumpRequests)
}

// waitReport waits for an incident's final report.
func waitReport(ctx context.Context, t *testing.T, e *env, b blob.Bucket, id string) *report.Incident {
	t.Helper()
	inc, err := harness.WaitReport(ctx, b, id, func() error {
		if d := e.p.Dead(); len(d) > 0 {
			return &deadError{d}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("incident %s: %v", id, err)
	}
	return inc
}

type deadError struct{ procs []string }

func (d *deadError) Error() string { return "service exited: " + strings.Join(d.procs, ", ") }

// scheduleIncidents lists the incidents made by schedules.
func scheduleIncidents(ctx context.Context, t *testing.T, b blob.Bucket) []string {
	t.Helper()
	list, err := b.List(ctx, "incidents/")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range list {
		if !strings.HasSuffix(a.Key, "/manifest.json") {
			continue
		}
		r, _, err := b.NewReader(ctx, a.Key)
		if err != nil {
			t.Fatal(err)
		}
		data := make([]byte, a.Size)
		_, err = io.ReadFull(r, data)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		m, err := messages.DecodeManifest(data)
		if err != nil {
			t.Fatal(err)
		}
		if m.Trigger.Kind == "schedule" {
			out = append(out, m.IncidentID)
		}
	}
	return out
}

// exportHTML exports the report and returns its index.html.
func exportHTML(ctx context.Context, t *testing.T, b blob.Bucket, id string) string {
	t.Helper()
	path, err := harness.ExportReport(ctx, b, id, t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "index.html" {
		t.Fatalf("exported %s", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
