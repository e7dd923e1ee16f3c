package messages

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Version is the schema version this package writes and reads.
const Version = 1

// Message types carried in Envelope.Type.
const (
	TypeCaptureJob   = "capture_job"
	TypeDumpCaptured = "dump_captured"
	TypeJobCompleted = "job_completed"
)

// MaxEnvelopeSize bounds what Decode accepts, far above any real message.
const MaxEnvelopeSize = 1 << 20

// Payload is one of *CaptureJob, *DumpCaptured or *JobCompleted.
type Payload interface {
	// MessageType returns the Envelope.Type for this payload.
	MessageType() string
	// Validate reports the first invalid field as a *FieldError.
	Validate() error
}

// Envelope is the outer form of every queue message.
type Envelope struct {
	Type    string `json:"type"`
	Version int    `json:"version"`
	// ID is the queue message id, used for duplicate detection; derived
	// from the payload's deterministic key (see MessageID).
	ID         string `json:"id"`
	IncidentID string `json:"incident_id"`
	// TraceParent is a W3C traceparent header value; optional.
	TraceParent string    `json:"traceparent,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	Payload     Payload   `json:"-"`
}

// wireEnvelope is the JSON form with the payload left raw.
type wireEnvelope struct {
	Type        string          `json:"type"`
	Version     int             `json:"version"`
	ID          string          `json:"id"`
	IncidentID  string          `json:"incident_id"`
	TraceParent string          `json:"traceparent,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	Payload     json.RawMessage `json:"payload"`
}

// outEnvelope is the form Encode marshals with encoding/json:
// wireEnvelope's fields in the same order, with the payload marshalled in
// place. The bytes are those of wireEnvelope holding the payload
// marshalled on its own (the golden files pin them), without a second pass
// to copy and compact the payload.
type outEnvelope struct {
	Type        string    `json:"type"`
	Version     int       `json:"version"`
	ID          string    `json:"id"`
	IncidentID  string    `json:"incident_id"`
	TraceParent string    `json:"traceparent,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	Payload     Payload   `json:"payload"`
}

// FieldError names the field of a message that is missing or invalid.
type FieldError struct {
	Field string // JSON path, e.g. "payload.site.resource_id"
	Msg   string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("messages: field %s: %s", e.Field, e.Msg)
}

// ErrMalformed is wrapped by every decoding error that is not about one
// field (not JSON, trailing data, too large).
var ErrMalformed = errors.New("messages: malformed message")

// New wraps p in an envelope with the current schema version. The message id
// is p's deterministic id (see MessageID), so that a resent message is
// dropped by the queue's duplicate detection.
func New(incidentID string, p Payload, now time.Time) Envelope {
	return Envelope{
		Type:       p.MessageType(),
		Version:    Version,
		ID:         MessageID(p),
		IncidentID: incidentID,
		CreatedAt:  now.UTC(),
		Payload:    p,
	}
}

// MaxIDLength is the longest message id (Service Bus's limit is 128).
const MaxIDLength = 128

// MessageID is the deterministic queue message id of a payload: its kind
// and key ("job:", "dump:", "done:"), or, when that is longer than
// MaxIDLength (a slot with long names, a dump key with a 64-character
// instance id), the kind and a SHA-256 of the key: still deterministic, so
// duplicate detection still works.
func MessageID(p Payload) string {
	var kind, key string
	switch v := p.(type) {
	case *CaptureJob:
		kind, key = "job", v.JobID
	case *DumpCaptured:
		kind, key = "dump", v.DumpKey
	case *JobCompleted:
		kind, key = "done", v.JobID
	default:
		return ""
	}
	if id := kind + ":" + key; len(id) <= MaxIDLength {
		return id
	}
	sum := sha256.Sum256([]byte(key))
	return kind + ":sha256:" + hex.EncodeToString(sum[:])
}

// Validate checks the envelope and its payload.
func (e *Envelope) Validate() error {
	switch {
	case e.Version != Version:
		return &FieldError{"version", fmt.Sprintf("unsupported schema version %d (want %d)", e.Version, Version)}
	case e.ID == "":
		return &FieldError{"id", "required"}
	case len(e.ID) > MaxIDLength:
		return &FieldError{"id", fmt.Sprintf("longer than %d bytes", MaxIDLength)}
	case e.CreatedAt.IsZero():
		return &FieldError{"created_at", "required"}
	case e.Payload == nil:
		return &FieldError{"payload", "required"}
	case e.Payload.MessageType() != e.Type:
		return &FieldError{"type", fmt.Sprintf("%q does not match payload %q", e.Type, e.Payload.MessageType())}
	}
	if err := checkID("incident_id", e.IncidentID); err != nil {
		return err
	}
	if e.TraceParent != "" && !validTraceParent(e.TraceParent) {
		return &FieldError{"traceparent", "not a W3C traceparent"}
	}
	if err := e.Payload.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return &FieldError{"payload." + fe.Field, fe.Msg}
		}
		return err
	}
	if inc := payloadIncident(e.Payload); inc != e.IncidentID {
		return &FieldError{"payload.incident_id", fmt.Sprintf("%q differs from envelope incident_id %q", inc, e.IncidentID)}
	}
	return nil
}

// Encode validates e and returns its JSON wire form.
func Encode(e Envelope) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(outEnvelope{
		Type: e.Type, Version: e.Version, ID: e.ID, IncidentID: e.IncidentID,
		TraceParent: e.TraceParent, CreatedAt: e.CreatedAt, Payload: e.Payload,
	})
	if err != nil {
		return nil, fmt.Errorf("messages: encode: %w", err)
	}
	return b, nil
}

// Decode parses and validates a wire message. Unknown fields, unknown types
// and versions, missing required fields and bad values are errors; field
// errors are *FieldError.
func Decode(data []byte) (Envelope, error) {
	if len(data) > MaxEnvelopeSize {
		return Envelope{}, fmt.Errorf("%w: %d bytes exceeds %d", ErrMalformed, len(data), MaxEnvelopeSize)
	}
	var w wireEnvelope
	if err := strictUnmarshal(data, &w); err != nil {
		return Envelope{}, err
	}
	if w.Type == "" {
		return Envelope{}, &FieldError{"type", "required"}
	}
	if w.Version != Version {
		return Envelope{}, &FieldError{"version", fmt.Sprintf("unsupported schema version %d (want %d)", w.Version, Version)}
	}
	var p Payload
	switch w.Type {
	case TypeCaptureJob:
		p = new(CaptureJob)
	case TypeDumpCaptured:
		p = new(DumpCaptured)
	case TypeJobCompleted:
		p = new(JobCompleted)
	default:
		return Envelope{}, &FieldError{"type", fmt.Sprintf("unknown message type %q", w.Type)}
	}
	if len(w.Payload) == 0 || string(w.Payload) == "null" {
		return Envelope{}, &FieldError{"payload", "required"}
	}
	if err := strictUnmarshal(w.Payload, p); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return Envelope{}, &FieldError{"payload." + fe.Field, fe.Msg}
		}
		return Envelope{}, err
	}
	e := Envelope{Type: w.Type, Version: w.Version, ID: w.ID, IncidentID: w.IncidentID,
		TraceParent: w.TraceParent, CreatedAt: w.CreatedAt, Payload: p}
	if err := e.Validate(); err != nil {
		return Envelope{}, err
	}
	return e, nil
}

// strictUnmarshal decodes one JSON value, refusing unknown fields and
// trailing data, and turns type errors into *FieldError.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &FieldError{te.Field, fmt.Sprintf("want %s, got JSON %s", te.Type, te.Value)}
		}
		var pe *time.ParseError
		if errors.As(err, &pe) {
			return &FieldError{"(time)", "not an RFC 3339 time: " + pe.Value}
		}
		if f, ok := unknownField(err); ok {
			return &FieldError{f, "unknown field"}
		}
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing data after JSON value", ErrMalformed)
	}
	return nil
}

// unknownField extracts the field name from encoding/json's unknown-field
// error, which has no type of its own.
func unknownField(err error) (string, bool) {
	const prefix = "json: unknown field "
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		return "", false
	}
	name, uerr := strconv.Unquote(msg[len(prefix):])
	if uerr != nil {
		return msg[len(prefix):], true
	}
	return name, true
}
