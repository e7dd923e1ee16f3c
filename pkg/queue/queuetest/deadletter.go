package queuetest

import (
	"context"
	"errors"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

func testMaxDeliveriesDeadLetters(t *testing.T, h Harness) {
	q, cfg := open(t, h, Config{MaxDeliveries: 3})
	if cfg.MaxDeliveries > 5 {
		t.Skipf("backend keeps max deliveries at %d", cfg.MaxDeliveries)
	}
	id := newID(t)
	send(t, q, queue.Message{ID: id, Body: []byte("poison")})
	for i := 1; i <= cfg.MaxDeliveries; i++ {
		m := recv(t, q, settleTime)
		wantMessage(t, m, id, i)
		if err := q.Abandon(context.Background(), m); err != nil {
			t.Fatalf("Abandon #%d: %v", i, err)
		}
	}
	expectNone(t, q, shortLock)
	if d := deadLetterQueue(q); d != nil {
		dl := findDeadLetter(t, d, id)
		if dl.Reason != queue.ReasonMaxDeliveries {
			t.Errorf("dead-letter reason %q, want %q", dl.Reason, queue.ReasonMaxDeliveries)
		}
		if string(dl.Body) != "poison" {
			t.Errorf("dead-lettered body %q", dl.Body)
		}
	}
}

func testExpiryCountsTowardMax(t *testing.T, h Harness) {
	q, cfg := open(t, h, Config{MaxDeliveries: 2, LockDuration: shortLock})
	if cfg.MaxDeliveries > 5 {
		t.Skipf("backend keeps max deliveries at %d", cfg.MaxDeliveries)
	}
	id := newID(t)
	send(t, q, queue.Message{ID: id})
	for i := 1; i <= cfg.MaxDeliveries; i++ {
		m := recv(t, q, cfg.LockDuration+settleTime)
		wantMessage(t, m, id, i) // never settled: its lock expires
	}
	expectNone(t, q, 2*cfg.LockDuration)
	if d := deadLetterQueue(q); d != nil {
		if dl := findDeadLetter(t, d, id); dl.Reason != queue.ReasonMaxDeliveries {
			t.Errorf("dead-letter reason %q, want %q", dl.Reason, queue.ReasonMaxDeliveries)
		}
	}
}

func testExplicitDeadLetter(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{})
	id := newID(t)
	props := map[string]string{"type": "DumpCaptured"}
	send(t, q, queue.Message{ID: id, Body: []byte("bad"), Properties: props})
	m := recv(t, q, settleTime)
	if err := q.DeadLetter(context.Background(), m, "InvalidEnvelope", "field incident_id: empty"); err != nil {
		t.Fatalf("DeadLetter: %v", err)
	}
	wantLockLost(t, "Complete after DeadLetter", q.Complete(context.Background(), m))
	expectNone(t, q, shortLock)
	d := deadLetterQueue(q)
	if d == nil {
		return
	}
	dl := findDeadLetter(t, d, id)
	if dl.Reason != "InvalidEnvelope" || dl.Description != "field incident_id: empty" {
		t.Errorf("dead letter reason %q description %q", dl.Reason, dl.Description)
	}
	if string(dl.Body) != "bad" || dl.Properties["type"] != "DumpCaptured" {
		t.Errorf("dead letter body %q properties %v", dl.Body, dl.Properties)
	}
	if dl.DeadLetterAt.IsZero() || dl.EnqueuedAt.IsZero() {
		t.Errorf("dead letter times not set: enqueued %v, dead-lettered %v", dl.EnqueuedAt, dl.DeadLetterAt)
	}
}

func testDeadLetterQueue(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{})
	d := deadLetterQueue(q)
	if d == nil {
		t.Skip("backend does not implement queue.DeadLetterQueue")
	}
	ctx := context.Background()
	ids := []string{newID(t), newID(t)}
	for _, id := range ids {
		send(t, q, queue.Message{ID: id, Body: []byte(id)})
		m := recv(t, q, settleTime)
		if err := q.DeadLetter(ctx, m, "Test", "dead-lettered by the suite"); err != nil {
			t.Fatalf("DeadLetter: %v", err)
		}
	}
	findDeadLetter(t, d, ids[1])
	dls, err := d.DeadLetters(ctx, 10)
	if err != nil {
		t.Fatalf("DeadLetters: %v", err)
	}
	if len(dls) != 2 || dls[0].ID != ids[0] || dls[1].ID != ids[1] {
		t.Fatalf("DeadLetters = %d entries, want %v oldest first", len(dls), ids)
	}
	if one, err := d.DeadLetters(ctx, 1); err != nil || len(one) != 1 {
		t.Errorf("DeadLetters(max 1) = %d entries, %v", len(one), err)
	}
	if err := d.Resubmit(ctx, ids[0]); err != nil {
		t.Fatalf("Resubmit: %v", err)
	}
	m := recv(t, q, settleTime)
	wantMessage(t, m, ids[0], 1)
	if string(m.Body) != ids[0] {
		t.Errorf("resubmitted body %q", m.Body)
	}
	complete(t, q, m)
	dls, err = d.DeadLetters(ctx, 10)
	if err != nil || len(dls) != 1 || dls[0].ID != ids[1] {
		t.Fatalf("after Resubmit, DeadLetters = %v, %v; want only %q", dls, err, ids[1])
	}
	if err := d.Resubmit(ctx, "no-such-message"); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("Resubmit of an unknown ID: err = %v, want queue.ErrNotFound", err)
	}
}
