package memblob

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// NewWriter implements blob.Bucket. The writer buffers the blob in memory.
func (b *Bucket) NewWriter(ctx context.Context, key string, opts *blob.WriterOptions) (blob.Writer, error) {
	opts, err := blob.ValidateWriter(key, opts)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ct := opts.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	return &writer{b: b, ctx: ctx, key: key, opts: *opts, ct: ct, md: maps.Clone(opts.Metadata)}, nil
}

type writer struct {
	b    *Bucket
	ctx  context.Context
	key  string
	opts blob.WriterOptions
	ct   string

	mu   sync.Mutex
	md   map[string]string
	buf  bytes.Buffer
	done error // non-nil once closed or aborted
}

var errDone = fmt.Errorf("memblob: writer already closed or aborted")

func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != nil {
		return 0, w.done
	}
	if err := w.ctx.Err(); err != nil {
		w.done = err
		return 0, err
	}
	if w.opts.Size > 0 && int64(w.buf.Len()+len(p)) > w.opts.Size {
		w.done = fmt.Errorf("%w: more than the %d bytes announced for %q", blob.ErrSizeMismatch, w.opts.Size, w.key)
		return 0, w.done
	}
	return w.buf.Write(p)
}

// SetMetadata replaces the metadata Close will store.
func (w *writer) SetMetadata(md map[string]string) error {
	if err := blob.ValidateMetadata(md); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != nil {
		return w.done
	}
	w.md = maps.Clone(md)
	return nil
}

func (w *writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != nil {
		return w.done
	}
	w.done = errDone
	if err := w.ctx.Err(); err != nil {
		w.done = err
		return err
	}
	if w.opts.Size > 0 && int64(w.buf.Len()) != w.opts.Size {
		w.done = fmt.Errorf("%w: wrote %d bytes to %q, announced %d", blob.ErrSizeMismatch, w.buf.Len(), w.key, w.opts.Size)
		return w.done
	}
	data := bytes.Clone(w.buf.Bytes())
	w.buf = bytes.Buffer{}
	if err := w.b.commit(w.key, data, w.ct, w.md, w.opts.Overwrite); err != nil {
		w.done = err
		return err
	}
	return nil
}

func (w *writer) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done == nil {
		w.done = fmt.Errorf("memblob: writer for %q aborted", w.key)
		w.buf = bytes.Buffer{}
	}
	return nil
}
