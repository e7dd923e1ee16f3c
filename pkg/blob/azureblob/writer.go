package azureblob

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"golang.org/x/sync/errgroup"

	port "github.com/dumpflow/dumpflow/pkg/blob"
)

// blockStager is the part of *blockblob.Client a writer uses.
type blockStager interface {
	StageBlock(ctx context.Context, base64BlockID string, body io.ReadSeekCloser, options *blockblob.StageBlockOptions) (blockblob.StageBlockResponse, error)
	CommitBlockList(ctx context.Context, base64BlockIDs []string, options *blockblob.CommitBlockListOptions) (blockblob.CommitBlockListResponse, error)
	GetProperties(ctx context.Context, options *blob.GetPropertiesOptions) (blob.GetPropertiesResponse, error)
}

var _ blockStager = (*blockblob.Client)(nil)

var errWriterDone = errors.New("azureblob: writer already closed or aborted")

// NewWriter implements blob.Driver; see the package comment. blob.Store
// has validated the arguments and serialises the writer's calls, except
// that Abort may come from any goroutine.
func (d *driver) NewWriter(ctx context.Context, key string, opts *port.WriterOptions) (port.DriverWriter, error) {
	if max := int64(MaxBlocks) * int64(d.opts.BlockSize); opts.Size > max {
		return nil, fmt.Errorf("azureblob: %q: size %d exceeds %d blocks of %d bytes", key, opts.Size, MaxBlocks, d.opts.BlockSize)
	}
	return newWriter(ctx, d.c.NewBlockBlobClient(key), key, opts, d.opts), nil
}

// newWriter starts a writer staging into bb; o has its defaults set.
func newWriter(ctx context.Context, bb blockStager, key string, opts *port.WriterOptions, o Options) *writer {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	gctx, cancel := context.WithCancelCause(ctx)
	g, gctx := errgroup.WithContext(gctx)
	g.SetLimit(o.Concurrency)
	return &writer{
		ctx:     ctx,
		gctx:    gctx,
		cancel:  cancel,
		g:       g,
		bb:      bb,
		key:     key,
		opts:    *opts,
		idBase:  hex.EncodeToString(rnd[:]),
		bufSize: o.BlockSize,
		pool:    o.pool,
	}
}

// writer fills one buffer while up to Concurrency others are staged.
type writer struct {
	ctx    context.Context // the caller's
	gctx   context.Context // staging; cancelled by the first failure or Abort
	cancel context.CancelCauseFunc
	g      *errgroup.Group
	bb     blockStager
	key    string
	opts   port.WriterOptions
	idBase string // random, so racing writers' block ids differ

	bufSize int
	nBufs   int        // buffers taken so far
	pool    *blockPool // the Bucket's, shared by all its writers

	mu   sync.Mutex
	done error  // non-nil once closed or aborted: what Write and Close return
	buf  []byte // being filled
	ids  []string
	n    int64
}

// Write implements io.Writer.
func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != nil {
		return 0, w.done
	}
	if err := w.failed(); err != nil {
		return 0, w.abortLocked(err)
	}
	written := 0
	for len(p) > 0 {
		if w.buf == nil {
			buf, err := w.getBuf()
			if err != nil {
				return written, w.abortLocked(err)
			}
			w.buf = buf
		}
		if len(w.buf) == cap(w.buf) { // only a small first buffer
			buf, err := w.bigger(w.buf)
			if err != nil {
				return written, w.abortLocked(err)
			}
			w.buf = buf
		}
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
		written += k
		w.n += int64(k)
		if len(w.buf) == w.bufSize {
			if err := w.stage(); err != nil {
				return written, w.abortLocked(err)
			}
		}
	}
	return written, nil
}

// failed returns why the writer cannot go on, if it cannot.
func (w *writer) failed() error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if w.gctx.Err() != nil {
		if err := w.g.Wait(); err != nil {
			return err
		}
		return context.Cause(w.gctx)
	}
	return nil
}

// getBuf returns an empty buffer: the first one small when the blob is
// known or likely to be small, else a block from the pool, waiting for one
// if all are in use.
func (w *writer) getBuf() ([]byte, error) {
	w.nBufs++
	if n := firstBufSize(w.opts.Size, w.bufSize); w.nBufs == 1 && n < w.bufSize {
		return make([]byte, 0, n), nil
	}
	buf, err := w.pool.get(w.gctx)
	if err != nil {
		return nil, w.failed()
	}
	return buf, nil
}

// bigger returns a buffer twice the size of the full small buffer b (a
// block from the pool once that reaches the block size) holding b's bytes.
func (w *writer) bigger(b []byte) ([]byte, error) {
	if n := 2 * cap(b); n < w.bufSize {
		return append(make([]byte, 0, n), b...), nil
	}
	buf, err := w.pool.get(w.gctx)
	if err != nil {
		return nil, w.failed()
	}
	return append(buf, b...), nil
}

// smallBuf is the first buffer's size when the blob's size is unknown: small
// blobs (reports, manifests) then need no full block buffer. It doubles as
// the blob grows, up to the block size.
const smallBuf = 64 << 10

// firstBufSize is the capacity of a writer's first buffer; blockSize means
// a block from the pool.
func firstBufSize(size int64, blockSize int) int {
	switch {
	case size > smallBuf:
		return blockSize
	case size > 0:
		return int(size)
	}
	return min(smallBuf, blockSize)
}

// stage starts staging the filled buffer as the next block.
func (w *writer) stage() error {
	if len(w.ids) == MaxBlocks {
		return fmt.Errorf("azureblob: %q: more than %d blocks of %d bytes", w.key, MaxBlocks, w.bufSize)
	}
	id := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%s-%06d", w.idBase, len(w.ids)))
	w.ids = append(w.ids, id)
	n, buf := len(w.ids), w.buf
	w.buf = nil
	w.g.Go(func() error {
		defer w.pool.put(buf)
		if _, err := w.bb.StageBlock(w.gctx, id, streaming.NopCloser(bytes.NewReader(buf)), nil); err != nil {
			return fmt.Errorf("azureblob: staging block %d of %q: %w", n, w.key, err)
		}
		return nil
	})
	return nil
}

// Close stages the last block, waits for all blocks, and commits the list
// with the metadata in w.opts.
func (w *writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != nil {
		return w.done
	}
	if err := w.commitLocked(); err != nil {
		return w.abortLocked(err)
	}
	w.done = errWriterDone
	w.cancel(errWriterDone)
	return nil
}

func (w *writer) commitLocked() error {
	if err := w.failed(); err != nil {
		return err
	}
	if len(w.buf) > 0 {
		if err := w.stage(); err != nil {
			return err
		}
	}
	if err := w.g.Wait(); err != nil {
		return err
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	ct := w.opts.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	opts := &blockblob.CommitBlockListOptions{
		HTTPHeaders: &blob.HTTPHeaders{BlobContentType: &ct},
		Metadata:    metadataTo(w.opts.Metadata),
		Tags:        tagsFrom(w.opts.Metadata),
	}
	if !w.opts.Overwrite {
		any := azcore.ETagAny
		opts.AccessConditions = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: &any}}
	}
	_, err := w.bb.CommitBlockList(w.ctx, w.ids, opts)
	switch {
	case err == nil:
		return nil
	case !w.opts.Overwrite && isExists(err):
		return fmt.Errorf("%w: %q", port.ErrExists, w.key)
	case !w.opts.Overwrite && bloberror.HasCode(err, bloberror.InvalidBlockList):
		// A racing writer's commit discards our uncommitted blocks.
		if _, perr := w.bb.GetProperties(w.ctx, nil); perr == nil {
			return fmt.Errorf("%w: %q", port.ErrExists, w.key)
		}
	}
	return fmt.Errorf("azureblob: committing %q: %w", w.key, err)
}

// Commit implements blob.DriverWriter: Close with md, the final
// metadata (blob.Store applies SetMetadata and checks the size).
func (w *writer) Commit(md map[string]string) error {
	w.mu.Lock()
	w.opts.Metadata = md
	w.mu.Unlock()
	return w.Close()
}

// Abort implements blob.DriverWriter.
func (w *writer) Abort() error {
	why := fmt.Errorf("azureblob: writer for %q aborted", w.key)
	// Cancel before locking: a Write may hold the lock while it waits for
	// a block buffer that other writers hold. (After Close this is a no-op:
	// the first cause stays.)
	w.cancel(why)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done == nil {
		w.abortLocked(why)
	}
	return nil
}

// abortLocked stops staging, waits for in-flight blocks, records why the
// writer ended, and returns it.
func (w *writer) abortLocked(why error) error {
	if w.done != nil {
		return w.done
	}
	w.cancel(why)
	_ = w.g.Wait()
	w.done = why
	w.pool.put(w.buf)
	w.buf = nil
	return why
}
