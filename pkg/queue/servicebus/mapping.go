package servicebus

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// PropOriginalID is the application property in which a resubmitted
// message carries its original ID (its MessageID is fresh, so that
// duplicate detection does not drop the resubmission).
const PropOriginalID = "dumpflow-original-id"

// Application properties Service Bus adds to dead-lettered messages; they
// are reported as DeadLetter.Reason and Description, not as properties.
const (
	propDeadLetterReason      = "DeadLetterReason"
	propDeadLetterDescription = "DeadLetterErrorDescription"
)

// toSDK maps a port message to an SDK message.
func toSDK(m queue.Message) *azservicebus.Message {
	out := &azservicebus.Message{MessageID: &m.ID, Body: m.Body}
	if len(m.Properties) > 0 {
		out.ApplicationProperties = make(map[string]any, len(m.Properties))
		for k, v := range m.Properties {
			out.ApplicationProperties[k] = v
		}
	}
	if !m.ScheduledAt.IsZero() {
		t := m.ScheduledAt.UTC()
		out.ScheduledEnqueueTime = &t
	}
	return out
}

// fromSDK maps the message part of a received SDK message.
func fromSDK(rm *azservicebus.ReceivedMessage) queue.Message {
	m := queue.Message{ID: rm.MessageID, Body: rm.Body}
	if rm.ScheduledEnqueueTime != nil {
		m.ScheduledAt = *rm.ScheduledEnqueueTime
	}
	for k, v := range rm.ApplicationProperties {
		switch k {
		case PropOriginalID:
			if s, ok := v.(string); ok && s != "" {
				m.ID = s
			}
			continue
		case propDeadLetterReason, propDeadLetterDescription:
			continue
		}
		if m.Properties == nil {
			m.Properties = make(map[string]string, len(rm.ApplicationProperties))
		}
		m.Properties[k] = propertyString(v)
	}
	return m
}

// propertyString renders an application property set by any producer;
// dumpflow's own are strings.
func propertyString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// fromReceived maps a received SDK message to a port delivery.
func fromReceived(rm *azservicebus.ReceivedMessage) *queue.Received {
	r := &queue.Received{
		Message:       fromSDK(rm),
		LockToken:     lockTokenString(rm.LockToken),
		DeliveryCount: int(rm.DeliveryCount),
	}
	if rm.EnqueuedTime != nil {
		r.EnqueuedAt = *rm.EnqueuedTime
	}
	if rm.LockedUntil != nil {
		r.LockedUntil = *rm.LockedUntil
	}
	return r
}

// fromDeadLettered maps a message peeked from the dead-letter sub-queue.
func fromDeadLettered(rm *azservicebus.ReceivedMessage) queue.DeadLetter {
	dl := queue.DeadLetter{Message: fromSDK(rm), DeliveryCount: int(rm.DeliveryCount)}
	if rm.DeadLetterReason != nil {
		dl.Reason = *rm.DeadLetterReason
	}
	if rm.DeadLetterErrorDescription != nil {
		dl.Description = *rm.DeadLetterErrorDescription
	}
	// Service Bus reports one enqueue time for a dead-lettered message;
	// it stands for both.
	if rm.EnqueuedTime != nil {
		dl.EnqueuedAt = *rm.EnqueuedTime
		dl.DeadLetterAt = *rm.EnqueuedTime
	}
	return dl
}

// lockTokenString formats a lock token as a UUID.
func lockTokenString(t [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], t[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], t[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], t[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], t[8:10])
	b[23] = '-'
	hex.Encode(b[24:], t[10:16])
	return string(b[:])
}
