package servicebus

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

func ptr[T any](v T) *T { return &v }

func sdkMessage(id string, token byte) *azservicebus.ReceivedMessage {
	enq := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	return &azservicebus.ReceivedMessage{
		MessageID:             id,
		Body:                  []byte("body-" + id),
		ApplicationProperties: map[string]any{"type": "CaptureJob", "version": int64(1)},
		LockToken:             [16]byte{0: token, 15: 0xab},
		DeliveryCount:         2,
		EnqueuedTime:          &enq,
		LockedUntil:           ptr(enq.Add(time.Minute)),
		ScheduledEnqueueTime:  ptr(enq.Add(-time.Second)),
	}
}

func TestSendMapsMessage(t *testing.T) {
	q, s, _, _ := newFake()
	at := time.Date(2026, 11, 26, 13, 0, 0, 0, time.FixedZone("CET", 3600))
	err := q.Send(context.Background(), queue.Message{ID: "job-1", Body: []byte("{}"), Properties: map[string]string{"type": "CaptureJob"}, ScheduledAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.sent) != 1 {
		t.Fatalf("%d messages sent", len(s.sent))
	}
	m := s.sent[0]
	if *m.MessageID != "job-1" || string(m.Body) != "{}" || m.ApplicationProperties["type"] != "CaptureJob" {
		t.Errorf("sent %+v", m)
	}
	if m.ScheduledEnqueueTime == nil || !m.ScheduledEnqueueTime.Equal(at) || m.ScheduledEnqueueTime.Location() != time.UTC {
		t.Errorf("ScheduledEnqueueTime = %v, want %v in UTC", m.ScheduledEnqueueTime, at)
	}
	if err := q.Send(context.Background(), queue.Message{ID: "plain"}); err != nil {
		t.Fatal(err)
	}
	if m := s.sent[1]; m.ScheduledEnqueueTime != nil || m.ApplicationProperties != nil {
		t.Errorf("plain message sent with schedule %v, properties %v", m.ScheduledEnqueueTime, m.ApplicationProperties)
	}
}

func TestSendValidatesBeforeTheSDK(t *testing.T) {
	q, s, _, _ := newFake()
	if err := q.Send(context.Background(), queue.Message{}); !errors.Is(err, queue.ErrInvalidMessage) {
		t.Fatalf("err = %v, want ErrInvalidMessage", err)
	}
	if len(s.sent) != 0 {
		t.Error("invalid message reached the SDK")
	}
}

func TestReceiveMapsMessage(t *testing.T) {
	q, _, r, _ := newFake()
	rm := sdkMessage("job-1", 1)
	r.batches = [][]*azservicebus.ReceivedMessage{{rm}}
	ms, err := q.Receive(context.Background(), 5)
	if err != nil || len(ms) != 1 {
		t.Fatalf("Receive = %v, %v", ms, err)
	}
	m := ms[0]
	if m.ID != "job-1" || string(m.Body) != "body-job-1" || m.DeliveryCount != 2 {
		t.Errorf("received %+v", m)
	}
	if want := map[string]string{"type": "CaptureJob", "version": "1"}; !maps.Equal(m.Properties, want) {
		t.Errorf("Properties = %v, want %v", m.Properties, want)
	}
	if !m.EnqueuedAt.Equal(*rm.EnqueuedTime) || !m.LockedUntil.Equal(*rm.LockedUntil) || !m.ScheduledAt.Equal(*rm.ScheduledEnqueueTime) {
		t.Errorf("times: enqueued %v locked until %v scheduled %v", m.EnqueuedAt, m.LockedUntil, m.ScheduledAt)
	}
	if !regexp.MustCompile(`^01000000-0000-0000-0000-0000000000ab$`).MatchString(m.LockToken) {
		t.Errorf("LockToken = %q, want the UUID form", m.LockToken)
	}
}

func TestReceiveRetriesEmptyResultsAndHonoursContext(t *testing.T) {
	q, _, r, _ := newFake()
	r.recvErrs = []error{nil, nil} // the SDK's "nothing, after a recovered link error"
	r.batches = [][]*azservicebus.ReceivedMessage{{sdkMessage("a", 1)}}
	ms, err := q.Receive(context.Background(), 1)
	if err != nil || len(ms) != 1 {
		t.Fatalf("Receive = %v, %v; want the message after two empty results", ms, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := q.Receive(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Receive on empty = %v, want DeadlineExceeded", err)
	}
	r.recvErrs = []error{&azservicebus.Error{Code: azservicebus.CodeUnauthorizedAccess}}
	_, err = q.Receive(context.Background(), 1)
	var sbErr *azservicebus.Error
	if !errors.As(err, &sbErr) || sbErr.Code != azservicebus.CodeUnauthorizedAccess {
		t.Errorf("Receive error %v does not expose the SDK error", err)
	}
	if _, err := q.Receive(context.Background(), 0); err == nil {
		t.Error("Receive(0) succeeded")
	}
}

func TestReceiveIsSerialised(t *testing.T) {
	q, _, r, _ := newFake()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 4)
	for range 4 {
		go func() { _, err := q.Receive(ctx, 1); done <- err }()
	}
	for range 4 {
		if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Receive = %v", err)
		}
	}
	if r.overlap.Load() {
		t.Error("ReceiveMessages calls overlapped; the SDK forbids it")
	}
}

func TestSettlementCallsTheSDKWithTheReceivedMessage(t *testing.T) {
	q, _, r, _ := newFake()
	a, b, c, d := sdkMessage("a", 1), sdkMessage("b", 2), sdkMessage("c", 3), sdkMessage("d", 4)
	r.batches = [][]*azservicebus.ReceivedMessage{{a, b, c, d}}
	ctx := context.Background()
	ms, err := q.Receive(ctx, 4)
	if err != nil || len(ms) != 4 {
		t.Fatalf("Receive = %v, %v", ms, err)
	}
	before := ms[3].LockedUntil
	if err := q.RenewLock(ctx, ms[3]); err != nil {
		t.Fatal(err)
	}
	if !ms[3].LockedUntil.After(before) || len(r.renewed) != 1 || r.renewed[0] != d {
		t.Errorf("RenewLock: LockedUntil %v (was %v), renewed %v", ms[3].LockedUntil, before, r.renewed)
	}
	long := strings.Repeat("é", queue.MaxDeadLetterDescriptionLength)
	for _, err := range []error{q.Complete(ctx, ms[0]), q.Abandon(ctx, ms[1]), q.DeadLetter(ctx, ms[2], "HandlerPermanentError", long), q.Complete(ctx, ms[3])} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(r.completed) != 2 || r.completed[0] != a || r.completed[1] != d || len(r.abandoned) != 1 || r.abandoned[0] != b {
		t.Errorf("completed %v abandoned %v", r.completed, r.abandoned)
	}
	if len(r.deadLettered) != 1 || *r.deadLettered[0].Reason != "HandlerPermanentError" || len(*r.deadLettered[0].ErrorDescription) > queue.MaxDeadLetterDescriptionLength {
		t.Errorf("dead-letter options %+v", r.deadLettered)
	}
	// Settled messages are forgotten: a second settlement is a lost lock,
	// and does not reach the SDK.
	if err := q.Complete(ctx, ms[0]); !errors.Is(err, queue.ErrLockLost) {
		t.Errorf("second Complete = %v, want ErrLockLost", err)
	}
	if len(r.completed) != 2 {
		t.Error("second Complete reached the SDK")
	}
	if err := q.Complete(ctx, nil); err == nil {
		t.Error("Complete(nil) succeeded")
	}
}

func TestErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		err              error
		lockLost, closed bool
	}{
		{&azservicebus.Error{Code: azservicebus.CodeLockLost}, true, false},
		{fmt.Errorf("wrapped: %w", &azservicebus.Error{Code: azservicebus.CodeLockLost}), true, false},
		{&azservicebus.Error{Code: azservicebus.CodeClosed}, false, true},
		{&azservicebus.Error{Code: azservicebus.CodeTimeout}, false, false},
		{&azservicebus.Error{Code: azservicebus.CodeConnectionLost}, false, false},
		{errors.New("some transport error"), false, false},
	} {
		q, _, r, _ := newFake()
		r.batches = [][]*azservicebus.ReceivedMessage{{sdkMessage("m", 1)}}
		ms, _ := q.Receive(context.Background(), 1)
		r.settleErr = tc.err
		err := q.Complete(context.Background(), ms[0])
		if errors.Is(err, queue.ErrLockLost) != tc.lockLost || errors.Is(err, queue.ErrClosed) != tc.closed {
			t.Errorf("%v → %v: lock lost %v closed %v, want %v %v", tc.err, err, errors.Is(err, queue.ErrLockLost), errors.Is(err, queue.ErrClosed), tc.lockLost, tc.closed)
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%v → %v: the SDK error is not reachable", tc.err, err)
		}
	}
	if err := translate("x", "y", context.Canceled); !errors.Is(err, context.Canceled) {
		t.Errorf("context error not passed through: %v", err)
	}
}

func TestRenewLockLost(t *testing.T) {
	q, _, r, _ := newFake()
	r.batches = [][]*azservicebus.ReceivedMessage{{sdkMessage("m", 1)}}
	ms, _ := q.Receive(context.Background(), 1)
	r.renewErr = &azservicebus.Error{Code: azservicebus.CodeLockLost}
	if err := q.RenewLock(context.Background(), ms[0]); !errors.Is(err, queue.ErrLockLost) {
		t.Fatalf("RenewLock = %v, want ErrLockLost", err)
	}
	if err := q.Complete(context.Background(), ms[0]); !errors.Is(err, queue.ErrLockLost) || len(r.completed) != 0 {
		t.Errorf("Complete after a lost lock = %v (SDK calls %d)", err, len(r.completed))
	}
}

func TestCloseStopsEverything(t *testing.T) {
	q, s, r, dlq := newFake()
	if _, err := q.DeadLetters(context.Background(), 1); err != nil { // opens the DLQ receiver
		t.Fatal(err)
	}
	waiting := make(chan error, 1)
	go func() { _, err := q.Receive(context.Background(), 1); waiting <- err }()
	time.Sleep(20 * time.Millisecond)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-waiting; !errors.Is(err, queue.ErrClosed) {
		t.Errorf("blocked Receive returned %v on Close, want ErrClosed", err)
	}
	if !s.closed || !r.closed || !dlq.closed {
		t.Errorf("closed: sender %v receiver %v dead-letter receiver %v", s.closed, r.closed, dlq.closed)
	}
	if err := q.Send(context.Background(), queue.Message{ID: "x"}); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Send after Close = %v", err)
	}
	if err := q.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}
