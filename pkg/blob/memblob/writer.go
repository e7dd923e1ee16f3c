package memblob

import (
	"bytes"
	"context"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// NewWriter implements blob.Driver. The writer buffers the blob in memory.
func (d *driver) NewWriter(_ context.Context, key string, opts *blob.WriterOptions) (blob.DriverWriter, error) {
	return &writer{d: d, key: key, ct: opts.ContentType, over: opts.Overwrite}, nil
}

// writer buffers one blob; blob.Store serialises its calls.
type writer struct {
	d    *driver
	key  string
	ct   string
	over bool
	buf  bytes.Buffer
}

func (w *writer) Write(p []byte) (int, error) { return w.buf.Write(p) }

func (w *writer) Commit(md map[string]string) error {
	data := bytes.Clone(w.buf.Bytes())
	w.buf = bytes.Buffer{}
	return w.d.commit(w.key, data, w.ct, md, w.over)
}

func (w *writer) Abort() error {
	w.buf = bytes.Buffer{}
	return nil
}
