package worker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// TestMain lets the test binary act as a separate worker process (see
// runHelperWorker).
func TestMain(m *testing.M) {
	if os.Getenv("WORKER_TEST_HELPER") == "1" {
		os.Exit(runHelperWorker())
	}
	os.Exit(m.Run())
}

// helperJob is what the parent hands a helper worker process.
type helperJob struct {
	Info sim.Info               `json:"info"`
	Dir  string                 `json:"dir"`
	Jobs []*messages.CaptureJob `json:"jobs"`
}

// runHelperWorker runs the jobs in WORKER_TEST_JOB with an engine over the
// simulator and the shared blob directory, and prints the JobCompleted
// reports as JSON on stdout.
func runHelperWorker() int {
	var h helperJob
	if err := json.Unmarshal([]byte(os.Getenv("WORKER_TEST_JOB")), &h); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	k := simKuduNoT(h.Info)
	b, err := openBucketNoT(h.Dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer b.Close()
	e, err := New(k, b, nil, nil, Config{
		Concurrency: 8,
		Retry:       RetryPolicy{MaxAttempts: 6, InitialInterval: 20 * time.Millisecond, MaxInterval: 200 * time.Millisecond, MaxElapsed: 30 * time.Second},
		LockPollMin: 5 * time.Millisecond, LockPollMax: 20 * time.Millisecond,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var out []messages.JobCompleted
	for _, j := range h.Jobs {
		res, err := e.Capture(bg, j)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		out = append(out, res.Completed)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		return 2
	}
	return 0
}

func TestSimDirectDumpsSerializedAcrossTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two worker processes")
	}
	srv, _ := startSim(t, sim.Config{Apps: 2, Instances: 3, Seed: 11, DumpWriteTime: 60 * time.Millisecond})
	dir := t.TempDir()
	info := srv.Info()
	// Each process captures both apps under its own incident, so that both
	// must dump every instance: 12 direct dumps, 6 per app.
	var wg sync.WaitGroup
	outs := make([][]messages.JobCompleted, 2)
	errs := make([]error, 2)
	for p := range 2 {
		inc := fmt.Sprintf("20260301t101500-%016d", p)
		h := helperJob{Info: info, Dir: dir}
		for _, a := range info.Apps {
			h.Jobs = append(h.Jobs, simJob(t, inc, a, messages.Action{Strategy: messages.StrategyDirect}, messages.Selector{}))
		}
		raw, _ := json.Marshal(h)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "WORKER_TEST_HELPER=1", "WORKER_TEST_JOB="+string(raw))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Wait(); err != nil {
				errs[p] = fmt.Errorf("worker process %d: %v: %s", p, err, stderr.String())
				return
			}
			errs[p] = json.Unmarshal(stdout.Bytes(), &outs[p])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for p, out := range outs {
		for _, c := range out {
			for _, tr := range c.Targets {
				if tr.Outcome != messages.OutcomeCaptured || tr.Attempts != 1 {
					t.Errorf("process %d %s: %+v (a retry means a dump collided on the staging file)", p, c.Site.Name, tr)
				}
			}
		}
	}
	// Ground truth: no dump was cut by a staging conflict, and dumps of one
	// app never overlapped in time.
	byApp := map[string][]sim.Event{}
	for _, ev := range simEvents(srv, sim.EventDump) {
		if !ev.Complete {
			t.Errorf("dump cut: %+v", ev)
		}
		byApp[ev.App] = append(byApp[ev.App], ev)
	}
	for app, evs := range byApp {
		if len(evs) != 6 {
			t.Errorf("app %s: %d dumps, want 6", app, len(evs))
		}
	}
}
