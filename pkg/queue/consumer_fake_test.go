package queue_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// fakeQueue scripts a backend's answers for the consumer's edge cases.
type fakeQueue struct {
	queue.Queue // methods not overridden panic: the test did not expect them

	mu          sync.Mutex
	receiveErrs []error // returned by successive Receive calls, then msgs
	msgs        []*queue.Received
	renewErr    error
	completeErr error
	renewed     int
	completed   []string
	abandoned   []string
}

func (f *fakeQueue) Receive(ctx context.Context, max int) ([]*queue.Received, error) {
	f.mu.Lock()
	if len(f.receiveErrs) > 0 {
		err := f.receiveErrs[0]
		f.receiveErrs = f.receiveErrs[1:]
		f.mu.Unlock()
		return nil, err
	}
	if len(f.msgs) > 0 {
		n := min(max, len(f.msgs))
		out := f.msgs[:n]
		f.msgs = f.msgs[n:]
		f.mu.Unlock()
		return out, nil
	}
	f.mu.Unlock()
	<-ctx.Done()
	return nil, ctx.Err()
}

func (f *fakeQueue) RenewLock(ctx context.Context, m *queue.Received) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renewed++
	if f.renewErr == nil {
		m.LockedUntil = time.Now().Add(time.Second)
	}
	return f.renewErr
}

func (f *fakeQueue) Complete(ctx context.Context, m *queue.Received) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.completed = append(f.completed, m.ID)
	return f.completeErr
}

func (f *fakeQueue) Abandon(ctx context.Context, m *queue.Received) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.abandoned = append(f.abandoned, m.ID)
	return nil
}

func msg(id string) *queue.Received {
	return &queue.Received{Message: queue.Message{ID: id}, LockToken: "t-" + id, DeliveryCount: 1, LockedUntil: time.Now().Add(time.Second)}
}

func TestConsumerBacksOffOnReceiveErrors(t *testing.T) {
	boom := errors.New("amqp: connection reset")
	f := &fakeQueue{receiveErrs: []error{boom, boom, boom}, msgs: []*queue.Received{msg("after")}}
	var (
		mu       sync.Mutex
		attempts []int
	)
	s := newSettlements()
	start(t, queue.Config{
		Queue: f, OnSettle: s.add,
		Backoff: func(attempt int) time.Duration {
			mu.Lock()
			attempts = append(attempts, attempt)
			mu.Unlock()
			return time.Millisecond
		},
		Handler: queue.HandlerFunc(func(context.Context, *queue.Received) error { return nil }),
	})
	if st := s.next(t); st.MessageID != "after" || st.Outcome != queue.Completed {
		t.Fatalf("settlement %+v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(attempts) != "[1 2 3]" {
		t.Errorf("backoff attempts %v, want [1 2 3]", attempts)
	}
}

func TestConsumerStopsWhenQueueClosed(t *testing.T) {
	f := &fakeQueue{receiveErrs: []error{fmt.Errorf("fake: %w", queue.ErrClosed)}}
	c, err := queue.NewConsumer(queue.Config{Queue: f, Logger: quiet,
		Handler: queue.HandlerFunc(func(context.Context, *queue.Received) error { return nil })})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Run(context.Background()); !errors.Is(err, queue.ErrClosed) {
		t.Fatalf("Run = %v, want queue.ErrClosed", err)
	}
	if err := c.Run(context.Background()); err == nil {
		t.Error("second Run succeeded")
	}
}

func TestConsumerLockLostOnSettleIsNotAFailure(t *testing.T) {
	f := &fakeQueue{msgs: []*queue.Received{msg("taken")}, completeErr: fmt.Errorf("fake: %w", queue.ErrLockLost)}
	s := newSettlements()
	stop := start(t, queue.Config{Queue: f, OnSettle: s.add,
		Handler: queue.HandlerFunc(func(context.Context, *queue.Received) error { return nil })})
	if st := s.next(t); st.Outcome != queue.LockLost {
		t.Fatalf("outcome %v, want lock-lost", st.Outcome)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run = %v, want nil: a lost lock is not a consumer failure", err)
	}
}

func TestConsumerLockLostWhileRenewingCancelsHandler(t *testing.T) {
	f := &fakeQueue{msgs: []*queue.Received{msg("stolen")}, renewErr: fmt.Errorf("fake: %w", queue.ErrLockLost)}
	s := newSettlements()
	cause := make(chan error, 1)
	start(t, queue.Config{Queue: f, OnSettle: s.add, LockRenewInterval: 20 * time.Millisecond,
		Handler: queue.HandlerFunc(func(ctx context.Context, m *queue.Received) error {
			<-ctx.Done()
			cause <- context.Cause(ctx)
			return ctx.Err()
		})})
	if st := s.next(t); st.Outcome != queue.LockLost {
		t.Fatalf("outcome %v, want lock-lost", st.Outcome)
	}
	if err := <-cause; !errors.Is(err, queue.ErrLockLost) {
		t.Errorf("handler context cause %v, want queue.ErrLockLost", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.completed)+len(f.abandoned) != 0 {
		t.Errorf("settled a message whose lock was lost: completed %v abandoned %v", f.completed, f.abandoned)
	}
}
