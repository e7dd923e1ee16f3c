package worker

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// fakeClock advances only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// trickleKudu serves fakeKudu's dumps one byte per read, each read taking
// (on the fake clock) just under a client's idle timeout.
type trickleKudu struct {
	*fakeKudu
	clock *fakeClock
}

func (k trickleKudu) Dump(ctx context.Context, req DumpRequest) (io.ReadCloser, int64, error) {
	body, size, err := k.fakeKudu.Dump(ctx, req)
	if err != nil {
		return nil, 0, err
	}
	return &trickle{body, k.clock}, size, nil
}

type trickle struct {
	io.ReadCloser
	clock *fakeClock
}

func (t *trickle) Read(p []byte) (int, error) {
	t.clock.add(119 * time.Second)
	return t.ReadCloser.Read(p[:min(len(p), 1)])
}

// The attack of issue 22 point 7: a body trickling just under the 2-minute
// idle timeout never ended. It now fails after one window below the floor,
// with the reason, and is not retried.
func TestTricklingDumpBodyFails(t *testing.T) {
	k := newFakeKudu()
	k.addSite("app", 1)
	clock := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	cfg := fastConfig()
	cfg.Now = clock.now
	e, err := New(trickleKudu{k, clock}, newMemBucket(), &memPublisher{}, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Capture(context.Background(), testJob("app", messages.Action{}, messages.Selector{}))
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Completed.Targets[0]
	if tr.Outcome != messages.OutcomeFailed || !strings.Contains(tr.Reason, "dump body too slow") {
		t.Fatalf("target %s (%s), want failed as too slow", tr.Outcome, tr.Reason)
	}
	inst := k.instances["app"][0]
	if n := k.calls("app", inst, k.appPID("app", inst)); n != 1 {
		t.Fatalf("%d dump attempts, want 1 (not retried)", n)
	}
}
