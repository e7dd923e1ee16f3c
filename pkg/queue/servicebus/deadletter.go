package servicebus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// resubmitScanMax bounds a Resubmit scan of the dead-letter sub-queue.
const resubmitScanMax = 5000

// resubmitIdleWait ends a Resubmit scan when no dead letter arrives for
// that long (a variable so that tests can shorten it).
var resubmitIdleWait = 3 * time.Second

// deadLetterReceiver returns the receiver on the dead-letter sub-queue,
// creating it on first use. The caller holds q.dlqMu.
func (q *Queue) deadLetterReceiver() (receiver, error) {
	if q.dlq != nil {
		return q.dlq, nil
	}
	r, err := q.newDLQ()
	if err != nil {
		return nil, fmt.Errorf("servicebus: dead-letter receiver for %s: %w", q.name, err)
	}
	q.dlq = r
	return r, nil
}

// DeadLetters peeks (without locking) at up to max messages of the
// dead-letter sub-queue, oldest first. Service Bus reports one enqueue
// time for a dead letter; it fills both EnqueuedAt and DeadLetterAt.
func (q *Queue) DeadLetters(ctx context.Context, max int) ([]queue.DeadLetter, error) {
	if max < 1 {
		return nil, fmt.Errorf("servicebus: dead letters max %d must be at least 1", max)
	}
	if err := q.checkOpen(); err != nil {
		return nil, err
	}
	q.dlqMu.Lock()
	defer q.dlqMu.Unlock()
	dlq, err := q.deadLetterReceiver()
	if err != nil {
		return nil, err
	}
	var out []queue.DeadLetter
	from := int64(0)
	opts := &azservicebus.PeekMessagesOptions{FromSequenceNumber: &from}
	for len(out) < max {
		rms, err := dlq.PeekMessages(ctx, min(max-len(out), maxReceive), opts)
		if err != nil {
			return nil, translate("list dead letters of", q.name, err)
		}
		if len(rms) == 0 {
			break
		}
		for _, rm := range rms {
			if rm != nil {
				out = append(out, fromDeadLettered(rm))
			}
		}
		opts = nil // continue after the last peeked message
	}
	return out, nil
}

// Resubmit moves the oldest dead letter with the given ID back to the main
// queue: it sends a copy under a fresh MessageID (so that duplicate
// detection lets it through) with the original ID in PropOriginalID, then
// completes the dead letter. Finding it locks dead letters one batch at a
// time (up to 5000, stopping when none arrives for 3s) and abandons the
// others afterwards. It fails with an error wrapping queue.ErrNotFound
// when no dead letter has that ID. If the send succeeds but completing the
// dead letter fails, the message exists in both places and the error says
// so.
func (q *Queue) Resubmit(ctx context.Context, id string) error {
	if err := q.checkOpen(); err != nil {
		return err
	}
	q.dlqMu.Lock()
	defer q.dlqMu.Unlock()
	dlq, err := q.deadLetterReceiver()
	if err != nil {
		return err
	}
	var others []*azservicebus.ReceivedMessage
	defer func() {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
		defer cancel()
		for _, rm := range others {
			if rm != nil {
				_ = dlq.AbandonMessage(actx, rm, nil) // its lock expires anyway
			}
		}
	}()
	for scanned := 0; scanned < resubmitScanMax; {
		rctx, cancel := context.WithTimeout(ctx, resubmitIdleWait)
		rms, err := dlq.ReceiveMessages(rctx, 100, nil)
		cancel()
		if len(rms) == 0 {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return translate("resubmit", id, err)
			}
			break
		}
		scanned += len(rms)
		for i, rm := range rms {
			if rm == nil || fromSDK(rm).ID != id {
				others = append(others, rm)
				continue
			}
			others = append(others, rms[i+1:]...)
			return q.resend(ctx, dlq, rm, id)
		}
	}
	return fmt.Errorf("servicebus: resubmit %q in %s: %w", id, q.name, queue.ErrNotFound)
}

func (q *Queue) resend(ctx context.Context, dlq receiver, rm *azservicebus.ReceivedMessage, id string) error {
	m := fromSDK(rm)
	props := make(map[string]string, len(m.Properties)+1)
	for k, v := range m.Properties {
		props[k] = v
	}
	props[PropOriginalID] = id
	var r [16]byte
	_, _ = rand.Read(r[:])
	fresh := queue.Message{ID: "resubmit-" + hex.EncodeToString(r[:]), Body: m.Body}
	out := toSDK(fresh)
	out.ApplicationProperties = make(map[string]any, len(props))
	for k, v := range props {
		out.ApplicationProperties[k] = v
	}
	if err := q.send.SendMessage(ctx, out, nil); err != nil {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
		defer cancel()
		_ = dlq.AbandonMessage(actx, rm, nil)
		return translate("resubmit", id, err)
	}
	if err := dlq.CompleteMessage(ctx, rm, nil); err != nil {
		return fmt.Errorf("servicebus: resubmit %q: sent, but the dead letter remains: %w", id, translate("complete dead letter", id, err))
	}
	return nil
}
