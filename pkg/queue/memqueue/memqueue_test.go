package memqueue_test

import (
	"testing"

	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/memqueue"
	"github.com/dumpflow/dumpflow/pkg/queue/queuetest"
)

type harness struct{}

func (harness) Open(t *testing.T, want queuetest.Config) (queue.Queue, queuetest.Config) {
	q, err := memqueue.New(memqueue.Options{LockDuration: want.LockDuration, MaxDeliveries: want.MaxDeliveries, DedupeWindow: want.DedupeWindow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close() })
	return q, want
}

// Reopen is not possible: the state lives in the Queue value.
func (harness) Reopen(*testing.T, queue.Queue) queue.Queue { return nil }

func TestConformance(t *testing.T) {
	queuetest.Run(t, harness{})
}
