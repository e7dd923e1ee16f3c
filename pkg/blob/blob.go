// Package blob is the port to dumpflow's object storage: streaming,
// create-if-absent writes with metadata, ranged reads behind io.ReaderAt,
// listing by prefix, and short-lived exclusive leases on keys (the worker's
// per-app lock for direct dumps, see docs/kudu.md).
//
// The port has go-cloud's shape: Bucket is what callers use; Store is the
// one concrete Bucket, holding what every backend shares — key, metadata,
// range and lease-TTL validation, range clamping, size and cancellation
// checks, SetMetadata, sorted listing without the reserved namespace —
// over a small Driver interface that each backend implements. Backends
// live in sub-packages: fileblob (a local directory of plain files, the
// embedded default, selected by a file:// URL), azureblob (Azure Blob
// Storage) and memblob (in memory, for tests). Every backend passes the
// conformance suite in blobtest.
//
// A blob whose stored bytes fail their checksum is reported as a
// *CorruptError (matching ErrCorrupt), never served as if intact.
package blob

import (
	"context"
	"errors"
	"io"
	"time"
)

// Attributes describe a stored blob.
type Attributes struct {
	Key         string
	Size        int64
	ContentType string
	Metadata    map[string]string
	ModTime     time.Time
	ETag        string
}

// WriterOptions tune NewWriter. A nil *WriterOptions means the defaults.
type WriterOptions struct {
	// ContentType of the blob; empty means application/octet-stream.
	ContentType string
	// Metadata stored with the blob. Keys are lowercase ASCII letters,
	// digits and '_' (C# identifier rules, as Azure requires), at most
	// MaxMetadataKeys entries and MaxMetadataSize bytes in all.
	Metadata map[string]string
	// Overwrite replaces an existing blob. The default (false) is
	// create-if-absent: Close fails with ErrExists when the key exists and
	// the existing blob is left intact.
	Overwrite bool
	// Size is the expected length in bytes when known, or 0 when unknown.
	// Backends may use it to size their buffers; Close fails when the bytes
	// written differ from a non-zero Size.
	Size int64
	// ContentSHA256, when set, returns the hex SHA-256 of everything
	// written, from a caller that hashes its stream anyway (the worker
	// hashes every dump it copies). A backend that keeps a checksum of the
	// content takes it from there instead of hashing every byte again.
	// It is called once, when the blob is committed, after the last Write.
	ContentSHA256 func() string
}

// Writer streams one blob. Nothing is visible under the key until Close
// returns nil. Memory use is bounded and independent of the blob's size.
type Writer interface {
	io.Writer
	// Close commits the blob. With create-if-absent (the default) it fails
	// with ErrExists if another writer committed the key first.
	Close() error
	// Abort discards everything written; the key is left as it was. Abort
	// after Close is a no-op. Cancelling the context given to NewWriter has
	// the same effect as Abort.
	Abort() error
}

// ReaderAt reads ranges of one blob without downloading it whole.
type ReaderAt interface {
	io.ReaderAt
	// Size is the blob's length in bytes.
	Size() int64
	// Close releases the reader.
	Close() error
}

// Lease is an exclusive, short-lived claim on a key, held across processes.
// A lease that is neither renewed nor released expires after its TTL, so a
// holder that dies cannot block others for longer than that.
type Lease interface {
	// Renew extends the lease by its TTL. ErrLeaseLost if it had expired
	// and was taken by someone else (or was released).
	Renew(ctx context.Context) error
	// Release gives the lease up at once. Releasing a lost lease is not an
	// error.
	Release(ctx context.Context) error
}

// Bucket is one container of blobs. Implementations are safe for concurrent
// use.
type Bucket interface {
	// NewWriter starts a blob under key. The caller must Close or Abort it.
	NewWriter(ctx context.Context, key string, opts *WriterOptions) (Writer, error)
	// NewReader opens the blob for sequential reading; ErrNotFound if absent.
	NewReader(ctx context.Context, key string) (io.ReadCloser, Attributes, error)
	// NewReaderAt opens the blob for ranged reads; ErrNotFound if absent.
	// Each ReadAt reads only the bytes asked for.
	NewReaderAt(ctx context.Context, key string) (ReaderAt, error)
	// Attributes returns a blob's attributes; ErrNotFound if absent.
	Attributes(ctx context.Context, key string) (Attributes, error)
	// List returns the attributes of every blob whose key starts with
	// prefix, in lexical key order. Leases are not listed.
	List(ctx context.Context, prefix string) ([]Attributes, error)
	// Delete removes a blob; ErrNotFound if absent.
	Delete(ctx context.Context, key string) error
	// AcquireLease takes an exclusive lease on key for ttl (between
	// MinLeaseTTL and MaxLeaseTTL). It fails at once with ErrLeaseHeld when
	// another holder has it; callers that want to wait poll. Lease keys live
	// in their own namespace and need not name an existing blob.
	AcquireLease(ctx context.Context, key string, ttl time.Duration) (Lease, error)
	// Close releases the bucket's resources.
	Close() error
}

// Limits shared by every backend.
const (
	MaxKeyLength    = 1024
	MaxMetadataKeys = 64
	MaxMetadataSize = 8 << 10 // Azure's limit for all metadata of one blob
	MinLeaseTTL     = 15 * time.Second
	MaxLeaseTTL     = 60 * time.Second
)

var (
	// ErrNotFound means no blob exists under the key.
	ErrNotFound = errors.New("blob: not found")
	// ErrExists means a create-if-absent write found the key taken.
	ErrExists = errors.New("blob: already exists")
	// ErrInvalidKey means the key is empty, too long, or has a segment that
	// is empty, "." or "..", or contains control characters or '\'.
	ErrInvalidKey = errors.New("blob: invalid key")
	// ErrInvalidMetadata means metadata breaks the port's rules.
	ErrInvalidMetadata = errors.New("blob: invalid metadata")
	// ErrLeaseHeld means another holder has the lease.
	ErrLeaseHeld = errors.New("blob: lease held by another holder")
	// ErrLeaseLost means the lease expired and was taken, or was released.
	ErrLeaseLost = errors.New("blob: lease lost")
	// ErrSizeMismatch means the bytes written differ from WriterOptions.Size.
	ErrSizeMismatch = errors.New("blob: size mismatch")
)
