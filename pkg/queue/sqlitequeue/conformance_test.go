package sqlitequeue_test

import (
	"testing"

	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/queuetest"
	"github.com/dumpflow/dumpflow/pkg/queue/sqlitequeue"
)

// harness opens each queue in a fresh temporary directory.
type harness struct{}

func (harness) Open(t *testing.T, want queuetest.Config) (queue.Queue, queuetest.Config) {
	q, err := sqlitequeue.Open(t.TempDir(), "test", sqlitequeue.Options{
		LockDuration:  want.LockDuration,
		MaxDeliveries: want.MaxDeliveries,
		DedupeWindow:  want.DedupeWindow,
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = q.Close() })
	return q, want
}

// Reopen closes q (which settles nothing: its locks simply stay until they
// expire, as after a crash) and opens the same file again. The real
// process crash is TestSIGKILLedConsumer.
func (harness) Reopen(t *testing.T, q queue.Queue) queue.Queue {
	fq := q.(*sqlitequeue.Queue)
	opts := fq.Options()
	if err := fq.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	q2, err := sqlitequeue.Open(fq.Dir(), fq.Name(), opts)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { _ = q2.Close() })
	return q2
}

func TestConformance(t *testing.T) {
	queuetest.Run(t, harness{})
}
