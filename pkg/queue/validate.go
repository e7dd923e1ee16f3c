package queue

import (
	"fmt"
	"unicode/utf8"
)

// Limits on application properties, shared by every backend so that a
// message the embedded queue accepts is also accepted by Service Bus.
const (
	MaxPropertyKeyLength   = 128
	MaxPropertyValueLength = 4096
)

// ValidateMessage checks m against the port's rules: a non-empty ID of at
// most MaxIDLength bytes of valid UTF-8, a body of at most MaxBodySize
// bytes, at most MaxProperties properties with non-empty keys of at most
// MaxPropertyKeyLength bytes and values of at most MaxPropertyValueLength
// bytes. The error wraps ErrInvalidMessage and names the offending field.
// Backends call it at the top of Send.
func ValidateMessage(m Message) error {
	switch {
	case m.ID == "":
		return fmt.Errorf("%w: empty message id", ErrInvalidMessage)
	case len(m.ID) > MaxIDLength:
		return fmt.Errorf("%w: message id is %d bytes, limit %d", ErrInvalidMessage, len(m.ID), MaxIDLength)
	case !utf8.ValidString(m.ID):
		return fmt.Errorf("%w: message id is not valid UTF-8", ErrInvalidMessage)
	case len(m.Body) > MaxBodySize:
		return fmt.Errorf("%w: body is %d bytes, limit %d", ErrInvalidMessage, len(m.Body), MaxBodySize)
	case len(m.Properties) > MaxProperties:
		return fmt.Errorf("%w: %d properties, limit %d", ErrInvalidMessage, len(m.Properties), MaxProperties)
	}
	for k, v := range m.Properties {
		switch {
		case k == "":
			return fmt.Errorf("%w: empty property name", ErrInvalidMessage)
		case len(k) > MaxPropertyKeyLength:
			return fmt.Errorf("%w: property name %.32q… is %d bytes, limit %d", ErrInvalidMessage, k, len(k), MaxPropertyKeyLength)
		case !utf8.ValidString(k):
			return fmt.Errorf("%w: property name %q is not valid UTF-8", ErrInvalidMessage, k)
		case len(v) > MaxPropertyValueLength:
			return fmt.Errorf("%w: property %q value is %d bytes, limit %d", ErrInvalidMessage, k, len(v), MaxPropertyValueLength)
		case !utf8.ValidString(v):
			return fmt.Errorf("%w: property %q value is not valid UTF-8", ErrInvalidMessage, k)
		}
	}
	return nil
}

// Limits on the reason and description of a dead-lettered message (Service
// Bus keeps both as application properties of the dead-lettered message).
const (
	MaxDeadLetterReasonLength      = 256
	MaxDeadLetterDescriptionLength = 1024
)

// ClampDeadLetter returns reason and description cut to
// MaxDeadLetterReasonLength and MaxDeadLetterDescriptionLength bytes, at a
// UTF-8 boundary, with "…" marking a cut. Backends apply it in DeadLetter
// so that a long error text never makes dead-lettering fail.
func ClampDeadLetter(reason, description string) (string, string) {
	return truncateUTF8(reason, MaxDeadLetterReasonLength), truncateUTF8(description, MaxDeadLetterDescriptionLength)
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
