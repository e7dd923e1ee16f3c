package fileblob

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// A small blob is one value in the logdb file, keyed by the blob's key:
//
//	version byte (recordVersion)
//	int64 BE    modification time, Unix nanoseconds
//	uint64 BE   version id (random per commit; with the time, the ETag)
//	uvarint len | content type
//	uvarint count, then count × (uvarint len | key, uvarint len | value)
//	uvarint len | content
//	uint32 BE   CRC-32C of everything before it
//
// logdb checksums whole records of its log, but a value can still be
// damaged in the file after it was committed and is read back from there
// on demand, so the checksum is what tells a damaged record from a blob.

// recordVersion is the first byte of every record this version writes.
const recordVersion = 1

// record is a decoded small blob.
type record struct {
	modTime time.Time
	id      uint64
	attrs   storedAttrs
	content []byte
}

// encodeRecord returns r's encoding.
func encodeRecord(r *record) []byte {
	n := 1 + 8 + 8 + 4 + binary.MaxVarintLen64*(3+2*len(r.attrs.Metadata)) + len(r.attrs.ContentType) + len(r.content)
	for k, v := range r.attrs.Metadata {
		n += len(k) + len(v)
	}
	out := make([]byte, 0, n)
	out = append(out, recordVersion)
	out = binary.BigEndian.AppendUint64(out, uint64(r.modTime.UnixNano()))
	out = binary.BigEndian.AppendUint64(out, r.id)
	out = appendBytes(out, r.attrs.ContentType)
	out = binary.AppendUvarint(out, uint64(len(r.attrs.Metadata)))
	for k, v := range r.attrs.Metadata {
		out = appendBytes(out, k)
		out = appendBytes(out, v)
	}
	out = appendBytes(out, r.content)
	return binary.BigEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

func appendBytes[S string | []byte](out []byte, s S) []byte {
	out = binary.AppendUvarint(out, uint64(len(s)))
	return append(out, s...)
}

// decodeRecord decodes the record stored under key. The result does not
// alias p (logdb's values are valid only inside their transaction). Any
// damage is an error wrapping ErrCorrupt.
func decodeRecord(key string, p []byte) (*record, error) { return parseRecord(key, p, true) }

// parseRecord is decodeRecord; without copyContent, the result's content
// aliases p, for callers that need only the attributes.
func parseRecord(key string, p []byte, copyContent bool) (*record, error) {
	bad := func(why string, args ...any) error {
		return fmt.Errorf("%w: small-blob record of %q: %s", ErrCorrupt, key, fmt.Sprintf(why, args...))
	}
	if len(p) < 1+8+8+4 {
		return nil, bad("%d bytes, too short", len(p))
	}
	if p[0] != recordVersion {
		return nil, bad("version %d, want %d", p[0], recordVersion)
	}
	body, sum := p[:len(p)-4], binary.BigEndian.Uint32(p[len(p)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, bad("checksum mismatch")
	}
	d := decoder{p: body[1:]}
	nanos := int64(d.uint64())
	r := &record{modTime: time.Unix(0, nanos), id: d.uint64()}
	r.attrs.ContentType = string(d.bytes())
	count := d.uvarint()
	if count > blob.MaxMetadataKeys {
		return nil, bad("%d metadata entries, more than %d", count, blob.MaxMetadataKeys)
	}
	if count > 0 {
		r.attrs.Metadata = make(map[string]string, count)
		for range count {
			k, v := string(d.bytes()), string(d.bytes())
			r.attrs.Metadata[k] = v
		}
	}
	r.content = d.bytes()
	if copyContent {
		r.content = append([]byte{}, r.content...)
	}
	switch {
	case d.err != "":
		return nil, bad("%s", d.err)
	case len(d.p) != 0:
		return nil, bad("%d bytes after the content", len(d.p))
	case r.attrs.Metadata != nil && len(r.attrs.Metadata) != int(count):
		return nil, bad("duplicate metadata keys")
	}
	return r, nil
}

// decoder reads fields from p, recording the first problem in err; after
// one, every read returns zero values.
type decoder struct {
	p   []byte
	err string
}

func (d *decoder) uint64() uint64 {
	if d.err != "" || len(d.p) < 8 {
		d.fail("truncated")
		return 0
	}
	v := binary.BigEndian.Uint64(d.p)
	d.p = d.p[8:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != "" {
		return 0
	}
	v, n := binary.Uvarint(d.p)
	if n <= 0 {
		d.fail("bad length")
		return 0
	}
	d.p = d.p[n:]
	return v
}

// bytes reads a length-prefixed field, aliasing p.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != "" {
		return nil
	}
	if n > uint64(len(d.p)) || n > math.MaxInt32 {
		d.fail("length out of range")
		return nil
	}
	v := d.p[:n]
	d.p = d.p[n:]
	return v
}

func (d *decoder) fail(why string) {
	if d.err == "" {
		d.err = why
	}
}

// attributes returns the blob attributes r describes.
func (r *record) attributes(key string) blob.Attributes {
	md := r.attrs.Metadata
	if md == nil {
		md = map[string]string{}
	}
	return blob.Attributes{
		Key:         key,
		Size:        int64(len(r.content)),
		ContentType: r.attrs.ContentType,
		Metadata:    md,
		ModTime:     r.modTime,
		ETag:        fmt.Sprintf(`"s%x-%x-%x"`, r.id, r.modTime.UnixNano(), len(r.content)),
	}
}
