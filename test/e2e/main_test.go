package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/backend"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/test/harness"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// bins are the services built once for every test; buildErr says why not.
var (
	bins     harness.Binaries
	buildErr error
	root     string
)

const token = "e2e-webhook-token-0123456789abcdef"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dumpflow-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if root, buildErr = harness.ModuleRoot(); buildErr == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		bins, buildErr = harness.Build(ctx, root, dir, raceEnabled)
		cancel()
	}
	code := m.Run()
	stopAzurite()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is one test's simulator and pipeline.
type env struct {
	sim  *sim.Server
	rec  *harness.Recorder
	info sim.Info // through the recorder
	p    *harness.Pipeline
	sub  string
}

// startEnv starts a simulator (behind a Recorder) and a pipeline whose
// policy allows the simulator's subscription. blobURL and extra env select
// the blob store ("" is the local directory backend).
func startEnv(t *testing.T, sc sim.Config, blobURL string, extraEnv []string) *env {
	t.Helper()
	if buildErr != nil {
		t.Fatalf("building the services: %v", buildErr)
	}
	srv, err := sim.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	rec, err := harness.NewRecorder(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	e := &env{sim: srv, rec: rec, info: rec.Info()}
	e.sub = subscriptionOf(e.info.Apps[0].ResourceID)
	pol, err := harness.PolicyFile([]string{e.sub}, "full")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p, err := harness.StartPipeline(ctx, harness.Config{
		Bins: bins, Dir: t.TempDir(), ARMURL: e.info.ARMURL, SCMURLTemplate: e.info.SCMURLTemplate,
		Token: token, Policy: pol, QueueQuery: "lock=20s&poll=50ms", BlobURL: blobURL, Env: extraEnv,
		NoSchedules: true, WorkerArgs: []string{"--concurrency", "4", "--jobs", "4"},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.p = p
	t.Cleanup(func() {
		if err := p.Stop(30 * time.Second); err != nil {
			t.Errorf("stopping the pipeline: %v", err)
		}
		if t.Failed() {
			dumpLogs(t, p.LogDir())
		}
	})
	return e
}

// stopAndCheck stops the services cleanly and checks storage and queues
// against the simulator's ground truth.
func (e *env) stopAndCheck(t *testing.T, initial sim.Info) *harness.Summary {
	t.Helper()
	if err := e.p.Stop(30 * time.Second); err != nil {
		t.Errorf("services did not stop cleanly: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := e.sim.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := e.p.OpenBucket(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	queues := map[string]queue.Queue{}
	for _, name := range []string{backend.CapturesQueue, backend.AnalysisQueue} {
		q, err := e.p.OpenQueue(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		queues[name] = q
	}
	s, err := harness.Check(ctx, b, queues, harness.Truth{Initial: initial, Events: e.sim.Events(), Requests: e.rec.Requests()})
	if err != nil {
		t.Fatal(err)
	}
	if !s.OK() {
		t.Errorf("check failed: %s", strings.Join(s.Problems(), "; "))
	}
	if s.DeadLettered != 0 || s.LeftInQueues != 0 || s.Orphans != 0 || s.Unanalyzed != 0 {
		t.Errorf("dead letters %d (%v), left in queues %d, orphan dumps %d, unanalyzed %d",
			s.DeadLettered, s.DeadLetteredReasons, s.LeftInQueues, s.Orphans, s.Unanalyzed)
	}
	if s.Reports != s.Incidents {
		t.Errorf("%d final reports for %d incidents", s.Reports, s.Incidents)
	}
	return s
}

func dumpLogs(t *testing.T, dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		t.Logf("--- last lines of %s:\n%s", e.Name(), strings.Join(lines, "\n"))
	}
}

func subscriptionOf(id string) string {
	parts := strings.Split(id, "/")
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], "subscriptions") {
			return parts[i+1]
		}
	}
	return ""
}
