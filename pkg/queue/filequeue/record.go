package filequeue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// recordVersion is the first byte of every stored record. A file written
// by a newer version with a different layout is refused, not misread.
const recordVersion = 1

// errCorrupt is wrapped by decodeRecord for bytes that are not a record.
var errCorrupt = errors.New("filequeue: corrupt record")

// record is one message as stored in the "msgs" or "dead" bucket. Times are
// Unix nanoseconds; zero means unset.
type record struct {
	ID            string
	Body          []byte
	Properties    map[string]string
	EnqueuedAt    int64
	ScheduledAt   int64
	DeliveryCount uint32
	// LockToken and LockedUntil describe the current peek-lock, if any.
	LockToken   string
	LockedUntil int64
	// VisibleAt is the record's key in the "ready" index: when it may be
	// delivered next (enqueue, schedule or lock-expiry time).
	VisibleAt int64
	// Dead-letter fields, set only in the "dead" bucket.
	Reason       string
	Description  string
	DeadLetterAt int64
}

// encode returns the record's stored form: a version byte followed by
// length-prefixed strings and varint numbers in a fixed order.
func (r *record) encode() []byte {
	n := 1 + 11*binary.MaxVarintLen64 + len(r.ID) + len(r.Body) + len(r.LockToken) + len(r.Reason) + len(r.Description)
	for k, v := range r.Properties {
		n += 2*binary.MaxVarintLen64 + len(k) + len(v)
	}
	b := make([]byte, 0, n)
	b = append(b, recordVersion)
	b = appendBytes(b, []byte(r.ID))
	b = appendBytes(b, r.Body)
	b = binary.AppendUvarint(b, uint64(len(r.Properties)))
	for k, v := range r.Properties {
		b = appendBytes(b, []byte(k))
		b = appendBytes(b, []byte(v))
	}
	b = binary.AppendVarint(b, r.EnqueuedAt)
	b = binary.AppendVarint(b, r.ScheduledAt)
	b = binary.AppendUvarint(b, uint64(r.DeliveryCount))
	b = appendBytes(b, []byte(r.LockToken))
	b = binary.AppendVarint(b, r.LockedUntil)
	b = binary.AppendVarint(b, r.VisibleAt)
	b = appendBytes(b, []byte(r.Reason))
	b = appendBytes(b, []byte(r.Description))
	b = binary.AppendVarint(b, r.DeadLetterAt)
	return b
}

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decodeRecord parses a stored record. It never trusts a length from the
// input: every count is checked against the bytes that remain, so garbage
// yields an error wrapping errCorrupt, never a panic or a huge allocation.
// The returned record does not alias b (bbolt's memory is only valid inside
// its transaction).
func decodeRecord(b []byte) (*record, error) {
	d := decoder{b: b}
	if v := d.byte(); d.err == nil && v != recordVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", errCorrupt, v, recordVersion)
	}
	r := &record{}
	r.ID = string(d.bytes("id"))
	if body := d.bytes("body"); len(body) > 0 {
		r.Body = append([]byte(nil), body...)
	}
	nprops := d.uvarint("property count")
	// Each property takes at least two bytes (two zero lengths).
	if d.err == nil && nprops > uint64(len(d.b))/2 {
		d.fail("property count %d exceeds remaining %d bytes", nprops, len(d.b))
	}
	if d.err == nil && nprops > 0 {
		r.Properties = make(map[string]string, nprops)
		for i := uint64(0); i < nprops && d.err == nil; i++ {
			k := string(d.bytes("property name"))
			r.Properties[k] = string(d.bytes("property value"))
		}
	}
	r.EnqueuedAt = d.varint("enqueued time")
	r.ScheduledAt = d.varint("scheduled time")
	dc := d.uvarint("delivery count")
	if d.err == nil && dc > 1<<31 {
		d.fail("delivery count %d out of range", dc)
	}
	r.DeliveryCount = uint32(dc)
	r.LockToken = string(d.bytes("lock token"))
	r.LockedUntil = d.varint("lock expiry")
	r.VisibleAt = d.varint("visible time")
	r.Reason = string(d.bytes("reason"))
	r.Description = string(d.bytes("description"))
	r.DeadLetterAt = d.varint("dead-letter time")
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return nil, d.err
	}
	return r, nil
}

// decoder reads fields from b, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", errCorrupt, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail("empty record")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad %s", field)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint(field string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad %s", field)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// bytes returns a length-prefixed field; the slice aliases the input.
func (d *decoder) bytes(field string) []byte {
	n := d.uvarint(field + " length")
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("%s length %d exceeds remaining %d bytes", field, n, len(d.b))
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// toTime converts stored Unix nanoseconds to a time.Time; 0 is the zero time.
func toTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// fromTime converts t to stored Unix nanoseconds; the zero time is 0.
func fromTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
