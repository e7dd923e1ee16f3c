package fileblob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// NewReader implements blob.Bucket. The reader sees the version of the blob
// that was current when it was opened, even if the blob is overwritten or
// deleted meanwhile.
func (b *Bucket) NewReader(ctx context.Context, key string) (io.ReadCloser, blob.Attributes, error) {
	f, attrs, err := b.open(ctx, key)
	if err != nil {
		return nil, blob.Attributes{}, err
	}
	return &reader{f: f, size: attrs.Size, Reader: io.NewSectionReader(f, 0, attrs.Size)}, attrs, nil
}

// NewReaderAt implements blob.Bucket. The reader is safe for parallel
// ReadAt calls and, like NewReader's, keeps seeing the version it opened.
func (b *Bucket) NewReaderAt(ctx context.Context, key string) (blob.ReaderAt, error) {
	f, attrs, err := b.open(ctx, key)
	if err != nil {
		return nil, err
	}
	return &reader{f: f, size: attrs.Size}, nil
}

// reader reads the content part of one open blob file.
type reader struct {
	io.Reader // sequential view, for NewReader
	f         *os.File
	size      int64
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
	n, err := r.f.ReadAt(p, off)
	if err == nil && short {
		err = io.EOF
	}
	if err != nil && err != io.EOF {
		err = fmt.Errorf("fileblob: reading %s: %w", r.f.Name(), err)
	}
	return n, err
}

// Size implements blob.ReaderAt.
func (r *reader) Size() int64 { return r.size }

// Close implements io.Closer.
func (r *reader) Close() error { return r.f.Close() }
