package servicebus

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
)

// fakeSender records sent messages.
type fakeSender struct {
	mu     sync.Mutex
	sent   []*azservicebus.Message
	err    error
	closed bool
}

func (f *fakeSender) SendMessage(ctx context.Context, m *azservicebus.Message, o *azservicebus.SendMessageOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.sent = append(f.sent, m)
	return nil
}

func (f *fakeSender) Close(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

// fakeReceiver hands out scripted batches and records settlements. With
// no batch left, ReceiveMessages blocks until ctx ends, like the SDK.
type fakeReceiver struct {
	mu        sync.Mutex
	batches   [][]*azservicebus.ReceivedMessage
	recvErrs  []error // returned before the batches, one per call
	peek      [][]*azservicebus.ReceivedMessage
	peekOpts  []*azservicebus.PeekMessagesOptions
	settleErr error
	renewErr  error

	completed, abandoned, renewed []*azservicebus.ReceivedMessage
	deadLettered                  []*azservicebus.DeadLetterOptions
	closed                        bool

	receiving atomic.Bool
	overlap   atomic.Bool // set if ReceiveMessages calls ever overlapped
}

func (f *fakeReceiver) ReceiveMessages(ctx context.Context, max int, o *azservicebus.ReceiveMessagesOptions) ([]*azservicebus.ReceivedMessage, error) {
	if !f.receiving.CompareAndSwap(false, true) {
		f.overlap.Store(true)
		return nil, errors.New("receiver is already receiving messages")
	}
	defer f.receiving.Store(false)
	f.mu.Lock()
	if len(f.recvErrs) > 0 {
		err := f.recvErrs[0]
		f.recvErrs = f.recvErrs[1:]
		f.mu.Unlock()
		return nil, err
	}
	if len(f.batches) > 0 {
		b := f.batches[0]
		f.batches = f.batches[1:]
		f.mu.Unlock()
		return b, nil
	}
	f.mu.Unlock()
	<-ctx.Done()
	return nil, ctx.Err()
}

func (f *fakeReceiver) PeekMessages(ctx context.Context, max int, o *azservicebus.PeekMessagesOptions) ([]*azservicebus.ReceivedMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.peekOpts = append(f.peekOpts, o)
	if len(f.peek) == 0 {
		return nil, nil
	}
	b := f.peek[0]
	f.peek = f.peek[1:]
	return b, nil
}

func (f *fakeReceiver) CompleteMessage(ctx context.Context, m *azservicebus.ReceivedMessage, o *azservicebus.CompleteMessageOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.completed = append(f.completed, m)
	return f.settleErr
}

func (f *fakeReceiver) AbandonMessage(ctx context.Context, m *azservicebus.ReceivedMessage, o *azservicebus.AbandonMessageOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.abandoned = append(f.abandoned, m)
	return f.settleErr
}

func (f *fakeReceiver) DeadLetterMessage(ctx context.Context, m *azservicebus.ReceivedMessage, o *azservicebus.DeadLetterOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deadLettered = append(f.deadLettered, o)
	return f.settleErr
}

func (f *fakeReceiver) RenewMessageLock(ctx context.Context, m *azservicebus.ReceivedMessage, o *azservicebus.RenewMessageLockOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renewed = append(f.renewed, m)
	if f.renewErr != nil {
		return f.renewErr
	}
	t := m.LockedUntil.Add(60e9)
	m.LockedUntil = &t
	return nil
}

func (f *fakeReceiver) Close(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

// newFake returns a Queue over fakes, and the fakes.
func newFake() (*Queue, *fakeSender, *fakeReceiver, *fakeReceiver) {
	s, r, dlq := &fakeSender{}, &fakeReceiver{}, &fakeReceiver{}
	q := newQueue("captures", s, r, func() (receiver, error) { return dlq, nil })
	return q, s, r, dlq
}
