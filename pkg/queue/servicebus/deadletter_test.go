package servicebus

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

func deadLettered(id, reason string) *azservicebus.ReceivedMessage {
	rm := sdkMessage(id, id[0])
	rm.DeadLetterReason = &reason
	rm.DeadLetterErrorDescription = ptr("because")
	rm.ApplicationProperties["DeadLetterReason"] = reason
	rm.ApplicationProperties["DeadLetterErrorDescription"] = "because"
	return rm
}

func TestDeadLettersPeeksFromTheStart(t *testing.T) {
	q, _, _, dlq := newFake()
	dlq.peek = [][]*azservicebus.ReceivedMessage{
		{deadLettered("a", queue.ReasonMaxDeliveries)},
		{deadLettered("b", "HandlerPermanentError")},
	}
	dls, err := q.DeadLetters(context.Background(), 5)
	if err != nil || len(dls) != 2 {
		t.Fatalf("DeadLetters = %v, %v", dls, err)
	}
	if dls[0].ID != "a" || dls[0].Reason != queue.ReasonMaxDeliveries || dls[0].Description != "because" || dls[1].ID != "b" {
		t.Errorf("dead letters %+v", dls)
	}
	if _, leaked := dls[0].Properties["DeadLetterReason"]; leaked || dls[0].Properties["type"] != "CaptureJob" {
		t.Errorf("properties %v", dls[0].Properties)
	}
	if dls[0].DeadLetterAt.IsZero() {
		t.Error("DeadLetterAt not set")
	}
	if o := dlq.peekOpts[0]; o == nil || o.FromSequenceNumber == nil || *o.FromSequenceNumber != 0 {
		t.Errorf("first peek options %+v, want FromSequenceNumber 0", o)
	}
	if len(dlq.peekOpts) != 3 || dlq.peekOpts[1] != nil {
		t.Errorf("peeks %d, want continuation peeks until an empty one", len(dlq.peekOpts))
	}
}

func TestResubmitSendsCopyAndCompletesDeadLetter(t *testing.T) {
	q, s, r, dlq := newFake()
	other, target := deadLettered("other", "x"), deadLettered("target", "y")
	dlq.batches = [][]*azservicebus.ReceivedMessage{{other, target}}
	if err := q.Resubmit(context.Background(), "target"); err != nil {
		t.Fatal(err)
	}
	if len(s.sent) != 1 {
		t.Fatalf("%d sent", len(s.sent))
	}
	sent := s.sent[0]
	if !strings.HasPrefix(*sent.MessageID, "resubmit-") || sent.ApplicationProperties[PropOriginalID] != "target" || string(sent.Body) != "body-target" {
		t.Errorf("resubmitted %q with properties %v", *sent.MessageID, sent.ApplicationProperties)
	}
	if _, leaked := sent.ApplicationProperties["DeadLetterReason"]; leaked {
		t.Error("dead-letter reason copied into the resubmitted message")
	}
	if len(dlq.completed) != 1 || dlq.completed[0] != target || len(dlq.abandoned) != 1 || dlq.abandoned[0] != other {
		t.Errorf("dead-letter queue: completed %v abandoned %v", dlq.completed, dlq.abandoned)
	}

	// Receiving the copy gives back the original ID.
	copyRM := sdkMessage(*sent.MessageID, 9)
	copyRM.ApplicationProperties = sent.ApplicationProperties
	r.batches = [][]*azservicebus.ReceivedMessage{{copyRM}}
	ms, err := q.Receive(context.Background(), 1)
	if err != nil || ms[0].ID != "target" {
		t.Fatalf("received resubmitted message as %q (%v)", ms[0].ID, err)
	}
	if _, leaked := ms[0].Properties[PropOriginalID]; leaked {
		t.Error("PropOriginalID exposed as a property")
	}
}

func TestResubmitNotFound(t *testing.T) {
	old := resubmitIdleWait
	resubmitIdleWait = 50 * time.Millisecond
	t.Cleanup(func() { resubmitIdleWait = old })
	q, s, _, dlq := newFake()
	dlq.batches = [][]*azservicebus.ReceivedMessage{{deadLettered("other", "x")}}
	if err := q.Resubmit(context.Background(), "missing"); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("Resubmit = %v, want ErrNotFound", err)
	}
	if len(s.sent) != 0 || len(dlq.abandoned) != 1 {
		t.Errorf("sent %d, abandoned %d", len(s.sent), len(dlq.abandoned))
	}
}
