package ingesttest

import (
	"context"
	"sync"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// Queue is an in-memory, send-side queue.Queue: Send records messages and
// drops duplicates by id (forever, a superset of a detection window);
// receiving is not supported.
type Queue struct {
	mu   sync.Mutex
	msgs []queue.Message
	ids  map[string]bool
	// Dropped counts duplicates dropped.
	Dropped int
	// Fail, when set, is returned by Send.
	Fail error
}

var _ queue.Queue = (*Queue)(nil)

// NewQueue returns an empty Queue.
func NewQueue() *Queue { return &Queue{ids: map[string]bool{}} }

// Messages returns the messages accepted so far, in order.
func (q *Queue) Messages() []queue.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]queue.Message(nil), q.msgs...)
}

func (q *Queue) Send(ctx context.Context, m queue.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.Fail != nil {
		return q.Fail
	}
	if m.ID == "" || len(m.ID) > queue.MaxIDLength || len(m.Body) > queue.MaxBodySize {
		return queue.ErrInvalidMessage
	}
	if q.ids[m.ID] {
		q.Dropped++
		return nil
	}
	q.ids[m.ID] = true
	q.msgs = append(q.msgs, m)
	return nil
}

func (q *Queue) Receive(ctx context.Context, _ int) ([]*queue.Received, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
func (q *Queue) Complete(context.Context, *queue.Received) error { return queue.ErrLockLost }
func (q *Queue) Abandon(context.Context, *queue.Received) error  { return queue.ErrLockLost }
func (q *Queue) DeadLetter(context.Context, *queue.Received, string, string) error {
	return queue.ErrLockLost
}
func (q *Queue) RenewLock(context.Context, *queue.Received) error { return queue.ErrLockLost }
func (q *Queue) Close() error                                     { return nil }
