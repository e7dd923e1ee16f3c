package fileblob

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// newSmallWriter returns a writer that buffers up to opts.Size bytes and
// commits them as a record of the small-blob database on Close.
func (b *Bucket) newSmallWriter(ctx context.Context, key string, opts *blob.WriterOptions, attrs storedAttrs) *smallWriter {
	w := &smallWriter{
		b:     b,
		ctx:   ctx,
		key:   key,
		size:  opts.Size,
		over:  opts.Overwrite,
		attrs: attrs,
		buf:   make([]byte, 0, opts.Size),
	}
	w.stop = context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.endLocked(ctx.Err())
	})
	return w
}

// smallWriter holds one small blob in memory (at most SmallBlobMax bytes,
// or Options.SmallBlobMax) until Close commits it. Like writer, it is not
// safe for concurrent Writes; Abort and context cancellation may race with
// them.
type smallWriter struct {
	b     *Bucket
	ctx   context.Context
	key   string
	size  int64 // expected size, > 0
	over  bool
	attrs storedAttrs
	stop  func() bool

	mu   sync.Mutex
	buf  []byte
	done bool  // closed or aborted
	err  error // why the writer ended (errWriterDone once committed)
}

// Write implements io.Writer. Writing more than WriterOptions.Size bytes
// fails with blob.ErrSizeMismatch and ends the writer.
func (w *smallWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return 0, w.err
	}
	if err := w.ctx.Err(); err != nil {
		w.endLocked(err)
		return 0, w.err
	}
	if int64(len(w.buf))+int64(len(p)) > w.size {
		w.endLocked(fmt.Errorf("%w: more than the %d bytes announced for %q", blob.ErrSizeMismatch, w.size, w.key))
		return 0, w.err
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// Close commits the blob in the small-blob database; it returns once the
// commit is durable.
func (w *smallWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return w.err
	}
	w.stop()
	err := w.commitLocked()
	if err != nil {
		w.endLocked(err)
		return err
	}
	w.endLocked(errWriterDone)
	return nil
}

func (w *smallWriter) commitLocked() error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if int64(len(w.buf)) != w.size {
		return fmt.Errorf("%w: wrote %d bytes to %q, announced %d", blob.ErrSizeMismatch, len(w.buf), w.key, w.size)
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	rec := &record{
		modTime: time.Now(),
		id:      binary.BigEndian.Uint64(id[:]),
		attrs:   w.attrs,
		content: w.buf,
	}
	return w.b.commitSmall(w.ctx, w.key, rec, w.over)
}

// SetMetadata replaces the metadata Close will store; see writer's.
func (w *smallWriter) SetMetadata(md map[string]string) error {
	if err := blob.ValidateMetadata(md); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return w.err
	}
	w.attrs.Metadata = maps.Clone(md)
	return nil
}

// Abort implements blob.Writer.
func (w *smallWriter) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stop()
	w.endLocked(fmt.Errorf("fileblob: writer for %q aborted", w.key))
	return nil
}

// endLocked ends the writer, if not yet ended, recording why.
func (w *smallWriter) endLocked(why error) {
	if w.done {
		return
	}
	w.done, w.err, w.buf = true, why, nil
}
