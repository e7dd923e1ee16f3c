package blob

import (
	"context"
	"io"
	"time"
)

// Driver is what a backend implements: the storage operations that differ
// between backends, without the rules every backend shares. Store wraps a
// Driver into a Bucket and applies those rules itself, in the manner of
// go-cloud's blob/driver: before a Driver method runs, the key is valid
// (ValidateKey), the context not yet done, the bucket not closed; writer
// options are validated (ValidateWriter) with ContentType filled in, and
// a lease's TTL is within bounds. A Driver must be safe for concurrent
// use.
type Driver interface {
	// NewWriter starts a blob under key. opts is never nil. The returned
	// writer's methods are never called concurrently.
	NewWriter(ctx context.Context, key string, opts *WriterOptions) (DriverWriter, error)
	// NewReader opens the blob for sequential reading of its whole
	// content; an error wrapping ErrNotFound if absent.
	NewReader(ctx context.Context, key string) (io.ReadCloser, Attributes, error)
	// NewReaderAt opens one version of the blob for ranged reads; an error
	// wrapping ErrNotFound if absent.
	NewReaderAt(ctx context.Context, key string) (DriverReaderAt, error)
	// Attributes returns the blob's attributes; ErrNotFound if absent.
	Attributes(ctx context.Context, key string) (Attributes, error)
	// List returns the blobs whose keys start with prefix, in any order.
	// It may include keys under ReservedPrefix; Store drops them. prefix
	// is not validated (any string is a valid prefix).
	List(ctx context.Context, prefix string) ([]Attributes, error)
	// Delete removes the blob; an error wrapping ErrNotFound if absent.
	Delete(ctx context.Context, key string) error
	// AcquireLease takes an exclusive lease on key, as Bucket.AcquireLease.
	AcquireLease(ctx context.Context, key string, ttl time.Duration) (Lease, error)
	// Close releases the driver's resources. Store calls it once.
	Close() error
}

// DriverWriter is one blob being written, as a Driver sees it. Store
// calls its methods from one goroutine at a time; it checks sizes and
// cancellation itself and calls Abort when the context is done.
type DriverWriter interface {
	// Write appends p. An error ends the writer: Store calls Abort next.
	Write(p []byte) (int, error)
	// Commit makes the blob visible under its key with metadata md (the
	// validated final metadata), atomically: nothing is visible before, and
	// with create-if-absent it fails with an error wrapping ErrExists when
	// the key is taken, leaving the existing blob intact. Store calls
	// Commit at most once and calls Abort after a failed Commit.
	Commit(md map[string]string) error
	// Abort discards what was written and releases the writer's
	// resources. It is called at most once, never after a successful
	// Commit.
	Abort() error
}

// DriverReaderAt reads ranges of one version of a blob. Store calls
// ReadAt only with 0 <= off, 0 < len(p) and off+len(p) <= Size(), and
// ReadAt must then fill p or return an error; Store clamps ranges and
// reports io.EOF itself. ReadAt may be called concurrently.
type DriverReaderAt interface {
	io.ReaderAt
	// Size is the blob's length in bytes.
	Size() int64
	// Close releases the reader.
	Close() error
}
