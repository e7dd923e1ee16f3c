package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/sqlitequeue"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// TestServeSIGTERMMidDump runs `worker serve` as a real process, sends it
// SIGTERM while the first of three direct dumps is being written, and checks
// that the dump in flight was stored, nothing else was started, the job was
// not completed (it is still on the queue for redelivery) and no
// job_completed was sent.
func TestServeSIGTERMMidDump(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the worker as a process")
	}
	var mu sync.Mutex
	dumpStarted := make(chan struct{})
	var once sync.Once
	srv := startSim(t, sim.Config{Apps: 1, Instances: 3, Seed: 3, DumpWriteTime: 800 * time.Millisecond,
		Logf: func(format string, args ...any) {
			if strings.Contains(fmt.Sprintf(format, args...), "/dump?") {
				mu.Lock()
				defer mu.Unlock()
				once.Do(func() { close(dumpStarted) })
			}
		}})
	info := srv.Info()
	qdir, bdir := t.TempDir(), t.TempDir()

	sendJob(t, qdir, info.Apps[0], "20260301t101500-1234567812345678", messages.Action{DumpType: messages.DumpMini, Strategy: messages.StrategyDirect})

	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), "WORKER_MAIN=1",
		"DUMPFLOW_QUEUE=file://"+qdir, "DUMPFLOW_BLOB=file://"+bdir, "DUMPFLOW_LISTEN=127.0.0.1:0",
		"DUMPFLOW_ARM_URL="+info.ARMURL, "DUMPFLOW_SCM_URL_TEMPLATE="+info.SCMURLTemplate, "DUMPFLOW_GRACE=20s")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-dumpStarted:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("no dump started: %s", stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("worker exited with %v: %s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-waited
		t.Fatalf("worker did not stop: %s", stderr.String())
	}

	b, err := fileblob.Open(bdir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	dumps, err := b.List(context.Background(), "dumps/")
	if err != nil {
		t.Fatal(err)
	}
	if len(dumps) != 1 {
		t.Fatalf("%d dumps stored, want the one in flight: %s", len(dumps), stderr.String())
	}
	if n := len(srv.Events()); n == 0 {
		t.Fatal("no simulator events")
	}
	started := 0
	for _, ev := range srv.Events() {
		if ev.Kind == sim.EventDump {
			started++
		}
	}
	if started != 1 {
		t.Errorf("simulator served %d dumps, want 1", started)
	}
	// The job is still on the queue (abandoned, not completed).
	captures, err := sqlitequeue.Open(qdir, "captures", sqlitequeue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer captures.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := captures.Receive(ctx, 1)
	if err != nil || len(got) != 1 || got[0].DeliveryCount != 2 {
		t.Fatalf("job not redeliverable: %v %+v", err, got)
	}
	analysis, err := sqlitequeue.Open(qdir, "analysis", sqlitequeue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer analysis.Close()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	for {
		ms, err := analysis.Receive(ctx2, 10)
		if err != nil {
			break
		}
		for _, m := range ms {
			if strings.HasPrefix(m.ID, "done:") {
				t.Fatalf("job_completed sent for an unfinished job: %s", m.ID)
			}
		}
	}
}

// TestServeCapturesAndReports runs `worker serve` as a process on one job and
// reads its results from the analysis queue.
func TestServeCapturesAndReports(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the worker as a process")
	}
	srv := startSim(t, sim.Config{Apps: 1, Instances: 2, Seed: 4, DumpWriteTime: 10 * time.Millisecond})
	info := srv.Info()
	qdir, bdir := t.TempDir(), t.TempDir()
	sendJob(t, qdir, info.Apps[0], "20260301t101500-8765432187654321", messages.Action{DumpType: messages.DumpMini, Analyze: true})
	cmd := exec.Command(os.Args[0], "serve", "--queue", "file://"+qdir, "--blob", "file://"+bdir, "--listen", "",
		"--arm-url", info.ARMURL, "--scm-url-template", info.SCMURLTemplate)
	cmd.Env = append(os.Environ(), "WORKER_MAIN=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	analysis, err := sqlitequeue.Open(qdir, "analysis", sqlitequeue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer analysis.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var dumps int
	var done *messages.JobCompleted
	for done == nil {
		ms, err := analysis.Receive(ctx, 10)
		if err != nil {
			t.Fatalf("waiting for results: %v: %s", err, stderr.String())
		}
		for _, m := range ms {
			env, err := messages.Decode(m.Body)
			if err != nil {
				t.Fatalf("undecodable result %s: %v", m.ID, err)
			}
			switch p := env.Payload.(type) {
			case *messages.DumpCaptured:
				dumps++
				if !p.Analyze || p.Bytes <= 0 {
					t.Errorf("dump_captured %+v", p)
				}
			case *messages.JobCompleted:
				done = p
			}
			if err := analysis.Complete(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	if dumps != 2 || len(done.Targets) != 2 || done.Error != "" {
		t.Fatalf("dumps %d, job_completed %+v", dumps, done)
	}
}

// sendJob puts a CaptureJob for app on the "captures" queue in qdir.
func sendJob(t *testing.T, qdir string, app sim.AppInfo, inc string, act messages.Action) {
	t.Helper()
	captures, err := sqlitequeue.Open(qdir, "captures", sqlitequeue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer captures.Close()
	id, err := kudu.ParseSiteID(app.ResourceID)
	if err != nil {
		t.Fatal(err)
	}
	site := messages.Site{ResourceID: app.ResourceID, SubscriptionID: id.Subscription, ResourceGroup: id.ResourceGroup, Name: id.Name}
	at := time.Date(2026, 3, 1, 10, 15, 0, 0, time.UTC)
	job := &messages.CaptureJob{JobID: messages.JobID(inc, site), IncidentID: inc, Site: site, IncidentTime: at,
		Trigger: messages.Trigger{Kind: "manual", FiredAt: at}, Action: act}
	env := messages.New(inc, job, time.Now())
	body, err := messages.Encode(env)
	if err != nil {
		t.Fatal(err)
	}
	if err := captures.Send(context.Background(), queue.Message{ID: env.ID, Body: body}); err != nil {
		t.Fatal(err)
	}
}
