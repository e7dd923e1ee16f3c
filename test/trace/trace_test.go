// Package trace checks that one alert makes one trace across the three
// services: ingest, worker and analyzer run in this process on the
// in-memory queue and blob backends against the Kudu simulator, with the
// OpenTelemetry SDK's in-memory exporter installed.
package trace

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

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
	p := harness.NewInProcess(t, srv.Info())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	incident := p.Alert(ctx, t, `{"production": true, "allow": {"subscriptions": ["`+p.Subscription()+`"]},
		"policies": [{"name": "all", "action": "analyze"}]}`,
		harness.MetricAlert{Rule: "High memory", SubscriptionID: p.Subscription(), RuleGroup: "rg-mon",
			AlertGUID: "0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a", Targets: []string{p.Info.Apps[0].ResourceID}, FiredAt: time.Now()})
	p.Worker(ctx, t, worker.Config{}, 1) // one CaptureJob
	p.Analyze(ctx, t, 3)                 // two DumpCaptured and one JobCompleted

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
	if _, err := p.Bucket.Attributes(ctx, "reports/"+incident+"/index.html"); err != nil {
		t.Errorf("no report: %v", err)
	}
}
