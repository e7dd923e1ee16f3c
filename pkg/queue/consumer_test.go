package queue_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/sqlitequeue"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func openQueue(t *testing.T, lock time.Duration) *sqlitequeue.Queue {
	t.Helper()
	q, err := sqlitequeue.Open(t.TempDir(), "consumer", sqlitequeue.Options{LockDuration: lock, MaxDeliveries: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close() })
	return q
}

func sendIDs(t *testing.T, q queue.Queue, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := q.Send(context.Background(), queue.Message{ID: id, Body: []byte(id)}); err != nil {
			t.Fatal(err)
		}
	}
}

// settlements collects OnSettle reports.
type settlements struct {
	mu  sync.Mutex
	got []queue.Settlement
	ch  chan queue.Settlement
}

func newSettlements() *settlements { return &settlements{ch: make(chan queue.Settlement, 100)} }

func (s *settlements) add(st queue.Settlement) {
	s.mu.Lock()
	s.got = append(s.got, st)
	s.mu.Unlock()
	s.ch <- st
}

func (s *settlements) next(t *testing.T) queue.Settlement {
	t.Helper()
	select {
	case st := <-s.ch:
		return st
	case <-time.After(10 * time.Second):
		t.Fatal("no settlement within 10s")
		return queue.Settlement{}
	}
}

// start runs a consumer in the background; the returned stop cancels it
// and waits for Run to return, returning its error.
func start(t *testing.T, cfg queue.Config) (stop func() error) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	c, err := queue.NewConsumer(cfg)
	if err != nil {
		t.Fatalf("NewConsumer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() { cancel(); runErr = <-done })
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// expectEmpty fails if q delivers anything within d.
func expectEmpty(t *testing.T, q queue.Queue, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if ms, err := q.Receive(ctx, 1); len(ms) > 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("queue not empty: %d messages, err %v", len(ms), err)
	}
}

func TestConsumerSettlesByHandlerResult(t *testing.T) {
	q := openQueue(t, 5*time.Second)
	sendIDs(t, q, "ok", "permanent", "flaky")
	var flakyCalls atomic.Int32
	s := newSettlements()
	stop := start(t, queue.Config{
		Queue: q, Concurrency: 2, OnSettle: s.add,
		Handler: queue.HandlerFunc(func(ctx context.Context, m *queue.Received) error {
			switch m.ID {
			case "permanent":
				return queue.Permanent(errors.New("field incident_id: empty"))
			case "flaky":
				if flakyCalls.Add(1) == 1 {
					return errors.New("kudu: 503")
				}
			}
			return nil
		}),
	})
	want := map[string][]queue.Outcome{
		"ok":        {queue.Completed},
		"permanent": {queue.DeadLettered},
		"flaky":     {queue.Abandoned, queue.Completed},
	}
	got := map[string][]queue.Outcome{}
	for range 4 {
		st := s.next(t)
		got[st.MessageID] = append(got[st.MessageID], st.Outcome)
		if st.MessageID == "flaky" && st.Outcome == queue.Completed && st.DeliveryCount != 2 {
			t.Errorf("flaky completed on delivery %d, want 2", st.DeliveryCount)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for id, w := range want {
		if g := got[id]; len(g) != len(w) || (len(g) > 0 && g[len(g)-1] != w[len(w)-1]) || g[0] != w[0] {
			t.Errorf("%s: outcomes %v, want %v", id, g, w)
		}
	}
	dls, err := q.DeadLetters(context.Background(), 10)
	if err != nil || len(dls) != 1 {
		t.Fatalf("DeadLetters = %v, %v; want one", dls, err)
	}
	if dls[0].ID != "permanent" || dls[0].Reason != queue.ReasonHandlerPermanentError || dls[0].Description != "field incident_id: empty" {
		t.Errorf("dead letter = %q reason %q description %q", dls[0].ID, dls[0].Reason, dls[0].Description)
	}
	expectEmpty(t, q, 200*time.Millisecond)
}

func TestConsumerRenewsLockOfLongHandler(t *testing.T) {
	const lock = 500 * time.Millisecond
	q := openQueue(t, lock)
	sendIDs(t, q, "long")
	s := newSettlements()
	started := make(chan struct{})
	start(t, queue.Config{
		Queue: q, OnSettle: s.add,
		Handler: queue.HandlerFunc(func(ctx context.Context, m *queue.Received) error {
			close(started)
			select {
			case <-time.After(4 * lock):
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}),
	})
	<-started
	// A second receiver must not get the message while the handler holds
	// it for four lock durations.
	expectEmpty(t, q, 3*lock)
	st := s.next(t)
	if st.Outcome != queue.Completed || st.DeliveryCount != 1 {
		t.Fatalf("settlement %+v, want completed on delivery 1", st)
	}
}

func TestConsumerShutdownCompletesWorkFinishedWithinGrace(t *testing.T) {
	q := openQueue(t, 5*time.Second)
	sendIDs(t, q, "m")
	s := newSettlements()
	started, release := make(chan struct{}), make(chan struct{})
	stop := start(t, queue.Config{
		Queue: q, OnSettle: s.add, ShutdownGrace: 10 * time.Second,
		Handler: queue.HandlerFunc(func(ctx context.Context, m *queue.Received) error {
			close(started)
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}),
	})
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) while a handler was in flight within grace", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st := s.next(t); st.Outcome != queue.Completed {
		t.Fatalf("outcome %v, want completed", st.Outcome)
	}
	expectEmpty(t, q, 100*time.Millisecond)
}

func TestConsumerShutdownAbandonsWorkPastGrace(t *testing.T) {
	q := openQueue(t, 5*time.Second)
	sendIDs(t, q, "m")
	s := newSettlements()
	started := make(chan struct{})
	stop := start(t, queue.Config{
		Queue: q, OnSettle: s.add, ShutdownGrace: 150 * time.Millisecond,
		Handler: queue.HandlerFunc(func(ctx context.Context, m *queue.Received) error {
			close(started)
			<-ctx.Done() // work that cannot finish before shutdown
			return context.Cause(ctx)
		}),
	})
	<-started
	t0 := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if d := time.Since(t0); d < 150*time.Millisecond {
		t.Errorf("Run returned after %v, before the grace period", d)
	}
	if st := s.next(t); st.Outcome != queue.Abandoned {
		t.Fatalf("outcome %v, want abandoned", st.Outcome)
	}
	// Abandoned, not completed: it is available again at once, although
	// its lock (5s) has not expired.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ms, err := q.Receive(ctx, 1)
	if err != nil || len(ms) != 1 || ms[0].ID != "m" || ms[0].DeliveryCount != 2 {
		t.Fatalf("after shutdown: Receive = %v, %v; want m on delivery 2", ms, err)
	}
}

func TestConsumerBoundsConcurrency(t *testing.T) {
	q := openQueue(t, 5*time.Second)
	const n, limit = 12, 3
	for i := range n {
		sendIDs(t, q, string(rune('a'+i)))
	}
	var inFlight, peak atomic.Int32
	s := newSettlements()
	start(t, queue.Config{
		Queue: q, Concurrency: limit, OnSettle: s.add,
		Handler: queue.HandlerFunc(func(ctx context.Context, m *queue.Received) error {
			cur := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				p := peak.Load()
				if cur <= p || peak.CompareAndSwap(p, cur) {
					break
				}
			}
			time.Sleep(30 * time.Millisecond)
			return nil
		}),
	})
	for range n {
		if st := s.next(t); st.Outcome != queue.Completed {
			t.Fatalf("outcome %v", st.Outcome)
		}
	}
	if p := peak.Load(); p > limit || p < 2 {
		t.Errorf("peak concurrency %d, want between 2 and %d", p, limit)
	}
}

func TestConsumerPanicAbandons(t *testing.T) {
	q := openQueue(t, 5*time.Second)
	sendIDs(t, q, "boom")
	s := newSettlements()
	var calls atomic.Int32
	start(t, queue.Config{
		Queue: q, OnSettle: s.add,
		Handler: queue.HandlerFunc(func(ctx context.Context, m *queue.Received) error {
			if calls.Add(1) == 1 {
				panic("nil map")
			}
			return nil
		}),
	})
	if st := s.next(t); st.Outcome != queue.Abandoned || st.Err == nil {
		t.Fatalf("after panic: %+v, want abandoned with an error", st)
	}
	if st := s.next(t); st.Outcome != queue.Completed || st.DeliveryCount != 2 {
		t.Fatalf("redelivery: %+v, want completed on delivery 2", st)
	}
}

func TestNewConsumerValidates(t *testing.T) {
	q := openQueue(t, time.Second)
	h := queue.HandlerFunc(func(context.Context, *queue.Received) error { return nil })
	for name, cfg := range map[string]queue.Config{
		"nil queue":            {Handler: h},
		"nil handler":          {Queue: q},
		"negative concurrency": {Queue: q, Handler: h, Concurrency: -1},
		"negative renew":       {Queue: q, Handler: h, LockRenewInterval: -time.Second},
	} {
		if _, err := queue.NewConsumer(cfg); err == nil {
			t.Errorf("%s: NewConsumer succeeded", name)
		}
	}
}
