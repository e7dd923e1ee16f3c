package queuetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

func testConcurrentConsumers(t *testing.T, h Harness) {
	const (
		consumers = 4
		messages  = 60
	)
	q, _ := open(t, h, Config{LockDuration: longLock})
	want := map[string]bool{}
	for range messages {
		id := newID(t)
		want[id] = true
		send(t, q, queue.Message{ID: id})
	}
	var (
		mu        sync.Mutex
		holder    = map[string]int{} // message ID → consumer holding it
		completed = map[string]int{}
		done      = make(chan struct{})
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for c := range consumers {
		wg.Go(func() {
			for {
				ms, err := q.Receive(ctx, 3)
				if err != nil {
					select {
					case <-done:
					default:
						t.Errorf("consumer %d: Receive: %v", c, err)
					}
					return
				}
				for _, m := range ms {
					mu.Lock()
					if other, held := holder[m.ID]; held {
						t.Errorf("%q delivered to consumer %d while consumer %d holds it", m.ID, c, other)
					}
					holder[m.ID] = c
					mu.Unlock()
					time.Sleep(time.Millisecond) // "work"
					mu.Lock()
					delete(holder, m.ID)
					mu.Unlock()
					if err := q.Complete(context.Background(), m); err != nil {
						t.Errorf("consumer %d: Complete(%q): %v", c, m.ID, err)
						continue
					}
					mu.Lock()
					completed[m.ID]++
					if len(completed) == messages && ctx.Err() == nil {
						close(done)
						cancel()
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("consumers did not finish in time: %v", err)
	}
	for id := range want {
		if n := completed[id]; n != 1 {
			t.Errorf("%q completed %d times, want 1", id, n)
		}
	}
	if len(completed) != messages {
		t.Errorf("%d distinct messages completed, want %d", len(completed), messages)
	}
}

func testCrashRedelivers(t *testing.T, h Harness) {
	q, cfg := open(t, h, Config{LockDuration: shortLock})
	id := newID(t)
	send(t, q, queue.Message{ID: id, Body: []byte("held by the crashed consumer")})
	wantMessage(t, recv(t, q, settleTime), id, 1)
	q2 := h.Reopen(t, q)
	if q2 == nil {
		t.Skip("harness cannot reopen a queue")
	}
	m := recv(t, q2, cfg.LockDuration+settleTime)
	wantMessage(t, m, id, 2)
	if string(m.Body) != "held by the crashed consumer" {
		t.Errorf("Body = %q", m.Body)
	}
	complete(t, q2, m)
	expectNone(t, q2, 2*cfg.LockDuration)
}

func testClosedQueue(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{})
	id := newID(t)
	send(t, q, queue.Message{ID: id})
	m := recv(t, q, settleTime)
	if err := q.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := q.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	if err := q.Send(ctx, queue.Message{ID: newID(t)}); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Send after Close: err = %v, want queue.ErrClosed", err)
	}
	if _, err := q.Receive(ctx, 1); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Receive after Close: err = %v, want queue.ErrClosed", err)
	}
	if err := q.Complete(ctx, m); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Complete after Close: err = %v, want queue.ErrClosed", err)
	}
}

// testInvalidInputs checks that bad messages and arguments fail with clear
// errors, never a panic, and leave the queue empty.
func testInvalidInputs(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{})
	ctx := context.Background()
	tooMany := map[string]string{}
	for i := range queue.MaxProperties + 1 {
		tooMany[string(rune('a'+i%26))+string(rune('A'+i/26))] = "v"
	}
	long := func(n int) string { return strings.Repeat("x", n) }
	bad := map[string]queue.Message{
		"empty ID":            {ID: ""},
		"ID too long":         {ID: long(queue.MaxIDLength + 1)},
		"ID not UTF-8":        {ID: "\xff\xfe"},
		"body too large":      {ID: newID(t), Body: make([]byte, queue.MaxBodySize+1)},
		"too many properties": {ID: newID(t), Properties: tooMany},
		"empty property name": {ID: newID(t), Properties: map[string]string{"": "v"}},
		"property name long":  {ID: newID(t), Properties: map[string]string{long(queue.MaxPropertyKeyLength + 1): "v"}},
		"property value long": {ID: newID(t), Properties: map[string]string{"k": long(queue.MaxPropertyValueLength + 1)}},
	}
	for name, m := range bad {
		if err := q.Send(ctx, m); !errors.Is(err, queue.ErrInvalidMessage) {
			t.Errorf("Send with %s: err = %v, want queue.ErrInvalidMessage", name, err)
		}
	}
	expectNone(t, q, shortLock)
	if err := q.Complete(ctx, nil); err == nil {
		t.Error("Complete(nil) succeeded")
	}
	forged := &queue.Received{Message: queue.Message{ID: "forged"}, LockToken: "not-a-token"}
	for op, err := range map[string]error{
		"Complete":   q.Complete(ctx, forged),
		"Abandon":    q.Abandon(ctx, forged),
		"DeadLetter": q.DeadLetter(ctx, forged, "r", "d"),
		"RenewLock":  q.RenewLock(ctx, forged),
	} {
		if err == nil {
			t.Errorf("%s with a forged lock token succeeded", op)
		}
	}
}

// testLimitsAccepted checks that a message exactly at every limit is
// accepted and delivered intact.
func testLimitsAccepted(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{})
	id := newID(t)
	id += strings.Repeat("x", queue.MaxIDLength-len(id))
	body := make([]byte, queue.MaxBodySize)
	for i := range body {
		body[i] = byte(i)
	}
	key := strings.Repeat("k", queue.MaxPropertyKeyLength)
	props := map[string]string{key: strings.Repeat("v", queue.MaxPropertyValueLength)}
	send(t, q, queue.Message{ID: id, Body: body, Properties: props})
	m := recv(t, q, settleTime)
	if m.ID != id || len(m.Body) != len(body) || string(m.Body) != string(body) || len(m.Properties[key]) != queue.MaxPropertyValueLength {
		t.Errorf("message at the limits did not round-trip (ID %d bytes, body %d bytes)", len(m.ID), len(m.Body))
	}
	complete(t, q, m)
}
