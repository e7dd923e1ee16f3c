package blob

import (
	"context"
	"io"
)

// WriteAll stores data under key in one write: the writer is aborted when
// the write fails, and Close's error is returned as is (ErrExists when
// opts do not allow overwriting a blob that exists). A zero opts.Size is
// taken as len(data); nil opts are the zero WriterOptions.
func WriteAll(ctx context.Context, b Bucket, key string, data []byte, opts *WriterOptions) error {
	o := WriterOptions{}
	if opts != nil {
		o = *opts
	}
	if o.Size == 0 {
		o.Size = int64(len(data))
	}
	w, err := b.NewWriter(ctx, key, &o)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		_ = w.Abort()
		return err
	}
	return w.Close()
}

// ReadAll returns the first limit bytes of the blob under key, for small
// blobs (records, manifests) whose decoder refuses a longer one: pass the
// largest size allowed plus one to tell "too large" from "exactly the
// largest". A missing blob is an error wrapping ErrNotFound.
func ReadAll(ctx context.Context, b Bucket, key string, limit int64) ([]byte, error) {
	r, _, err := b.NewReader(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, limit))
}
