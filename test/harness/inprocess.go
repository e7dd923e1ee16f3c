package harness

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/analyzer"
	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/memblob"
	"github.com/dumpflow/dumpflow/pkg/ingest"
	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/pkg/policy"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/memqueue"
	"github.com/dumpflow/dumpflow/pkg/worker"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// InProcess is the pipeline in the test's own process: ingest, worker and
// analyzer on the in-memory blob and queue backends, against a Kudu
// simulator, each service driven by hand (Alert, Worker, Analyze) so a
// test can install what it observes (a tracer, a fake clock) first.
type InProcess struct {
	Info     sim.Info
	Bucket   blob.Bucket
	Captures queue.Queue // CaptureJob, ingest → worker
	Analysis queue.Queue // DumpCaptured and JobCompleted, worker → analyzer
	Log      *slog.Logger
}

// NewInProcess makes the backends for a pipeline against the simulator
// described by info; its queues close when the test ends.
func NewInProcess(t testing.TB, info sim.Info) *InProcess {
	t.Helper()
	p := &InProcess{Info: info, Bucket: memblob.New(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, q := range []*queue.Queue{&p.Captures, &p.Analysis} {
		mq, err := memqueue.New(memqueue.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mq.Close() })
		*q = mq
	}
	return p
}

// Subscription is the subscription id of the simulator's apps.
func (p *InProcess) Subscription() string {
	return strings.Split(p.Info.Apps[0].ResourceID, "/")[2]
}

// Alert runs alert through ingest under the capture policies of the JSON
// document policies and returns the incident it opened; anything else (a
// refusal, no incident) fails the test.
func (p *InProcess) Alert(ctx context.Context, t testing.TB, policies string, alert MetricAlert) string {
	t.Helper()
	pc, err := policy.Parse([]byte(policies))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := ingest.NewTokenAuth("in-process-test-token-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	in, err := ingest.New(ingest.Config{Policies: pc, Queue: p.Captures, Bucket: p.Bucket, Auth: auth, Log: p.Log})
	if err != nil {
		t.Fatal(err)
	}
	body, err := alert.CommonSchema()
	if err != nil {
		t.Fatal(err)
	}
	res, err := in.Alert(ctx, body, ingest.AlertOptions{})
	if err != nil || len(res.Events) != 1 || res.Events[0].Accepted == nil {
		t.Fatalf("alert: %+v, %v", res, err)
	}
	return res.Events[0].Accepted.IncidentID
}

// Worker runs the worker (configured by cfg; its Logger defaults to the
// pipeline's) on n capture jobs.
func (p *InProcess) Worker(ctx context.Context, t testing.TB, cfg worker.Config, n int) {
	t.Helper()
	arm, err := kudu.NewARM(kudu.ARMConfig{BaseURL: p.Info.ARMURL, SCMURLTemplate: p.Info.SCMURLTemplate})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Logger == nil {
		cfg.Logger = p.Log
	}
	eng, err := worker.New(worker.NewKuduClient(arm, kudu.Config{}, worker.KuduOptions{}), p.Bucket,
		worker.QueuePublisher{Queue: p.Analysis}, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	HandleAll(ctx, t, p.Captures, eng.Handler(), n)
}

// Analyze runs the analyzer on n messages of the analysis queue.
func (p *InProcess) Analyze(ctx context.Context, t testing.TB, n int) {
	t.Helper()
	an := analyzer.New(p.Bucket, analyzer.Config{Logger: p.Log})
	defer an.Close()
	HandleAll(ctx, t, p.Analysis, queue.HandlerFunc(an.Handle), n)
}

// Read returns the blob key, failing the test when it cannot be read.
func (p *InProcess) Read(ctx context.Context, t testing.TB, key string) []byte {
	t.Helper()
	r, _, err := p.Bucket.NewReader(ctx, key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	defer r.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// HandleAll receives n messages from q and runs h on each, completing it.
func HandleAll(ctx context.Context, t testing.TB, q queue.Queue, h queue.Handler, n int) {
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
