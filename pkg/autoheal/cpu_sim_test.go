package autoheal_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/autoheal"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/policy"
	"github.com/dumpflow/dumpflow/pkg/worker"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// TestCPURuleThroughSimulator: the app's w3wp on one of three instances
// spins at 95 % of the instance; a CPU rule (80 % for 15 s, sampled every
// 5 s, maxActions 3, mode Collect) reads Kudu's total_cpu_time on every
// instance and the pipeline dumps that process exactly three times and
// nothing else. The clock is the test's: the simulator's CPU times follow
// it, so nothing sleeps.
func TestCPURuleThroughSimulator(t *testing.T) {
	const cores = 4
	var mu sync.Mutex
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	var spinInst string
	var spinPID int
	srv, err := sim.New(sim.Config{Apps: 1, Instances: 3, Cores: cores, DumpSize: 1 << 20, DumpWriteTime: time.Millisecond,
		Script: &sim.Script{CPUTime: func(app, inst string, pid int, name string) (time.Duration, bool) {
			mu.Lock()
			defer mu.Unlock()
			elapsed := now.Sub(t0)
			if inst == spinInst && pid == spinPID {
				return time.Hour + time.Duration(0.95*cores*float64(elapsed)), true
			}
			// Everything else idles along at 3 %.
			return time.Minute + time.Duration(0.03*cores*float64(elapsed)), true
		}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	info := srv.Info()
	site := simSite(t, info.Apps[0])
	arm, err := kudu.NewARM(kudu.ARMConfig{BaseURL: info.ARMURL, SCMURLTemplate: info.SCMURLTemplate})
	if err != nil {
		t.Fatal(err)
	}
	// The spinning process: the app's w3wp on the second instance.
	cl, err := kudu.New(kudu.Config{SCMURL: info.Apps[0].SCMURL})
	if err != nil {
		t.Fatal(err)
	}
	ic, err := cl.Instance(info.Apps[0].Instances[1])
	if err != nil {
		t.Fatal(err)
	}
	w3wp, err := ic.Process(context.Background(), kudu.PIDApp)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	spinInst, spinPID = info.Apps[0].Instances[1], w3wp.ID
	mu.Unlock()

	bucket, err := fileblob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	eng, err := worker.New(worker.NewKuduClient(arm, kudu.Config{}, worker.KuduOptions{}), bucket, nopPublisher{}, nil, worker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rules, err := autoheal.ParseFile([]byte(`{"rules":[],"cpuRules":[{"name":"hot","sites":["` + site.ResourceID + `"],
		"mode":"Collect","cpuThreshold":80,"thresholdSeconds":15,"monitorDuration":5,"maxActions":3}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var rec captures
	watch := &autoheal.CPUWatch{
		Rule:   rules.CPURules[0],
		Reader: &autoheal.KuduReader{ARM: arm, NewClient: func(scm string) (*kudu.Client, error) { return kudu.New(kudu.Config{SCMURL: scm}) }},
		State:  policy.NewBlobStore(bucket),
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return now
		},
		Act: rec.act(t, eng, site),
	}
	ctx := context.Background()
	// 40 polls = 200 s of simulated time: room for 13 runs of 15 s.
	for i := 0; i < 40; i++ {
		if i > 0 {
			mu.Lock()
			now = now.Add(5 * time.Second)
			mu.Unlock()
		}
		watch.Poll(ctx)
	}
	firings, results := rec.got()
	if len(firings) != 3 {
		t.Fatalf("rule acted %d times, want maxActions = 3", len(firings))
	}
	for i, f := range firings {
		if f.PID != spinPID || f.Process != "w3wp" {
			t.Errorf("firing %d on %s pid %d, want the spinning w3wp %d", i, f.Instance, f.PID, spinPID)
		}
		if r := results[i]; r == nil || len(r.Completed.Targets) != 1 || r.Completed.Targets[0].Outcome != messages.OutcomeCaptured {
			t.Errorf("capture %d: %+v", i, r)
		}
	}
	if err := srv.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	dumps := 0
	for _, ev := range srv.Events() {
		if ev.Kind == sim.EventDump || ev.Kind == sim.EventStagedDump {
			dumps++
			if ev.Instance != spinInst || ev.PID != spinPID {
				t.Errorf("dump of %s pid %d, want only %s pid %d", ev.Instance, ev.PID, spinInst, spinPID)
			}
		}
	}
	if dumps != 3 {
		t.Fatalf("simulator served %d dumps, want exactly 3", dumps)
	}
}
