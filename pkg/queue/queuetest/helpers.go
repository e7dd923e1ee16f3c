package queuetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// Defaults the suite asks harnesses for.
const (
	shortLock   = time.Second
	longLock    = 10 * time.Second
	maxDeliver  = 10
	longDedupe  = 10 * time.Minute
	shortDedupe = 500 * time.Millisecond
	// clockSlack tolerates clock differences between the test and a
	// remote backend, and scheduling jitter on a loaded machine.
	clockSlack = 2 * time.Second
	// settleTime bounds a receive that is expected to succeed.
	settleTime = 10 * time.Second
)

var idSeq atomic.Int64

// newID returns a message ID unique within the test binary run.
func newID(t *testing.T) string {
	return fmt.Sprintf("%s-%d-%d", t.Name(), time.Now().UnixNano(), idSeq.Add(1))
}

func open(t *testing.T, h Harness, want Config) (queue.Queue, Config) {
	t.Helper()
	want.MaxDeliveries = cmp.Or(want.MaxDeliveries, maxDeliver)
	want.DedupeWindow = cmp.Or(want.DedupeWindow, longDedupe)
	want.LockDuration = cmp.Or(want.LockDuration, longLock)
	q, got := h.Open(t, want)
	if q == nil {
		t.Fatal("harness Open returned a nil queue")
	}
	return q, got
}

func send(t *testing.T, q queue.Queue, m queue.Message) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), settleTime)
	defer cancel()
	if err := q.Send(ctx, m); err != nil {
		t.Fatalf("Send(%q): %v", m.ID, err)
	}
}

// recv returns one message, failing the test if none comes within timeout.
func recv(t *testing.T, q queue.Queue, timeout time.Duration) *queue.Received {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ms, err := q.Receive(ctx, 1)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if len(ms) != 1 {
		t.Fatalf("Receive(max 1) returned %d messages", len(ms))
	}
	if ms[0] == nil {
		t.Fatal("Receive returned a nil message")
	}
	return ms[0]
}

// expectNone fails the test if a message arrives within wait.
func expectNone(t *testing.T, q queue.Queue, wait time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ms, err := q.Receive(ctx, 1)
	if len(ms) > 0 {
		t.Fatalf("unexpected delivery of %q (delivery %d)", ms[0].ID, ms[0].DeliveryCount)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Receive on an empty queue: err = %v, want context.DeadlineExceeded", err)
	}
}

func complete(t *testing.T, q queue.Queue, m *queue.Received) {
	t.Helper()
	if err := q.Complete(context.Background(), m); err != nil {
		t.Fatalf("Complete(%q): %v", m.ID, err)
	}
}

func wantLockLost(t *testing.T, op string, err error) {
	t.Helper()
	if !errors.Is(err, queue.ErrLockLost) {
		t.Fatalf("%s with a stale lock: err = %v, want queue.ErrLockLost", op, err)
	}
}

func wantMessage(t *testing.T, m *queue.Received, id string, deliveryCount int) {
	t.Helper()
	if m.ID != id {
		t.Fatalf("received ID %q, want %q", m.ID, id)
	}
	if m.DeliveryCount != deliveryCount {
		t.Fatalf("%q: DeliveryCount = %d, want %d", id, m.DeliveryCount, deliveryCount)
	}
	if m.LockToken == "" {
		t.Fatalf("%q: empty LockToken", id)
	}
}

// deadLetters returns the backend's dead-letter view, or nil when it has
// none.
func deadLetterQueue(q queue.Queue) queue.DeadLetterQueue {
	d, _ := q.(queue.DeadLetterQueue)
	return d
}

// findDeadLetter polls the dead-letter sub-queue until id shows up.
func findDeadLetter(t *testing.T, d queue.DeadLetterQueue, id string) queue.DeadLetter {
	t.Helper()
	deadline := time.Now().Add(settleTime)
	for {
		dls, err := d.DeadLetters(context.Background(), 100)
		if err != nil {
			t.Fatalf("DeadLetters: %v", err)
		}
		for _, dl := range dls {
			if dl.ID == id {
				return dl
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q not in the dead-letter queue (%d entries)", id, len(dls))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
