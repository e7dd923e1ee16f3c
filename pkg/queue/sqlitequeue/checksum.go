package sqlitequeue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// SQLite checksums neither rows nor pages of the main database file, so
// every message row carries its own: the CRC-32C of its content (ID, body,
// properties, enqueue and schedule times), computed when it is sent and
// checked whenever it is read to be delivered, listed or resubmitted. The
// lock state (delivery count, lock token, visibility) changes with every
// delivery and is not covered; damage there can change when a message is
// redelivered, never what is delivered.

// ErrCorrupt is wrapped by errors about damaged queue data: a message row
// failing its checksum (a *CorruptMessageError), a damaged database file
// or write-ahead log.
var ErrCorrupt = errors.New("sqlitequeue: damaged queue data")

// ReasonCorruptMessage is the dead-letter reason of a message row that
// failed its checksum. The row is moved to dead_letters byte for byte,
// with its stored checksum, so that it can be inspected; it is never
// delivered and cannot be resubmitted.
const ReasonCorruptMessage = "CorruptMessage"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// content is the part of a message row that its checksum covers, as
// stored (properties as their JSON text).
type content struct {
	id          string
	body        []byte
	properties  string
	enqueuedAt  int64
	scheduledAt int64
}

// checksum returns the CRC-32C of c's fields, each length-prefixed so that
// bytes cannot move from one field to the next unnoticed.
func (c *content) checksum() int64 {
	var buf [binary.MaxVarintLen64]byte
	h := crc32.New(castagnoli)
	field := func(b []byte) {
		h.Write(buf[:binary.PutUvarint(buf[:], uint64(len(b)))])
		h.Write(b)
	}
	field([]byte(c.id))
	field(c.body)
	field([]byte(c.properties))
	h.Write(buf[:binary.PutVarint(buf[:], c.enqueuedAt)])
	h.Write(buf[:binary.PutVarint(buf[:], c.scheduledAt)])
	return int64(h.Sum32())
}

// CorruptMessageError reports a message row whose content no longer
// matches its checksum.
type CorruptMessageError struct {
	File     string // the queue file
	Table    string // messages or dead_letters
	Seq      int64  // the row's seq
	ID       string // the message ID as stored (it may be the damaged part)
	Stored   int64  // checksum in the row
	Computed int64  // checksum of the row's content
	// DeadLettered is true when Receive moved the row to dead_letters.
	DeadLettered bool
}

func (e *CorruptMessageError) Error() string {
	what := "it is kept where it is"
	if e.DeadLettered {
		what = "moved to the dead-letter queue with reason " + ReasonCorruptMessage + ` (list it with "worker dlq")`
	}
	return fmt.Sprintf("sqlitequeue: message %q (%s row seq=%d) in %s is damaged: its content's CRC-32C is %08x, the row says %08x; not delivered, %s",
		e.ID, e.Table, e.Seq, e.File, uint32(e.Computed), uint32(e.Stored), what)
}

// Unwrap makes errors.Is(err, ErrCorrupt) hold.
func (e *CorruptMessageError) Unwrap() error { return ErrCorrupt }

// corruptErrors joins the errors of several damaged rows found at once.
func corruptErrors(errs []*CorruptMessageError) error {
	if len(errs) == 1 {
		return errs[0]
	}
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}
