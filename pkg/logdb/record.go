package logdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// On-disk format.
//
//	file   := header record*
//	header := "DFLOGDB" 0x01, 8 reserved bytes (zero)
//	record := len uint32 (little-endian, of body) | crc uint32 (CRC-32C of body) | body
//	body   := op+
//	op     := opCreate bucket
//	        | opPut    bucket key value
//	        | opDelete bucket key
//	        | opSeq    bucket uvarint
//	bucket, key, value := uvarint length, bytes
//
// One record is one committed batch: it applies whole or not at all. The
// log is only appended to (and, under the lock, truncated back over a torn
// tail); compaction writes a new file and renames it over the old one.
const (
	headerSize    = 16
	recHeaderSize = 8
	// maxRecord bounds one record's body (a batch, or a compaction
	// chunk), so that a damaged length field cannot make a reader
	// allocate gigabytes.
	maxRecord = 256 << 20
)

var fileMagic = [8]byte{'D', 'F', 'L', 'O', 'G', 'D', 'B', 1}

const (
	opCreate byte = 1 + iota
	opPut
	opDelete
	opSeq
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is wrapped by errors about a file that is not a logdb file or
// whose committed records are damaged (not merely a torn last record,
// which is discarded).
var ErrCorrupt = errors.New("logdb: corrupt file")

// recordWriter encodes the ops of one batch, remembering where in the body
// each put's value lands so committed values can be read back from the file.
type recordWriter struct {
	buf []byte // recHeaderSize bytes reserved, then the body
}

func (w *recordWriter) reset() {
	if cap(w.buf) > 4<<20 {
		w.buf = nil // do not keep a huge batch's buffer forever
	}
	w.buf = append(w.buf[:0], make([]byte, recHeaderSize)...)
}

func (w *recordWriter) empty() bool { return len(w.buf) <= recHeaderSize }

// mark and truncate let a failed call's ops be dropped from the batch.
func (w *recordWriter) mark() int      { return len(w.buf) }
func (w *recordWriter) truncate(m int) { w.buf = w.buf[:m] }

func (w *recordWriter) bytes(b []byte) {
	w.buf = binary.AppendUvarint(w.buf, uint64(len(b)))
	w.buf = append(w.buf, b...)
}

func (w *recordWriter) create(bucket string) {
	w.buf = append(w.buf, opCreate)
	w.bytes([]byte(bucket))
}

// put encodes a put and returns the value's offset within the record.
func (w *recordWriter) put(bucket string, key, value []byte) int {
	w.buf = append(w.buf, opPut)
	w.bytes([]byte(bucket))
	w.bytes(key)
	w.buf = binary.AppendUvarint(w.buf, uint64(len(value)))
	off := len(w.buf)
	w.buf = append(w.buf, value...)
	return off
}

func (w *recordWriter) delete(bucket string, key []byte) {
	w.buf = append(w.buf, opDelete)
	w.bytes([]byte(bucket))
	w.bytes(key)
}

func (w *recordWriter) seq(bucket string, n uint64) {
	w.buf = append(w.buf, opSeq)
	w.bytes([]byte(bucket))
	w.buf = binary.AppendUvarint(w.buf, n)
}

// finish fills in the record header and returns the whole record.
func (w *recordWriter) finish() []byte {
	body := w.buf[recHeaderSize:]
	binary.LittleEndian.PutUint32(w.buf[0:], uint32(len(body)))
	binary.LittleEndian.PutUint32(w.buf[4:], crc32.Checksum(body, castagnoli))
	return w.buf
}

// op is one decoded operation; its slices alias the record body.
type op struct {
	kind     byte
	bucket   []byte
	key      []byte
	value    []byte
	valueOff int // offset of value within the body (opPut)
	seq      uint64
}

// decodeOps calls fn for each op of a record body, in order. It fails on
// any malformed op before calling fn for it; fn sees only complete ops.
func decodeOps(body []byte, fn func(*op) error) error {
	d := opDecoder{b: body}
	var o op
	for d.off < len(body) {
		o = op{kind: body[d.off]}
		d.off++
		o.bucket = d.bytes()
		switch o.kind {
		case opCreate:
		case opPut:
			o.key = d.bytes()
			o.valueOff = d.lenThen()
			o.value = d.take(o.valueOff)
		case opDelete:
			o.key = d.bytes()
		case opSeq:
			o.seq = d.uvarint()
		default:
			return fmt.Errorf("%w: unknown op %d at body offset %d", ErrCorrupt, o.kind, d.off-1)
		}
		if d.err != nil {
			return d.err
		}
		if err := fn(&o); err != nil {
			return err
		}
	}
	return nil
}

type opDecoder struct {
	b   []byte
	off int
	err error
	n   int // length read by lenThen
}

func (d *opDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.err = fmt.Errorf("%w: bad varint at body offset %d", ErrCorrupt, d.off)
		return 0
	}
	d.off += n
	return v
}

// lenThen reads a length and returns the offset of the bytes it counts.
func (d *opDecoder) lenThen() int {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)-d.off) {
		d.err = fmt.Errorf("%w: length %d at body offset %d runs past the record", ErrCorrupt, n, d.off)
	}
	d.n = int(n)
	return d.off
}

func (d *opDecoder) take(at int) []byte {
	if d.err != nil {
		return nil
	}
	d.off = at + d.n
	return d.b[at:d.off:d.off]
}

func (d *opDecoder) bytes() []byte { return d.take(d.lenThen()) }
