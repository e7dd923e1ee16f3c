package queuetest

import (
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

func testDuplicateWithinWindow(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{LockDuration: shortLock})
	id := newID(t)
	send(t, q, queue.Message{ID: id, Body: []byte("first")})
	send(t, q, queue.Message{ID: id, Body: []byte("second")})
	m := recv(t, q, settleTime)
	if string(m.Body) != "first" {
		t.Errorf("Body = %q, want the first send's", m.Body)
	}
	complete(t, q, m)
	// Completed or not, the ID stays remembered for the window.
	send(t, q, queue.Message{ID: id, Body: []byte("third")})
	expectNone(t, q, 2*shortLock)
}

func testDuplicateAfterWindow(t *testing.T, h Harness) {
	q, cfg := open(t, h, Config{DedupeWindow: shortDedupe})
	if cfg.DedupeWindow > 2*time.Second {
		t.Skipf("backend's shortest dedupe window is %v", cfg.DedupeWindow)
	}
	id := newID(t)
	send(t, q, queue.Message{ID: id, Body: []byte("first")})
	complete(t, q, recv(t, q, settleTime))
	time.Sleep(cfg.DedupeWindow + 100*time.Millisecond)
	send(t, q, queue.Message{ID: id, Body: []byte("again")})
	m := recv(t, q, settleTime)
	if string(m.Body) != "again" {
		t.Errorf("Body = %q, want the send after the window", m.Body)
	}
	complete(t, q, m)
}
