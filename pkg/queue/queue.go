// Package queue is the port through which dumpflow's services exchange
// messages: a peek-lock work queue with the semantics of an Azure Service Bus
// queue (lock duration and renewal, delivery count, dead-lettering after a
// maximum number of deliveries, scheduled delivery and duplicate detection by
// message id).
//
// Backends live in sub-packages: sqlitequeue (the durable embedded default,
// selected by a file:// URL) and servicebus (Azure Service Bus). Every backend
// passes the conformance suite in queuetest.
//
// Backends translate; they never retry. The Consumer in this package owns the
// receive loop, lock renewal, settlement and dead-lettering.
package queue

import (
	"context"
	"errors"
	"time"
)

// Message is what a sender puts on a queue.
type Message struct {
	// ID identifies the message for duplicate detection: a second message
	// with the same ID sent within the queue's duplicate-detection window is
	// dropped silently. Required; at most 128 bytes.
	ID string
	// Body is the payload (for dumpflow, a messages.Envelope as JSON).
	Body []byte
	// Properties are application properties (envelope type, schema version,
	// trace context), carried beside the body. Optional.
	Properties map[string]string
	// ScheduledAt, when non-zero and in the future, delays delivery until then.
	ScheduledAt time.Time
}

// Received is a message delivered under a peek-lock. It must be settled
// (Complete, Abandon or DeadLetter) by the receiver that holds it, before the
// lock expires or after renewing it.
type Received struct {
	Message
	// LockToken identifies this delivery; settlement with a stale token fails
	// with ErrLockLost.
	LockToken string
	// DeliveryCount is 1 on the first delivery and grows with each redelivery.
	DeliveryCount int
	// EnqueuedAt is when the queue accepted the message.
	EnqueuedAt time.Time
	// LockedUntil is when the lock expires unless renewed.
	LockedUntil time.Time
}

// Queue is one named queue. Implementations are safe for concurrent use.
type Queue interface {
	// Send enqueues msg. A duplicate ID within the detection window is
	// dropped and Send returns nil.
	Send(ctx context.Context, msg Message) error
	// Receive waits until at least one message is available (or ctx is done)
	// and returns up to max messages, each locked for the queue's lock
	// duration. It returns ctx.Err() when ctx ends first.
	Receive(ctx context.Context, max int) ([]*Received, error)
	// Complete removes the message for good; it is never delivered again.
	Complete(ctx context.Context, m *Received) error
	// Abandon releases the lock so the message is delivered again. When the
	// delivery count has reached the queue's maximum, the message is
	// dead-lettered with reason ReasonMaxDeliveries instead.
	Abandon(ctx context.Context, m *Received) error
	// DeadLetter moves the message to the dead-letter sub-queue with a reason
	// and a human-readable description.
	DeadLetter(ctx context.Context, m *Received, reason, description string) error
	// RenewLock extends the lock by the lock duration and updates
	// m.LockedUntil. It fails with ErrLockLost when the lock already expired
	// (and the message may be with another receiver).
	RenewLock(ctx context.Context, m *Received) error
	// Close releases the backend's resources. Messages still locked by this
	// receiver are redelivered when their locks expire.
	Close() error
}

// DeadLetter is a message in a dead-letter sub-queue.
type DeadLetter struct {
	Message
	Reason        string
	Description   string
	DeliveryCount int
	EnqueuedAt    time.Time
	DeadLetterAt  time.Time
}

// DeadLetterQueue is implemented by backends whose dead-letter sub-queue can
// be inspected and resubmitted by an operator.
type DeadLetterQueue interface {
	// DeadLetters lists up to max dead-lettered messages, oldest first.
	DeadLetters(ctx context.Context, max int) ([]DeadLetter, error)
	// Resubmit moves the dead-lettered message with the given ID back to the
	// main queue with a fresh delivery count. ErrNotFound if absent.
	Resubmit(ctx context.Context, id string) error
}

// Dead-letter reasons set by the queue itself.
const (
	// ReasonMaxDeliveries is the reason given when a message was delivered
	// the maximum number of times without being completed.
	ReasonMaxDeliveries = "MaxDeliveryCountExceeded"
)

var (
	// ErrLockLost means the peek-lock expired or the message was settled
	// already: another receiver may own it now. It is not a failure of the
	// message itself.
	ErrLockLost = errors.New("queue: message lock lost")
	// ErrClosed is returned by operations on a closed queue.
	ErrClosed = errors.New("queue: closed")
	// ErrNotFound is returned when a dead-lettered message does not exist.
	ErrNotFound = errors.New("queue: message not found")
	// ErrInvalidMessage is returned by Send for a message that breaks the
	// port's rules (empty or oversized ID, oversized body or properties).
	ErrInvalidMessage = errors.New("queue: invalid message")
)

// Defaults shared by the embedded backends (sqlitequeue, memqueue): Service
// Bus's own defaults, so that a queue behaves alike whichever backend runs
// it.
const (
	DefaultLockDuration  = 60 * time.Second
	DefaultMaxDeliveries = 10
	DefaultDedupeWindow  = 10 * time.Minute
)

// Limits shared by every backend, so that a message accepted by the
// embedded queue is also accepted by Service Bus (Standard tier).
const (
	MaxIDLength   = 128
	MaxBodySize   = 192 << 10 // headroom under Service Bus Standard's 256 KiB
	MaxProperties = 64
)
