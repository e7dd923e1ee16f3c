package servicebus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// maxReceive caps one Receive; the SDK refuses more than its link buffer.
const maxReceive = 1000

// emptyReceivePause is the wait after an empty, error-free receive.
const emptyReceivePause = 100 * time.Millisecond

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// closeTimeout bounds the SDK calls made by Close.
const closeTimeout = 30 * time.Second

// Queue is one Service Bus queue behind the port. It implements
// queue.Queue and queue.DeadLetterQueue and is safe for concurrent use
// (Receive calls are serialised: the SDK receiver does not allow them to
// overlap).
type Queue struct {
	name        string
	send        sender
	recv        receiver
	newDLQ      func() (receiver, error)
	closeClient func(context.Context) error // nil unless the Queue owns the client

	recvSem chan struct{}

	mu   sync.Mutex
	held map[string]*azservicebus.ReceivedMessage // by lock token, until settled

	dlqMu sync.Mutex // serialises dead-letter listing and resubmission
	dlq   receiver

	closed    context.Context // done once Close is called
	markClose context.CancelFunc
	closeOnce sync.Once
	closeErr  error
}

var (
	_ queue.Queue           = (*Queue)(nil)
	_ queue.DeadLetterQueue = (*Queue)(nil)
)

// New returns the queue name on client, in peek-lock mode. The caller
// keeps ownership of client: Close closes the Queue's sender and
// receivers, not the client.
func New(client *azservicebus.Client, name string) (*Queue, error) {
	if client == nil {
		return nil, errors.New("servicebus: nil client")
	}
	if name == "" {
		return nil, errors.New("servicebus: empty queue name")
	}
	s, err := client.NewSender(name, nil)
	if err != nil {
		return nil, fmt.Errorf("servicebus: sender for %s: %w", name, err)
	}
	r, err := client.NewReceiverForQueue(name, &azservicebus.ReceiverOptions{ReceiveMode: azservicebus.ReceiveModePeekLock})
	if err != nil {
		_ = s.Close(context.Background())
		return nil, fmt.Errorf("servicebus: receiver for %s: %w", name, err)
	}
	newDLQ := func() (receiver, error) {
		return client.NewReceiverForQueue(name, &azservicebus.ReceiverOptions{
			ReceiveMode: azservicebus.ReceiveModePeekLock,
			SubQueue:    azservicebus.SubQueueDeadLetter,
		})
	}
	return newQueue(name, s, r, newDLQ), nil
}

// newQueue builds a Queue over the small interfaces (tests pass fakes).
func newQueue(name string, s sender, r receiver, newDLQ func() (receiver, error)) *Queue {
	closed, markClose := context.WithCancel(context.Background())
	return &Queue{
		name: name, send: s, recv: r, newDLQ: newDLQ,
		recvSem: make(chan struct{}, 1),
		held:    map[string]*azservicebus.ReceivedMessage{},
		closed:  closed, markClose: markClose,
	}
}

// Name returns the queue's name.
func (q *Queue) Name() string { return q.name }

func (q *Queue) checkOpen() error {
	if q.closed.Err() != nil {
		return queue.ErrClosed
	}
	return nil
}

// Send sends msg; with ScheduledAt set, Service Bus holds it until then.
// Duplicate detection (when the queue entity has it on) drops a repeated
// MessageID within the entity's window.
func (q *Queue) Send(ctx context.Context, msg queue.Message) error {
	if err := queue.ValidateMessage(msg); err != nil {
		return err
	}
	if err := q.checkOpen(); err != nil {
		return err
	}
	return translate("send", msg.ID, q.send.SendMessage(ctx, toSDK(msg), nil))
}

// Receive waits for at least one message and returns up to max (at most
// 1000) locked messages.
func (q *Queue) Receive(ctx context.Context, max int) ([]*queue.Received, error) {
	if max < 1 {
		return nil, fmt.Errorf("servicebus: receive max %d must be at least 1", max)
	}
	if err := q.checkOpen(); err != nil {
		return nil, err
	}
	select {
	case q.recvSem <- struct{}{}:
		defer func() { <-q.recvSem }()
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-q.closed.Done():
		return nil, queue.ErrClosed
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(q.closed, cancel)
	defer stop()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rms, err := q.recv.ReceiveMessages(rctx, min(max, maxReceive), nil)
		if len(rms) == 0 {
			switch {
			case q.closed.Err() != nil:
				return nil, queue.ErrClosed
			case ctx.Err() != nil:
				return nil, ctx.Err()
			case err != nil:
				return nil, translate("receive from", q.name, err)
			}
			// The SDK returns nothing, without an error, after it recovered
			// from a link failure; keep waiting, without spinning. (A
			// cancellation during the pause is reported by the next turn.)
			pause(rctx, emptyReceivePause)
			continue
		}
		return q.track(rms), nil
	}
}

// track maps received messages and remembers them for settlement,
// forgetting messages whose locks expired long ago unsettled.
func (q *Queue) track(rms []*azservicebus.ReceivedMessage) []*queue.Received {
	out := make([]*queue.Received, 0, len(rms))
	q.mu.Lock()
	defer q.mu.Unlock()
	stale := time.Now().Add(-time.Minute)
	for tok, rm := range q.held {
		if rm.LockedUntil != nil && rm.LockedUntil.Before(stale) {
			delete(q.held, tok)
		}
	}
	for _, rm := range rms {
		if rm == nil {
			continue
		}
		r := fromReceived(rm)
		q.held[r.LockToken] = rm
		out = append(out, r)
	}
	return out
}

// Complete removes the message for good.
func (q *Queue) Complete(ctx context.Context, m *queue.Received) error {
	return q.settle(ctx, m, "complete", true, func(rm *azservicebus.ReceivedMessage) error {
		return q.recv.CompleteMessage(ctx, rm, nil)
	})
}

// Abandon releases the message; Service Bus redelivers it, or
// dead-letters it once its delivery count reaches the entity's
// MaxDeliveryCount.
func (q *Queue) Abandon(ctx context.Context, m *queue.Received) error {
	return q.settle(ctx, m, "abandon", true, func(rm *azservicebus.ReceivedMessage) error {
		return q.recv.AbandonMessage(ctx, rm, nil)
	})
}

// DeadLetter moves the message to the dead-letter sub-queue, with reason
// and description cut to queue.ClampDeadLetter's limits.
func (q *Queue) DeadLetter(ctx context.Context, m *queue.Received, reason, description string) error {
	reason, description = queue.ClampDeadLetter(reason, description)
	return q.settle(ctx, m, "dead-letter", true, func(rm *azservicebus.ReceivedMessage) error {
		return q.recv.DeadLetterMessage(ctx, rm, &azservicebus.DeadLetterOptions{Reason: &reason, ErrorDescription: &description})
	})
}

// RenewLock renews the message's lock and updates m.LockedUntil.
func (q *Queue) RenewLock(ctx context.Context, m *queue.Received) error {
	return q.settle(ctx, m, "renew lock of", false, func(rm *azservicebus.ReceivedMessage) error {
		if err := q.recv.RenewMessageLock(ctx, rm, nil); err != nil {
			return err
		}
		if rm.LockedUntil != nil {
			m.LockedUntil = *rm.LockedUntil
		}
		return nil
	})
}

// settle finds the SDK message behind m and runs fn on it. Settling
// operations (final) forget the message once it is settled or its lock
// is known lost.
func (q *Queue) settle(ctx context.Context, m *queue.Received, op string, final bool, fn func(*azservicebus.ReceivedMessage) error) error {
	if m == nil {
		return fmt.Errorf("servicebus: %s: nil message", op)
	}
	if err := q.checkOpen(); err != nil {
		return err
	}
	q.mu.Lock()
	rm := q.held[m.LockToken]
	q.mu.Unlock()
	if rm == nil {
		return fmt.Errorf("servicebus: %s %q: %w: lock token not held by this queue (settled already, or from another receiver)", op, m.ID, queue.ErrLockLost)
	}
	err := translate(op, m.ID, fn(rm))
	if err == nil && final || errors.Is(err, queue.ErrLockLost) {
		q.mu.Lock()
		delete(q.held, m.LockToken)
		q.mu.Unlock()
	}
	return err
}

// Close closes the Queue's sender and receivers (and the client, when
// OpenURL created it). Unsettled messages are redelivered when their
// locks expire. Close is idempotent; later calls return the first
// result.
func (q *Queue) Close() error {
	q.closeOnce.Do(func() {
		q.markClose()
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		var errs []error
		errs = append(errs, q.send.Close(ctx), q.recv.Close(ctx))
		q.dlqMu.Lock()
		if q.dlq != nil {
			errs = append(errs, q.dlq.Close(ctx))
		}
		q.dlqMu.Unlock()
		if q.closeClient != nil {
			errs = append(errs, q.closeClient(ctx))
		}
		if err := errors.Join(errs...); err != nil {
			q.closeErr = fmt.Errorf("servicebus: close %s: %w", q.name, err)
		}
	})
	return q.closeErr
}
