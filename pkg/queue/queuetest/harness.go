// Package queuetest is the conformance suite every queue.Queue backend
// must pass, in the manner of go-cloud's drivertest: a backend's test
// supplies a Harness and calls Run.
//
//	func TestConformance(t *testing.T) { queuetest.Run(t, myHarness{}) }
//
// The suite asserts the port's contract as documented in package queue:
// peek-lock delivery, settlement, lock renewal and expiry, delivery counts,
// dead-lettering (by the queue and by the receiver), duplicate detection,
// scheduled delivery, concurrent consumers, crash recovery, input limits,
// and, when the backend implements queue.DeadLetterQueue, listing and
// resubmitting dead letters. Subtests run in parallel, each on a fresh
// queue; with the short lock durations the harness is asked for, the whole
// suite takes a few seconds.
package queuetest

import (
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// Config is the queue configuration a case asks the harness for.
type Config struct {
	// LockDuration of the queue; the suite asks for short ones (1s).
	LockDuration time.Duration
	// MaxDeliveries before the queue dead-letters a message.
	MaxDeliveries int
	// DedupeWindow for duplicate detection by message ID.
	DedupeWindow time.Duration
}

// Harness makes queues for the suite.
type Harness interface {
	// Open returns a fresh, empty queue configured as close to want as the
	// backend allows, and the configuration it actually has (for example,
	// Service Bus cannot lock for less than 5s, nor keep a dedupe window
	// shorter than 20s); the suite times its waits from the returned one
	// and skips cases that need a shorter setting. The harness deletes the
	// queue at the end of the test (t.Cleanup). Open must be safe to call
	// from parallel subtests.
	Open(t *testing.T, want Config) (queue.Queue, Config)
	// Reopen simulates a crashed and restarted consumer: it drops q
	// without settling the messages it holds and returns a new handle on
	// the same queue, as a restarted process would open it. It returns nil
	// when the backend cannot do this (the crash case is then skipped).
	Reopen(t *testing.T, q queue.Queue) queue.Queue
}

// Run runs the conformance suite against the harness.
func Run(t *testing.T, h Harness) {
	cases := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"SendReceiveComplete", testSendReceiveComplete},
		{"CompleteNeverReturns", testCompleteNeverReturns},
		{"AbandonRedelivers", testAbandonRedelivers},
		{"LockExpiryRedelivers", testLockExpiryRedelivers},
		{"RenewLockExtends", testRenewLockExtends},
		{"StaleLockIsLost", testStaleLockIsLost},
		{"MaxDeliveriesDeadLetters", testMaxDeliveriesDeadLetters},
		{"LockExpiryCountsTowardMaxDeliveries", testExpiryCountsTowardMax},
		{"ExplicitDeadLetter", testExplicitDeadLetter},
		{"DuplicateWithinWindowDropped", testDuplicateWithinWindow},
		{"DuplicateAfterWindowDelivered", testDuplicateAfterWindow},
		{"ScheduledDelivery", testScheduledDelivery},
		{"ReceiveBatch", testReceiveBatch},
		{"ReceiveHonoursContext", testReceiveHonoursContext},
		{"ConcurrentConsumers", testConcurrentConsumers},
		{"CrashedConsumerRedelivers", testCrashRedelivers},
		{"InvalidInputs", testInvalidInputs},
		{"LimitsAccepted", testLimitsAccepted},
		{"PropertiesRoundTrip", testPropertiesRoundTrip},
		{"ClosedQueue", testClosedQueue},
		{"DeadLetterQueue", testDeadLetterQueue},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, h)
		})
	}
}
