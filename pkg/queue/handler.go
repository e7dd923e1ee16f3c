package queue

import "context"

// Handler processes one received message for a Consumer. Its return value
// decides the message's fate: nil completes it, an error marked with
// Permanent dead-letters it (reason ReasonHandlerPermanentError, the error
// text as description), and any other error abandons it for redelivery
// (until the queue's maximum delivery count dead-letters it).
//
// ctx is cancelled when the message's lock is lost (context.Cause is then
// ErrLockLost) or when the Consumer shuts down and its grace period has
// passed; a handler that returns an error then has its message abandoned,
// never completed. Handle is called concurrently for different messages.
// It must not settle m itself.
type Handler interface {
	Handle(ctx context.Context, m *Received) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, m *Received) error

// Handle calls f(ctx, m).
func (f HandlerFunc) Handle(ctx context.Context, m *Received) error { return f(ctx, m) }

// ReasonHandlerPermanentError is the dead-letter reason given by the
// Consumer to a message whose handler returned a Permanent error.
const ReasonHandlerPermanentError = "HandlerPermanentError"
