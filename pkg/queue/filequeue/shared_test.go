package filequeue

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// TestSendWakesReceiverOnAnotherHandle: two Queues of one process on the
// same file share a wake-up channel, so a Send through one wakes a
// Receive on the other long before the poll interval.
func TestSendWakesReceiverOnAnotherHandle(t *testing.T) {
	dir := t.TempDir()
	opts := Options{PollInterval: time.Minute}
	q1, err := Open(dir, "q", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer q1.Close()
	q2, err := Open(dir, "q", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer q2.Close()
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := q2.Receive(ctx, 1)
		got <- err
	}()
	time.Sleep(50 * time.Millisecond) // let Receive start waiting
	start := time.Now()
	if err := q1.Send(context.Background(), queue.Message{ID: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("woken after %v", d)
	}
}

// TestBusyFile holds the file lock the way another process would and
// checks that operations wait, then fail with ErrBusy or the context's
// error, and succeed once the lock is released.
func TestBusyFile(t *testing.T) {
	q, err := Open(t.TempDir(), "q", Options{BusyTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	// Another process's lock: a second open file description conflicts.
	other, err := os.OpenFile(q.Path()+".lock", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(other.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = q.Send(context.Background(), queue.Message{ID: "a"})
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("Send on a locked file: %v, want ErrBusy", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("gave up after %v, before the busy timeout", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := q.Send(ctx, queue.Message{ID: "b"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send with a short context on a locked file: %v, want DeadlineExceeded", err)
	}
	done := make(chan error, 1)
	go func() { done <- q.Send(context.Background(), queue.Message{ID: "c"}) }()
	time.Sleep(50 * time.Millisecond)
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Send once the lock was released: %v", err)
	}
}
