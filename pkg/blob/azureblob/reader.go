package azureblob

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"

	port "github.com/dumpflow/dumpflow/pkg/blob"
)

// NewReaderAt implements blob.Driver; see the package comment. ctx
// governs every later ReadAt, since io.ReaderAt takes none.
func (d *driver) NewReaderAt(ctx context.Context, key string) (port.DriverReaderAt, error) {
	bc := d.c.NewBlobClient(key)
	p, err := bc.GetProperties(ctx, nil)
	if err != nil {
		return nil, mapErr("get properties of", key, err)
	}
	r := &readerAt{ctx: ctx, bc: bc, key: key}
	if p.ContentLength != nil {
		r.size = *p.ContentLength
	}
	if p.ETag != nil {
		r.etag = *p.ETag
	}
	return r, nil
}

// readerAt reads ranges of one version of a blob. It is safe for parallel
// use.
type readerAt struct {
	ctx  context.Context
	bc   *blob.Client
	key  string
	size int64
	etag azcore.ETag
}

// ReadAt implements io.ReaderAt with one ranged GET; blob.Store clamps
// the range to the blob.
func (r *readerAt) ReadAt(p []byte, off int64) (int, error) {
	opts := &blob.DownloadStreamOptions{Range: blob.HTTPRange{Offset: off, Count: int64(len(p))}}
	if r.etag != "" {
		opts.AccessConditions = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &r.etag}}
	}
	resp, err := r.bc.DownloadStream(r.ctx, opts)
	if err != nil {
		if s := statusOf(err); s == http.StatusPreconditionFailed || s == http.StatusNotFound {
			return 0, fmt.Errorf("%w: %q: %w", ErrChanged, r.key, err)
		}
		return 0, fmt.Errorf("azureblob: reading %q at %d: %w", r.key, off, err)
	}
	defer resp.Body.Close()
	n, err := io.ReadFull(resp.Body, p)
	if err != nil {
		return n, fmt.Errorf("azureblob: reading %q at %d: %w", r.key, off, err)
	}
	return n, nil
}

// Size implements blob.ReaderAt.
func (r *readerAt) Size() int64 { return r.size }

// Close implements blob.ReaderAt; there is nothing to release.
func (r *readerAt) Close() error { return nil }
