package queuetest

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

func testSendReceiveComplete(t *testing.T, h Harness) {
	q, cfg := open(t, h, Config{})
	id := newID(t)
	props := map[string]string{"type": "CaptureJob", "version": "1"}
	before := time.Now()
	send(t, q, queue.Message{ID: id, Body: []byte(`{"hello":"world"}`), Properties: props})
	m := recv(t, q, settleTime)
	after := time.Now()
	wantMessage(t, m, id, 1)
	if string(m.Body) != `{"hello":"world"}` {
		t.Errorf("Body = %q", m.Body)
	}
	if !maps.Equal(m.Properties, props) {
		t.Errorf("Properties = %v, want %v", m.Properties, props)
	}
	if m.EnqueuedAt.Before(before.Add(-clockSlack)) || m.EnqueuedAt.After(after.Add(clockSlack)) {
		t.Errorf("EnqueuedAt = %v, want between %v and %v", m.EnqueuedAt, before, after)
	}
	if lo, hi := after.Add(cfg.LockDuration-clockSlack), before.Add(cfg.LockDuration+clockSlack); m.LockedUntil.Before(lo) || m.LockedUntil.After(hi) {
		t.Errorf("LockedUntil = %v, want about now + %v", m.LockedUntil, cfg.LockDuration)
	}
	complete(t, q, m)
}

func testCompleteNeverReturns(t *testing.T, h Harness) {
	q, cfg := open(t, h, Config{LockDuration: shortLock})
	id := newID(t)
	send(t, q, queue.Message{ID: id, Body: []byte("x")})
	m := recv(t, q, settleTime)
	complete(t, q, m)
	wantLockLost(t, "second Complete", q.Complete(context.Background(), m))
	wantLockLost(t, "Abandon after Complete", q.Abandon(context.Background(), m))
	expectNone(t, q, 2*cfg.LockDuration)
}

func testAbandonRedelivers(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{})
	id := newID(t)
	send(t, q, queue.Message{ID: id, Body: []byte("again")})
	m := recv(t, q, settleTime)
	wantMessage(t, m, id, 1)
	if err := q.Abandon(context.Background(), m); err != nil {
		t.Fatalf("Abandon: %v", err)
	}
	// The lock is long: only Abandon can make it come back this soon.
	m2 := recv(t, q, settleTime)
	wantMessage(t, m2, id, 2)
	if string(m2.Body) != "again" {
		t.Errorf("redelivered Body = %q", m2.Body)
	}
	if m2.LockToken == m.LockToken {
		t.Error("redelivery reused the old lock token")
	}
	complete(t, q, m2)
}

func testLockExpiryRedelivers(t *testing.T, h Harness) {
	q, cfg := open(t, h, Config{LockDuration: shortLock})
	id := newID(t)
	send(t, q, queue.Message{ID: id})
	m := recv(t, q, settleTime)
	wantMessage(t, m, id, 1)
	m2 := recv(t, q, cfg.LockDuration+settleTime)
	wantMessage(t, m2, id, 2)
	if early := m.LockedUntil.Sub(time.Now()); early > clockSlack {
		t.Errorf("redelivered %v before the first lock expired", early)
	}
	complete(t, q, m2)
}

func testRenewLockExtends(t *testing.T, h Harness) {
	q, cfg := open(t, h, Config{LockDuration: shortLock})
	id := newID(t)
	send(t, q, queue.Message{ID: id})
	m := recv(t, q, settleTime)
	// Renew every third of the lock duration, five times: the message is
	// held for over one and a half lock durations and must not come back
	// meanwhile. (A third leaves room for a slow disk under load.)
	for i := range 5 {
		time.Sleep(cfg.LockDuration / 3)
		prev := m.LockedUntil
		if err := q.RenewLock(context.Background(), m); err != nil {
			t.Fatalf("RenewLock #%d: %v", i+1, err)
		}
		if !m.LockedUntil.After(prev) {
			t.Fatalf("RenewLock #%d: LockedUntil %v did not move past %v", i+1, m.LockedUntil, prev)
		}
	}
	expectNone(t, q, cfg.LockDuration/4)
	complete(t, q, m)
}

func testStaleLockIsLost(t *testing.T, h Harness) {
	q, cfg := open(t, h, Config{LockDuration: shortLock})
	id := newID(t)
	send(t, q, queue.Message{ID: id})
	old := recv(t, q, settleTime)
	cur := recv(t, q, cfg.LockDuration+settleTime) // after the old lock expired
	wantMessage(t, cur, id, 2)
	ctx := context.Background()
	wantLockLost(t, "Complete", q.Complete(ctx, old))
	wantLockLost(t, "Abandon", q.Abandon(ctx, old))
	wantLockLost(t, "DeadLetter", q.DeadLetter(ctx, old, "r", "d"))
	wantLockLost(t, "RenewLock", q.RenewLock(ctx, old))
	// The current holder is unaffected by the stale attempts.
	if err := q.RenewLock(ctx, cur); err != nil {
		t.Fatalf("RenewLock by the current holder: %v", err)
	}
	complete(t, q, cur)
}

func testScheduledDelivery(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{})
	const delay = 1500 * time.Millisecond
	id, past := newID(t), newID(t)
	at := time.Now().Add(delay)
	send(t, q, queue.Message{ID: id, ScheduledAt: at})
	send(t, q, queue.Message{ID: past, ScheduledAt: time.Now().Add(-time.Hour)})
	m := recv(t, q, settleTime) // the past-scheduled one is due at once
	wantMessage(t, m, past, 1)
	complete(t, q, m)
	expectNone(t, q, delay/2)
	m = recv(t, q, delay+settleTime)
	wantMessage(t, m, id, 1)
	if early := at.Sub(time.Now()); early > 250*time.Millisecond {
		t.Errorf("scheduled message delivered %v early", early)
	}
	complete(t, q, m)
}

func testReceiveBatch(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{})
	want := map[string]bool{}
	for range 5 {
		id := newID(t)
		want[id] = true
		send(t, q, queue.Message{ID: id})
	}
	ctx, cancel := context.WithTimeout(context.Background(), settleTime)
	defer cancel()
	for len(want) > 0 {
		ms, err := q.Receive(ctx, 10)
		if err != nil {
			t.Fatalf("Receive with %d outstanding: %v", len(want), err)
		}
		if len(ms) == 0 || len(ms) > 10 {
			t.Fatalf("Receive(max 10) returned %d messages", len(ms))
		}
		for _, m := range ms {
			if !want[m.ID] {
				t.Fatalf("unexpected or repeated message %q", m.ID)
			}
			delete(want, m.ID)
			complete(t, q, m)
		}
	}
	if _, err := q.Receive(ctx, 0); err == nil {
		t.Error("Receive(max 0) succeeded, want an error")
	}
}

func testReceiveHonoursContext(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{})
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	ms, err := q.Receive(ctx, 1)
	if !errors.Is(err, context.DeadlineExceeded) || len(ms) != 0 {
		t.Fatalf("Receive on empty queue = %d messages, %v; want context.DeadlineExceeded", len(ms), err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("Receive returned %v after its context ended", waited)
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := q.Receive(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Receive with a cancelled context: err = %v, want context.Canceled", err)
	}
}

func testPropertiesRoundTrip(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{})
	props := map[string]string{"empty": "", "unicode": "größe ✓", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
	for i := len(props); i < queue.MaxProperties; i++ {
		props[string(rune('a'+i%26))+string(rune('A'+i/26))] = "v"
	}
	id := newID(t)
	body := bytes.Repeat([]byte{0, 1, 2, 0xff}, 100)
	send(t, q, queue.Message{ID: id, Body: body, Properties: props})
	m := recv(t, q, settleTime)
	if !maps.Equal(m.Properties, props) {
		t.Errorf("Properties round trip: got %d entries %v, want %d", len(m.Properties), m.Properties, len(props))
	}
	if !bytes.Equal(m.Body, body) {
		t.Error("binary body did not round-trip")
	}
	complete(t, q, m)

	id2 := newID(t)
	send(t, q, queue.Message{ID: id2})
	m = recv(t, q, settleTime)
	if len(m.Body) != 0 || len(m.Properties) != 0 {
		t.Errorf("empty message came back with body %q, properties %v", m.Body, m.Properties)
	}
	complete(t, q, m)
}
