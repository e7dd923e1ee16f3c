package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/backend"
	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/report"
	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// TestServeEndToEnd runs `analyzer serve` on the embedded backends, sends
// it a DumpCaptured and a JobCompleted, and waits for the finished report.
func TestServeEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	blobURL, queueURL := backend.FileURL(filepath.Join(dir, "blobs")), backend.FileURL(filepath.Join(dir, "queue"))
	bucket, err := backend.OpenBucket(ctx, blobURL)
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	q, err := backend.OpenQueue(ctx, queueURL, backend.AnalysisQueue)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()

	t0 := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	inc := messages.IncidentID(t0, "e2e")
	site := messages.Site{ResourceID: "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Web/sites/app1",
		SubscriptionID: "1", ResourceGroup: "rg", Name: "app1"}
	jobID := messages.JobID(inc, site)
	write := func(key string, r io.Reader) {
		w, err := bucket.NewWriter(ctx, key, &blob.WriterOptions{Overwrite: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, r); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	man, err := messages.EncodeManifest(&messages.Manifest{Version: 1, IncidentID: inc, CreatedAt: t0,
		Trigger: messages.Trigger{Kind: "manual", FiredAt: t0}, Action: messages.Action{DumpType: messages.DumpFull, Analyze: true},
		Jobs: []messages.ManifestJob{{JobID: jobID, Site: site}}})
	if err != nil {
		t.Fatal(err)
	}
	write(layout.ManifestKey(inc), bytes.NewReader(man))
	d, err := dumpgen.New(dumpgen.SampleSpec(321, dumpgen.MiniDumpWithFullMemory, 32<<20))
	if err != nil {
		t.Fatal(err)
	}
	key := layout.DumpKey(t0, inc, site.Segment(), "inst1", "w3wp", 321)
	write(key, d.NewReader())

	send := func(p messages.Payload) {
		body, err := messages.Encode(messages.New(inc, p, t0))
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Send(ctx, queue.Message{ID: messages.MessageID(p), Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	send(&messages.DumpCaptured{IncidentID: inc, JobID: jobID, Site: site, Instance: "inst1", PID: 321, Process: "w3wp",
		DumpType: messages.DumpFull, DumpKey: key, Bytes: d.Size(), SHA256: strings.Repeat("0", 64), Attempts: 1,
		CapturedAt: t0.Add(time.Minute), Analyze: true})
	send(&messages.JobCompleted{IncidentID: inc, JobID: jobID, Site: site, StartedAt: t0, FinishedAt: t0.Add(2 * time.Minute),
		Instances: []string{"inst1"}, Targets: []messages.TargetResult{{Instance: "inst1", PID: 321, Process: "w3wp",
			Outcome: messages.OutcomeCaptured, DumpKey: key, Bytes: d.Size()}}})

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--queue", queueURL, "--blob", blobURL, "--listen", addr, "--log-level", "warn"}, io.Discard, io.Discard)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var rep report.Incident
		if r, _, err := bucket.NewReader(ctx, layout.ReportKey(inc, "json")); err == nil {
			b, _ := io.ReadAll(r)
			r.Close()
			if json.Unmarshal(b, &rep) == nil && rep.Complete && rep.Counts.Analyzed == 1 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no complete report within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Every service has /metrics, the analyzer included.
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), "go_goroutines") {
		t.Fatalf("/metrics: %d %.200s", res.StatusCode, b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}
