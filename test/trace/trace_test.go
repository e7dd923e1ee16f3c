// Package trace checks that one alert makes one trace across the three
// services: ingest, worker and analyzer run in this process on the
// in-memory queue and blob backends against the Kudu simulator, with the
// OpenTelemetry SDK's in-memory exporter installed.
package trace

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/dumpflow/dumpflow/pkg/analyzer"
	"github.com/dumpflow/dumpflow/pkg/blob/memblob"
	"github.com/dumpflow/dumpflow/pkg/ingest"
	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/pkg/policy"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/memqueue"
	"github.com/dumpflow/dumpflow/pkg/tracing"
	"github.com/dumpflow/dumpflow/pkg/worker"
	"github.com/dumpflow/dumpflow/test/harness"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

func TestOneTraceFromAlertToReport(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	tracing.Install(tp)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	srv, err := sim.New(sim.Config{Apps: 1, Instances: 2, Seed: 11, DumpWriteTime: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	info := srv.Info()
	app := info.Apps[0]
	sub := strings.Split(app.ResourceID, "/")[2]

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	bucket := memblob.New()
	captures, err := memqueue.New(memqueue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	analysis, err := memqueue.New(memqueue.Options{})
	if err != nil {
		t.Fatal(err)
	}

	// ingest
	pc, err := policy.Parse([]byte(`{"production": true, "allow": {"subscriptions": ["` + sub + `"]},
		"policies": [{"name": "all", "action": "analyze"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := ingest.NewTokenAuth("trace-test-token-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	in, err := ingest.New(ingest.Config{Policies: pc, Queue: captures, Bucket: bucket, Auth: auth, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	body, err := harness.MetricAlert{Rule: "High memory", SubscriptionID: sub, RuleGroup: "rg-mon",
		AlertGUID: "0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a", Targets: []string{app.ResourceID}, FiredAt: time.Now()}.CommonSchema()
	if err != nil {
		t.Fatal(err)
	}
	res, err := in.Alert(ctx, body, ingest.AlertOptions{})
	if err != nil || len(res.Events) != 1 || res.Events[0].Accepted == nil {
		t.Fatalf("alert: %+v, %v", res, err)
	}
	incident := res.Events[0].Accepted.IncidentID

	// worker: one CaptureJob
	arm, err := kudu.NewARM(kudu.ARMConfig{BaseURL: info.ARMURL, SCMURLTemplate: info.SCMURLTemplate})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := worker.New(worker.NewKuduClient(arm, kudu.Config{}, worker.KuduOptions{}), bucket,
		worker.QueuePublisher{Queue: analysis}, nil, worker.Config{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	handleAll(ctx, t, captures, eng.Handler(), 1)

	// analyzer: two DumpCaptured and one JobCompleted
	an := analyzer.New(bucket, analyzer.Config{Logger: log})
	defer an.Close()
	handleAll(ctx, t, analysis, queue.HandlerFunc(an.Handle), 3)

	spans := exp.GetSpans()
	names := map[string]int{}
	traces := map[string]bool{}
	for _, s := range spans {
		names[s.Name]++
		traces[s.SpanContext.TraceID().String()] = true
	}
	if len(traces) != 1 {
		t.Fatalf("%d traces, want one for the alert; spans %v", len(traces), names)
	}
	for name, want := range map[string]int{"alert": 1, "incident": 1, "job": 1, "dump": 2, "analysis": 2, "report": 3} {
		if names[name] != want {
			t.Errorf("%d %q spans, want %d (all: %v)", names[name], name, want, names)
		}
	}
	// The dump spans hang under the job span, the job under the incident.
	byID := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byID[s.SpanContext.SpanID().String()] = s
	}
	for _, s := range spans {
		parent := byID[s.Parent.SpanID().String()].Name
		switch s.Name {
		case "incident":
			if parent != "alert" {
				t.Errorf("incident's parent is %q", parent)
			}
		case "job":
			if parent != "incident" {
				t.Errorf("job's parent is %q", parent)
			}
		case "dump":
			if parent != "job" {
				t.Errorf("dump's parent is %q", parent)
			}
		case "analysis":
			if parent != "dump" {
				t.Errorf("analysis's parent is %q", parent)
			}
		}
	}
	if _, err := bucket.Attributes(ctx, "reports/"+incident+"/index.html"); err != nil {
		t.Errorf("no report: %v", err)
	}
}

// handleAll receives n messages from q and runs h on each, completing it.
func handleAll(ctx context.Context, t *testing.T, q queue.Queue, h queue.Handler, n int) {
	t.Helper()
	for n > 0 {
		ms, err := q.Receive(ctx, n)
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		for _, m := range ms {
			if err := h.Handle(ctx, m); err != nil {
				t.Fatalf("handle %s: %v", m.ID, err)
			}
			if err := q.Complete(ctx, m); err != nil {
				t.Fatal(err)
			}
			n--
		}
	}
}
