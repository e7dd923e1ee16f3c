package fileblob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// NewReader implements blob.Bucket. The reader sees the version of the blob
// that was current when it was opened, even if the blob is overwritten or
// deleted meanwhile.
func (b *Bucket) NewReader(ctx context.Context, key string) (io.ReadCloser, blob.Attributes, error) {
	r, attrs, err := b.newReader(ctx, key)
	if err != nil {
		return nil, blob.Attributes{}, err
	}
	r.Reader = io.NewSectionReader(r, 0, r.size)
	return r, attrs, nil
}

// NewReaderAt implements blob.Bucket. The reader is safe for parallel
// ReadAt calls and, like NewReader's, keeps seeing the version it opened.
// A small blob is served from the copy of its record read at open.
func (b *Bucket) NewReaderAt(ctx context.Context, key string) (blob.ReaderAt, error) {
	r, _, err := b.newReader(ctx, key)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (b *Bucket) newReader(ctx context.Context, key string) (*reader, blob.Attributes, error) {
	s, err := b.lookup(ctx, key)
	if err != nil {
		return nil, blob.Attributes{}, err
	}
	if s.rec != nil {
		return &reader{src: bytes.NewReader(s.rec.content), name: key, size: s.attrs.Size, close: func() error { return nil }}, s.attrs, nil
	}
	return &reader{src: s.f, name: s.f.Name(), size: s.attrs.Size, close: s.f.Close}, s.attrs, nil
}

// reader reads the content part of one blob: an open blob file, or the
// content of a small blob's record.
type reader struct {
	io.Reader // sequential view, for NewReader
	src       io.ReaderAt
	name      string
	size      int64
	close     func() error
}

var errNegativeOffset = errors.New("fileblob: negative offset")

// ReadAt implements io.ReaderAt over the blob's content only.
func (r *reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errNegativeOffset
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= r.size {
		return 0, io.EOF
	}
	short := false
	if rest := r.size - off; int64(len(p)) > rest {
		p, short = p[:rest], true
	}
	n, err := r.src.ReadAt(p, off)
	if err == nil && short {
		err = io.EOF
	}
	if err != nil && err != io.EOF {
		err = fmt.Errorf("fileblob: reading %s: %w", r.name, err)
	}
	return n, err
}

// Size implements blob.ReaderAt.
func (r *reader) Size() int64 { return r.size }

// Close implements io.Closer.
func (r *reader) Close() error { return r.close() }
