package fileblob

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// A stored blob file is
//
//	content | attrs JSON | uint32 LE len(attrs JSON) | uint32 LE CRC-32C(attrs JSON) | magic
//
// The trailer sits after the content so that the file's prefix is the blob
// itself, and so that attributes known only at Close could be stored too.

// trailerMagic ends every blob file; its last byte is the format version.
const trailerMagic = "DFBLOB\x00\x01"

const (
	footerSize = 4 + 4 + len(trailerMagic)
	// maxAttrsSize bounds the attrs JSON read back from a file, well above
	// what blob.MaxMetadataSize allows once encoded.
	maxAttrsSize = 64 << 10
)

// ErrCorrupt means a file under the bucket's directory is not a blob written
// by this package or its trailer is damaged, or a record of the small-blob
// database is damaged.
var ErrCorrupt = errors.New("fileblob: corrupt blob")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// storedAttrs is the trailer's JSON.
type storedAttrs struct {
	ContentType string            `json:"content_type"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// encodeTrailer returns the trailer for a.
func encodeTrailer(a storedAttrs) ([]byte, error) {
	js, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("fileblob: encoding attributes: %w", err)
	}
	if len(js) > maxAttrsSize {
		return nil, fmt.Errorf("fileblob: attributes take %d bytes, more than %d", len(js), maxAttrsSize)
	}
	out := make([]byte, 0, len(js)+footerSize)
	out = append(out, js...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(js)))
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(js, castagnoli))
	return append(out, trailerMagic...), nil
}

// decodeTrailer reads the trailer of a blob file of fileSize bytes and
// returns the stored attributes and the content's length.
func decodeTrailer(r io.ReaderAt, fileSize int64) (storedAttrs, int64, error) {
	var a storedAttrs
	if fileSize < int64(footerSize) {
		return a, 0, fmt.Errorf("%w: %d bytes, shorter than the trailer", ErrCorrupt, fileSize)
	}
	var foot [footerSize]byte
	if _, err := r.ReadAt(foot[:], fileSize-int64(footerSize)); err != nil {
		return a, 0, fmt.Errorf("fileblob: reading trailer: %w", err)
	}
	if string(foot[8:]) != trailerMagic {
		return a, 0, fmt.Errorf("%w: no trailer magic", ErrCorrupt)
	}
	n := int64(binary.LittleEndian.Uint32(foot[0:4]))
	sum := binary.LittleEndian.Uint32(foot[4:8])
	if n > maxAttrsSize || n > fileSize-int64(footerSize) {
		return a, 0, fmt.Errorf("%w: attributes length %d out of range", ErrCorrupt, n)
	}
	js := make([]byte, n)
	if _, err := r.ReadAt(js, fileSize-int64(footerSize)-n); err != nil {
		return a, 0, fmt.Errorf("fileblob: reading attributes: %w", err)
	}
	if crc32.Checksum(js, castagnoli) != sum {
		return a, 0, fmt.Errorf("%w: attributes checksum mismatch", ErrCorrupt)
	}
	if err := json.Unmarshal(js, &a); err != nil {
		return a, 0, fmt.Errorf("%w: attributes: %v", ErrCorrupt, err)
	}
	return a, fileSize - int64(footerSize) - n, nil
}
