package fileblob

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"strconv"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// An attribute file (sidecar) describes one version of one blob:
//
//	DIR/.dumpflow/attrs/<h[:2]>/<h>.<inode>
//
// where h is the hex SHA-256 of the key and inode is the hex inode number
// of the content file it describes. Its content is one line of JSON,
//
//	{"attrs":{"version":1,"key":…,"size":…,"sha256":…,"content_type":…,"metadata":{…}},"crc32c":"…"}
//
// where crc32c is the CRC-32C of the attrs object's bytes as stored.
// Naming it by the inode lets a commit write the new version's sidecar
// before the content gets its name, without touching the current
// version's: whichever content file the key names, its sidecar is there.

// sidecarVersion is the format of attrs.
const sidecarVersion = 1

// maxSidecarSize bounds an attribute file read back, well above what
// blob.MaxMetadataSize allows once encoded.
const maxSidecarSize = 64 << 10

// sidecar is the attrs object of an attribute file.
type sidecar struct {
	Version     int               `json:"version"`
	Key         string            `json:"key"`
	Size        int64             `json:"size"`
	SHA256      string            `json:"sha256"`
	ContentType string            `json:"content_type"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// sidecarFile is an attribute file's JSON.
type sidecarFile struct {
	Attrs  json.RawMessage `json:"attrs"`
	CRC32C string          `json:"crc32c"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// attrsName is the root-relative name of key's attribute file for the
// content file with inode ino.
func attrsName(key string, ino uint64) string {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:])
	return attrsDir + "/" + h[:2] + "/" + h + "." + strconv.FormatUint(ino, 16)
}

// encodeSidecar returns the attribute file for sc.
func encodeSidecar(sc sidecar) ([]byte, error) {
	attrs, err := json.Marshal(sc)
	if err != nil {
		return nil, fmt.Errorf("fileblob: encoding attributes of %q: %w", sc.Key, err)
	}
	out, err := json.Marshal(sidecarFile{Attrs: attrs, CRC32C: fmt.Sprintf("%08x", crc32.Checksum(attrs, castagnoli))})
	if err != nil {
		return nil, fmt.Errorf("fileblob: encoding attributes of %q: %w", sc.Key, err)
	}
	return append(out, '\n'), nil
}

// decodeSidecar parses an attribute file, reporting why it is damaged.
func decodeSidecar(data []byte) (sidecar, error) {
	var f sidecarFile
	var sc sidecar
	if err := json.Unmarshal(bytes.TrimSpace(data), &f); err != nil {
		return sc, fmt.Errorf("attribute file is not valid JSON: %v", err)
	}
	if want := fmt.Sprintf("%08x", crc32.Checksum(f.Attrs, castagnoli)); f.CRC32C != want {
		return sc, fmt.Errorf("attribute file checksum %q, want %q", f.CRC32C, want)
	}
	if err := json.Unmarshal(f.Attrs, &sc); err != nil {
		return sc, fmt.Errorf("attribute file: %v", err)
	}
	if sc.Version != sidecarVersion {
		return sc, fmt.Errorf("attribute file format version %d, want %d", sc.Version, sidecarVersion)
	}
	if len(sc.SHA256) != 2*sha256.Size || sc.Size < 0 {
		return sc, errors.New("attribute file lacks the content's size or SHA-256")
	}
	return sc, nil
}

// writeSidecar writes key's attribute file for the content file with
// inode ino, replacing a leftover of a crashed commit whose file had the
// same inode. It is not durable until the caller syncs.
func (d *driver) writeSidecar(sc sidecar, ino uint64) (string, error) {
	data, err := encodeSidecar(sc)
	if err != nil {
		return "", err
	}
	n := attrsName(sc.Key, ino)
	f, err := d.openBeneath(n, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, filePerm)
	if errors.Is(err, fs.ErrNotExist) {
		if err = d.root.Mkdir(n[:len(attrsDir)+3], dirPerm); err == nil || errors.Is(err, fs.ErrExist) {
			f, err = d.openBeneath(n, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, filePerm)
		}
	}
	if err != nil {
		return "", fmt.Errorf("fileblob: writing attributes of %q: %w", sc.Key, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = d.root.Remove(n)
		return "", fmt.Errorf("fileblob: writing %s: %w", d.path(n), err)
	}
	return n, nil
}

// readSidecar reads key's attribute file for inode ino. A missing file is
// an error matching fs.ErrNotExist; a damaged one a *blob.CorruptError.
func (d *driver) readSidecar(key string, ino uint64) (sidecar, error) {
	n := attrsName(key, ino)
	sc, err := d.readSidecarFile(n)
	var ce *blob.CorruptError
	if errors.As(err, &ce) {
		ce.Key = key
	}
	if err == nil && sc.Key != key {
		err = &blob.CorruptError{Key: key, Path: d.path(n), Reason: fmt.Sprintf("attribute file names key %q", sc.Key)}
	}
	return sc, err
}

// readSidecarFile reads the attribute file named n.
func (d *driver) readSidecarFile(n string) (sidecar, error) {
	f, err := d.openBeneath(n, os.O_RDONLY, 0)
	if err != nil {
		return sidecar{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSidecarSize+1))
	if err != nil {
		return sidecar{}, fmt.Errorf("fileblob: reading %s: %w", d.path(n), err)
	}
	if len(data) > maxSidecarSize {
		return sidecar{}, &blob.CorruptError{Path: d.path(n), Reason: fmt.Sprintf("attribute file larger than %d bytes", maxSidecarSize)}
	}
	sc, err := decodeSidecar(data)
	if err != nil {
		return sc, &blob.CorruptError{Key: sc.Key, Path: d.path(n), Reason: err.Error()}
	}
	return sc, nil
}
