package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed means the bucket was closed.
var ErrClosed = errors.New("blob: bucket closed")

// ErrWriterDone is returned by Write and Close on a writer already closed
// or aborted.
var ErrWriterDone = errors.New("blob: writer already closed or aborted")

// DefaultContentType is the content type of blobs written without one.
const DefaultContentType = "application/octet-stream"

// Store is the concrete Bucket every backend returns: it holds what the
// port promises whatever the backend — key, metadata, range and TTL
// validation, range clamping, size checks, cancellation, SetMetadata, the
// lease's released state, sorted listing without reserved keys — over a
// Driver that does the storage. It is safe for concurrent use.
type Store struct {
	d      Driver
	closed atomic.Bool
}

var _ Bucket = (*Store)(nil)

// NewStore returns the Bucket over d.
func NewStore(d Driver) *Store { return &Store{d: d} }

// check is the preamble of every operation on key.
func (s *Store) check(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

// NewWriter implements Bucket. The writer also has SetMetadata(md) error,
// which replaces the metadata Close stores (for values known only once the
// content is written, such as a checksum); it fails with
// ErrInvalidMetadata on bad metadata and after Close or Abort. The writer
// is not safe for concurrent Writes; Abort and cancellation of ctx may
// race with them.
func (s *Store) NewWriter(ctx context.Context, key string, opts *WriterOptions) (Writer, error) {
	opts, err := ValidateWriter(key, opts)
	if err != nil {
		return nil, err
	}
	if err := s.check(ctx, key); err != nil {
		return nil, err
	}
	o := *opts
	if o.ContentType == "" {
		o.ContentType = DefaultContentType
	}
	o.Metadata = maps.Clone(opts.Metadata)
	dw, err := s.d.NewWriter(ctx, key, &o)
	if err != nil {
		return nil, err
	}
	w := &writer{d: dw, ctx: ctx, key: key, size: o.Size, md: o.Metadata}
	w.stop = context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.abortLocked(ctx.Err())
	})
	return w, nil
}

// writer applies the port's writer rules around a DriverWriter.
type writer struct {
	d    DriverWriter
	ctx  context.Context
	key  string
	size int64 // announced size, or 0
	stop func() bool

	mu  sync.Mutex
	md  map[string]string
	n   int64
	err error // non-nil once the writer ended: what Write and Close return
}

// Write implements io.Writer.
func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	if err := w.ctx.Err(); err != nil {
		w.abortLocked(err)
		return 0, w.err
	}
	if w.size > 0 && w.n+int64(len(p)) > w.size {
		w.abortLocked(fmt.Errorf("%w: more than the %d bytes announced for %q", ErrSizeMismatch, w.size, w.key))
		return 0, w.err
	}
	n, err := w.d.Write(p)
	w.n += int64(n)
	if err != nil {
		w.abortLocked(err)
		return n, w.err
	}
	return n, nil
}

// Close implements Writer.
func (w *writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.stop()
	if err := w.ctx.Err(); err != nil {
		w.abortLocked(err)
		return w.err
	}
	if w.size > 0 && w.n != w.size {
		w.abortLocked(fmt.Errorf("%w: wrote %d bytes to %q, announced %d", ErrSizeMismatch, w.n, w.key, w.size))
		return w.err
	}
	if err := w.d.Commit(w.md); err != nil {
		w.abortLocked(err)
		return w.err
	}
	w.err = ErrWriterDone
	return nil
}

// SetMetadata replaces the metadata Close will store; see Store.NewWriter.
func (w *writer) SetMetadata(md map[string]string) error {
	if err := ValidateMetadata(md); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.md = maps.Clone(md)
	return nil
}

// Abort implements Writer.
func (w *writer) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stop()
	w.abortLocked(fmt.Errorf("blob: writer for %q aborted", w.key))
	return nil
}

// abortLocked ends the writer with why, unless it has ended already.
func (w *writer) abortLocked(why error) {
	if w.err != nil {
		return
	}
	w.err = why
	_ = w.d.Abort()
}

// NewReader implements Bucket.
func (s *Store) NewReader(ctx context.Context, key string) (io.ReadCloser, Attributes, error) {
	if err := s.check(ctx, key); err != nil {
		return nil, Attributes{}, err
	}
	r, a, err := s.d.NewReader(ctx, key)
	if err != nil {
		return nil, Attributes{}, err
	}
	return r, fixAttrs(a), nil
}

// NewReaderAt implements Bucket.
func (s *Store) NewReaderAt(ctx context.Context, key string) (ReaderAt, error) {
	if err := s.check(ctx, key); err != nil {
		return nil, err
	}
	r, err := s.d.NewReaderAt(ctx, key)
	if err != nil {
		return nil, err
	}
	return readerAt{r}, nil
}

// readerAt clamps ranges for a DriverReaderAt.
type readerAt struct{ DriverReaderAt }

var errNegativeOffset = errors.New("blob: negative offset")

// ReadAt implements io.ReaderAt.
func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	size := r.Size()
	switch {
	case off < 0:
		return 0, errNegativeOffset
	case len(p) == 0:
		return 0, nil
	case off >= size:
		return 0, io.EOF
	}
	short := false
	if rest := size - off; int64(len(p)) > rest {
		p, short = p[:rest], true
	}
	n, err := r.DriverReaderAt.ReadAt(p, off)
	if err == nil && short {
		err = io.EOF
	}
	return n, err
}

// Attributes implements Bucket.
func (s *Store) Attributes(ctx context.Context, key string) (Attributes, error) {
	if err := s.check(ctx, key); err != nil {
		return Attributes{}, err
	}
	a, err := s.d.Attributes(ctx, key)
	if err != nil {
		return Attributes{}, err
	}
	return fixAttrs(a), nil
}

// List implements Bucket.
func (s *Store) List(ctx context.Context, prefix string) ([]Attributes, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	all, err := s.d.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, a := range all {
		if strings.HasPrefix(a.Key, prefix) && !strings.HasPrefix(a.Key, ReservedPrefix) {
			out = append(out, fixAttrs(a))
		}
	}
	slices.SortFunc(out, func(x, y Attributes) int { return strings.Compare(x.Key, y.Key) })
	return out, nil
}

// fixAttrs gives a an empty, not nil, Metadata.
func fixAttrs(a Attributes) Attributes {
	if a.Metadata == nil {
		a.Metadata = map[string]string{}
	}
	return a
}

// Delete implements Bucket.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.check(ctx, key); err != nil {
		return err
	}
	return s.d.Delete(ctx, key)
}

// AcquireLease implements Bucket.
func (s *Store) AcquireLease(ctx context.Context, key string, ttl time.Duration) (Lease, error) {
	if err := s.check(ctx, key); err != nil {
		return nil, err
	}
	if err := ValidateLeaseTTL(ttl); err != nil {
		return nil, err
	}
	l, err := s.d.AcquireLease(ctx, key, ttl)
	if err != nil {
		return nil, err
	}
	return &lease{d: l, key: key}, nil
}

// lease remembers a release, so that Renew after Release reports
// ErrLeaseLost on every backend without asking it.
type lease struct {
	d        Lease
	key      string
	released atomic.Bool
}

// Renew implements Lease.
func (l *lease) Renew(ctx context.Context) error {
	if l.released.Load() {
		return fmt.Errorf("%w: %q was released", ErrLeaseLost, l.key)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return l.d.Renew(ctx)
}

// Release implements Lease.
func (l *lease) Release(ctx context.Context) error {
	if l.released.Swap(true) {
		return nil
	}
	return l.d.Release(ctx)
}

// Close implements Bucket: it closes the driver once. Open readers stay
// usable until closed; later operations fail with ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.d.Close()
}

// Driver returns the driver s wraps, for backends' own extensions.
func (s *Store) Driver() Driver { return s.d }
