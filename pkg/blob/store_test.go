package blob_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// fakeDriver records how Store calls a Driver.
type fakeDriver struct {
	t       *testing.T
	size    int64
	listed  []blob.Attributes
	commit  error
	writers []*fakeWriter
	closed  int
}

type fakeWriter struct {
	opts      blob.WriterOptions
	n         int
	committed map[string]string
	commits   int
	aborts    int
	failWrite error
	commitErr error
}

func (w *fakeWriter) Write(p []byte) (int, error) {
	if w.failWrite != nil {
		return 0, w.failWrite
	}
	w.n += len(p)
	return len(p), nil
}

func (w *fakeWriter) Commit(md map[string]string) error {
	w.commits++
	w.committed = md
	return w.commitErr
}

func (w *fakeWriter) Abort() error { w.aborts++; return nil }

func (d *fakeDriver) NewWriter(_ context.Context, key string, opts *blob.WriterOptions) (blob.DriverWriter, error) {
	if err := blob.ValidateKey(key); err != nil {
		d.t.Errorf("NewWriter got invalid key %q", key)
	}
	w := &fakeWriter{opts: *opts, commitErr: d.commit}
	d.writers = append(d.writers, w)
	return w, nil
}

func (d *fakeDriver) NewReader(context.Context, string) (io.ReadCloser, blob.Attributes, error) {
	return io.NopCloser(strings.NewReader("")), blob.Attributes{}, nil
}

func (d *fakeDriver) NewReaderAt(context.Context, string) (blob.DriverReaderAt, error) {
	return &fakeReaderAt{t: d.t, size: d.size}, nil
}

func (d *fakeDriver) Attributes(context.Context, string) (blob.Attributes, error) {
	return blob.Attributes{}, nil
}

func (d *fakeDriver) List(context.Context, string) ([]blob.Attributes, error) { return d.listed, nil }
func (d *fakeDriver) Delete(context.Context, string) error                    { return nil }
func (d *fakeDriver) AcquireLease(context.Context, string, time.Duration) (blob.Lease, error) {
	return fakeLease{}, nil
}
func (d *fakeDriver) Close() error { d.closed++; return nil }

type fakeLease struct{}

func (fakeLease) Renew(context.Context) error   { return nil }
func (fakeLease) Release(context.Context) error { return nil }

// fakeReaderAt fails the test on any call outside the Driver contract.
type fakeReaderAt struct {
	t    *testing.T
	size int64
}

func (r *fakeReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || len(p) == 0 || off+int64(len(p)) > r.size {
		r.t.Errorf("driver ReadAt(len %d, off %d) outside [0, %d)", len(p), off, r.size)
	}
	for i := range p {
		p[i] = byte(off) + byte(i)
	}
	return len(p), nil
}
func (r *fakeReaderAt) Size() int64  { return r.size }
func (r *fakeReaderAt) Close() error { return nil }

func TestStoreClampsRanges(t *testing.T) {
	s := blob.NewStore(&fakeDriver{t: t, size: 10})
	r, err := s.NewReaderAt(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		off   int64
		n     int
		wantN int
		eof   bool
	}{{0, 10, 10, false}, {5, 10, 5, true}, {10, 1, 0, true}, {20, 1, 0, true}, {3, 0, 0, false}} {
		n, err := r.ReadAt(make([]byte, tc.n), tc.off)
		if n != tc.wantN || (err == io.EOF) != tc.eof || (err != nil && err != io.EOF) {
			t.Errorf("ReadAt(len %d, off %d) = %d, %v; want %d, EOF %t", tc.n, tc.off, n, err, tc.wantN, tc.eof)
		}
	}
	if _, err := r.ReadAt(make([]byte, 1), -1); err == nil {
		t.Error("negative offset accepted")
	}
}

func TestStoreWriterRules(t *testing.T) {
	d := &fakeDriver{t: t}
	s := blob.NewStore(d)
	ctx := t.Context()

	// Too many bytes: the driver's writer is aborted, never committed.
	w, err := s.NewWriter(ctx, "k", &blob.WriterOptions{Size: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("abcd")); !errors.Is(err, blob.ErrSizeMismatch) {
		t.Errorf("Write past Size = %v, want ErrSizeMismatch", err)
	}
	if err := w.Close(); !errors.Is(err, blob.ErrSizeMismatch) {
		t.Errorf("Close after the mismatch = %v", err)
	}
	if fw := d.writers[0]; fw.commits != 0 || fw.aborts != 1 || fw.opts.ContentType != blob.DefaultContentType {
		t.Errorf("driver writer: %d commits, %d aborts, content type %q", fw.commits, fw.aborts, fw.opts.ContentType)
	}

	// A failed commit is followed by one Abort, and Close keeps failing.
	d.commit = fmt.Errorf("disk full")
	w, _ = s.NewWriter(ctx, "k", nil)
	if err := w.Close(); err == nil || w.Close() == nil {
		t.Error("Close succeeded after the driver's commit failed")
	}
	if fw := d.writers[1]; fw.commits != 1 || fw.aborts != 1 {
		t.Errorf("after a failed commit: %d commits, %d aborts; want 1, 1", fw.commits, fw.aborts)
	}
	d.commit = nil

	// SetMetadata's metadata is what the driver commits.
	w, _ = s.NewWriter(ctx, "k", &blob.WriterOptions{Metadata: map[string]string{"a": "1"}})
	ms := w.(interface{ SetMetadata(map[string]string) error })
	if err := ms.SetMetadata(map[string]string{"Bad": "x"}); !errors.Is(err, blob.ErrInvalidMetadata) {
		t.Errorf("SetMetadata of bad metadata = %v", err)
	}
	if err := ms.SetMetadata(map[string]string{"sha256": "ff"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if fw := d.writers[2]; fw.committed["sha256"] != "ff" || fw.committed["a"] != "" || fw.aborts != 0 {
		t.Errorf("committed metadata %v, %d aborts", fw.committed, fw.aborts)
	}

	// Cancelling the context aborts the driver's writer without a call.
	cctx, cancel := context.WithCancel(ctx)
	w, _ = s.NewWriter(cctx, "k", nil)
	cancel()
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("Close after cancel = %v", err)
	}
	if fw := d.writers[3]; fw.aborts != 1 || fw.commits != 0 {
		t.Errorf("after cancel: %d aborts, %d commits", fw.aborts, fw.commits)
	}
}

func TestStoreListAndClose(t *testing.T) {
	d := &fakeDriver{t: t, listed: []blob.Attributes{{Key: "b"}, {Key: blob.ReservedPrefix + "leases/x"}, {Key: "a"}, {Key: "c"}}}
	s := blob.NewStore(d)
	list, err := s.List(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, a := range list {
		keys = append(keys, a.Key)
		if a.Metadata == nil {
			t.Errorf("%s: nil Metadata", a.Key)
		}
	}
	if strings.Join(keys, ",") != "a,b,c" {
		t.Errorf("List = %q, want a,b,c without the reserved key", keys)
	}
	l, err := s.AcquireLease(t.Context(), "k", blob.MinLeaseTTL)
	if err != nil {
		t.Fatal(err)
	}
	_ = l.Release(t.Context())
	if err := l.Renew(t.Context()); !errors.Is(err, blob.ErrLeaseLost) {
		t.Errorf("Renew after Release = %v, want ErrLeaseLost", err)
	}
	_ = s.Close()
	_ = s.Close()
	if d.closed != 1 {
		t.Errorf("driver closed %d times, want 1", d.closed)
	}
	if _, err := s.NewWriter(t.Context(), "k", nil); !errors.Is(err, blob.ErrClosed) {
		t.Errorf("NewWriter after Close = %v, want ErrClosed", err)
	}
	if _, err := s.Attributes(t.Context(), "../x"); !errors.Is(err, blob.ErrInvalidKey) {
		t.Errorf("Attributes of a bad key = %v, want ErrInvalidKey", err)
	}
}
