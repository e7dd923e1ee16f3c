package worker

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/sqlitequeue"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// signalling tells the test when the first dump starts.
type signalling struct {
	Kudu
	once    sync.Once
	started chan struct{}
}

func (s *signalling) Dump(ctx context.Context, req DumpRequest) (io.ReadCloser, int64, error) {
	s.once.Do(func() { close(s.started) })
	return s.Kudu.Dump(ctx, req)
}

// TestSimShutdownMidDump plays SIGTERM in `worker serve`: the consumer's
// context ends and the engine stops while the first of three direct dumps
// is being written. That dump finishes and is stored; the other targets are
// not started; the message is abandoned (no JobCompleted); a new worker
// then finishes the job without dumping the first target again.
func TestSimShutdownMidDump(t *testing.T) {
	srv, k := startSim(t, sim.Config{Apps: 1, Instances: 3, Seed: 12, DumpWriteTime: 300 * time.Millisecond})
	a := srv.Info().Apps[0]
	qdir, bdir := t.TempDir(), t.TempDir()
	captures, err := sqlitequeue.Open(qdir, "captures", sqlitequeue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer captures.Close()
	job := simJob(t, simIncident, a, messages.Action{Strategy: messages.StrategyDirect}, messages.Selector{})
	body, err := messages.Encode(messages.New(job.IncidentID, job, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if err := captures.Send(bg, queue.Message{ID: "job:" + job.JobID, Body: body}); err != nil {
		t.Fatal(err)
	}

	pub := &memPublisher{}
	sk := &signalling{Kudu: k, started: make(chan struct{})}
	e := simEngine(t, sk, bdir, pub, nil)
	var settled []queue.Settlement
	var mu sync.Mutex
	cons, err := queue.NewConsumer(queue.Config{Queue: captures, Handler: e.Handler(), ShutdownGrace: 10 * time.Second,
		OnSettle: func(s queue.Settlement) { mu.Lock(); settled = append(settled, s); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- cons.Run(ctx) }()
	select {
	case <-sk.started:
	case <-time.After(20 * time.Second):
		t.Fatal("no dump started")
	}
	// SIGTERM: what `worker serve` does on the signal.
	e.Stop()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	list, err := openBucket(t, bdir).List(bg, "dumps/")
	if err != nil {
		t.Fatal(err)
	}
	stored := len(list)
	if stored != 1 {
		t.Fatalf("%d dumps stored after shutdown, want the 1 in flight", stored)
	}
	if n := pub.count(messages.TypeJobCompleted); n != 0 {
		t.Fatalf("an unfinished job was reported complete")
	}
	if n := pub.count(messages.TypeDumpCaptured); n != 1 {
		t.Errorf("dump_captured sent %d times, want 1", n)
	}
	mu.Lock()
	if len(settled) != 1 || settled[0].Outcome != queue.Abandoned {
		t.Errorf("settlements %+v, want one abandon", settled)
	}
	mu.Unlock()

	// Redelivery to a fresh worker finishes the job.
	e2 := simEngine(t, k, bdir, pub, nil)
	cons2, err := queue.NewConsumer(queue.Config{Queue: captures, Handler: e2.Handler()})
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithCancel(bg)
	done2 := make(chan error, 1)
	go func() { done2 <- cons2.Run(ctx2) }()
	deadline := time.Now().Add(20 * time.Second)
	for pub.count(messages.TypeJobCompleted) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel2()
	if err := <-done2; err != nil {
		t.Fatal(err)
	}
	if n := pub.count(messages.TypeJobCompleted); n != 1 {
		t.Fatalf("job_completed sent %d times after redelivery", n)
	}
	if n := len(simEvents(srv, sim.EventDump)); n != 3 {
		t.Errorf("simulator served %d dumps for 3 targets", n)
	}
}
