package logdb

import (
	"bytes"
	"errors"
	"fmt"
)

// Errors of transactions.
var (
	ErrTxNotWritable = errors.New("logdb: transaction not writable")
	ErrKeyRequired   = errors.New("logdb: key required")
	ErrKeyTooLarge   = errors.New("logdb: key too large")
	ErrValueTooLarge = errors.New("logdb: value too large")
)

const (
	// MaxKeySize is the largest key, as in bbolt.
	MaxKeySize = 32 << 10
	// MaxValueSize is the largest value.
	MaxValueSize = 64 << 20
)

// Tx is a transaction: the database as seen by one call of Update or View
// (and, in Update, that call's writes). It is valid only during the call.
// Keys and values it returns must not be modified and are valid only until
// the call returns.
type Tx struct {
	s       *store
	w       *recordWriter // nil in a read-only transaction
	undo    []undo
	pending []pendingValue
	err     error // the first failed read; fails the call
}

// undo reverses one write of the batch.
type undo struct {
	b       *bucket
	created bool   // b was created
	isSeq   bool   // b's sequence changed from seq
	seq     uint64 //
	key     []byte // for a put or delete: the key,
	old     *entry // and its entry before (nil: absent)
}

// pendingValue is a value put in this batch, whose entry refers to the
// record being built: once the record is written, a large value's entry
// points at its place in the file, and a small one gets its own copy.
type pendingValue struct {
	e   *entry
	off int // offset of the value within the record
}

// savepoint marks the state of a batch before one call's writes.
type savepoint struct{ undo, pending, w int }

func (tx *Tx) savepoint() savepoint {
	return savepoint{len(tx.undo), len(tx.pending), tx.w.mark()}
}

// rollbackTo undoes the writes made after sp.
func (tx *Tx) rollbackTo(sp savepoint) {
	for i := len(tx.undo) - 1; i >= sp.undo; i-- {
		u := &tx.undo[i]
		switch {
		case u.created:
			delete(tx.s.buckets, u.b.name)
			tx.s.live -= int64(len(u.b.name)) + 4
		case u.isSeq:
			u.b.seq = u.seq
		case u.old == nil:
			tx.s.remove(u.b, u.key)
		default:
			tx.s.replace(u.b, u.old)
		}
	}
	clear(tx.undo[sp.undo:])
	tx.undo = tx.undo[:sp.undo]
	clear(tx.pending[sp.pending:])
	tx.pending = tx.pending[:sp.pending]
	tx.w.truncate(sp.w)
	tx.err = nil
}

// settle detaches the batch's values from the record buffer once the record
// is written at offset at of the file.
func (tx *Tx) settle(at int64) {
	for _, p := range tx.pending {
		if p.e.n > inlineMax {
			p.e.val, p.e.off = nil, at+int64(p.off)
		} else {
			p.e.val = append([]byte{}, p.e.val...)
		}
	}
	clear(tx.pending)
	tx.pending = tx.pending[:0]
}

// Bucket returns the named bucket, or nil if it does not exist.
func (tx *Tx) Bucket(name []byte) *Bucket {
	b := tx.s.buckets[string(name)]
	if b == nil {
		return nil
	}
	return &Bucket{tx: tx, b: b}
}

// CreateBucketIfNotExists returns the named bucket, creating it if needed.
func (tx *Tx) CreateBucketIfNotExists(name []byte) (*Bucket, error) {
	if b := tx.Bucket(name); b != nil {
		return b, nil
	}
	if tx.w == nil {
		return nil, ErrTxNotWritable
	}
	if len(name) == 0 || len(name) > MaxKeySize {
		return nil, fmt.Errorf("logdb: bucket name of %d bytes", len(name))
	}
	b := newBucket(string(name))
	tx.s.buckets[b.name] = b
	tx.s.live += int64(len(name)) + 4
	tx.w.create(b.name)
	tx.undo = append(tx.undo, undo{b: b, created: true})
	return &Bucket{tx: tx, b: b}, nil
}

// Bucket is a sorted set of key/value pairs within a transaction.
type Bucket struct {
	tx *Tx
	b  *bucket
}

// Get returns key's value, or nil if key is absent. An empty value is an
// empty, non-nil slice.
func (b *Bucket) Get(key []byte) []byte {
	e, ok := b.b.tree.Get(&entry{key: key})
	if !ok {
		return nil
	}
	return b.tx.value(e)
}

// Put sets key's value.
func (b *Bucket) Put(key, value []byte) error {
	if b.tx.w == nil {
		return ErrTxNotWritable
	}
	switch {
	case len(key) == 0:
		return ErrKeyRequired
	case len(key) > MaxKeySize:
		return ErrKeyTooLarge
	case len(value) > MaxValueSize:
		return ErrValueTooLarge
	}
	off := b.tx.w.put(b.b.name, key, value)
	// Until the batch is committed, the value is read from the record
	// being built (its bytes are never overwritten while referenced: the
	// buffer is reused only after commit has settled every pending value).
	e := &entry{key: bytes.Clone(key), val: b.tx.w.buf[off : off+len(value) : off+len(value)], n: len(value)}
	old := b.tx.s.replace(b.b, e)
	b.tx.undo = append(b.tx.undo, undo{b: b.b, key: e.key, old: old})
	b.tx.pending = append(b.tx.pending, pendingValue{e: e, off: off})
	return nil
}

// Delete removes key; deleting an absent key is not an error.
func (b *Bucket) Delete(key []byte) error {
	if b.tx.w == nil {
		return ErrTxNotWritable
	}
	old := b.tx.s.remove(b.b, key)
	if old == nil {
		return nil
	}
	b.tx.w.delete(b.b.name, key)
	b.tx.undo = append(b.tx.undo, undo{b: b.b, key: old.key, old: old})
	return nil
}

// NextSequence increments the bucket's sequence and returns it; the first
// is 1.
func (b *Bucket) NextSequence() (uint64, error) {
	if b.tx.w == nil {
		return 0, ErrTxNotWritable
	}
	b.tx.undo = append(b.tx.undo, undo{b: b.b, isSeq: true, seq: b.b.seq})
	b.b.seq++
	b.tx.w.seq(b.b.name, b.b.seq)
	return b.b.seq, nil
}

// Cursor returns a cursor over the bucket's keys in byte order. Writes
// through the transaction while iterating are allowed: Next continues
// after the last key returned.
func (b *Bucket) Cursor() *Cursor { return &Cursor{b: b} }

// Cursor iterates over a bucket in key order.
type Cursor struct {
	b     *Bucket
	key   []byte
	valid bool
}

// First moves to the first key; it returns nil, nil for an empty bucket.
func (c *Cursor) First() (key, value []byte) { return c.seek(nil, false) }

// Seek moves to the first key ≥ seek.
func (c *Cursor) Seek(seek []byte) (key, value []byte) { return c.seek(seek, false) }

// Next moves to the next key; it returns nil, nil at the end.
func (c *Cursor) Next() (key, value []byte) {
	if !c.valid {
		return nil, nil
	}
	return c.seek(c.key, true)
}

func (c *Cursor) seek(from []byte, after bool) ([]byte, []byte) {
	var found *entry
	c.b.b.tree.AscendGreaterOrEqual(&entry{key: from}, func(e *entry) bool {
		if after && bytes.Equal(e.key, from) {
			return true
		}
		found = e
		return false
	})
	if found == nil {
		c.key, c.valid = nil, false
		return nil, nil
	}
	c.key, c.valid = found.key, true
	return found.key, c.b.tx.value(found)
}

// value returns e's value; a failed read fails the call.
func (tx *Tx) value(e *entry) []byte {
	v, err := tx.s.value(e)
	if err != nil {
		if tx.err == nil {
			tx.err = err
		}
		return nil
	}
	return v
}
