package azureblob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	port "github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/blobtest"
)

// fakeStager records what a writer stages and commits.
type fakeStager struct {
	delay     time.Duration
	stageErr  func(n int) error // error for the n-th StageBlock call (1-based), or nil
	commitErr error
	propsErr  error

	mu          sync.Mutex
	calls       int
	inFlight    int
	maxInFlight int
	staged      map[string][]byte
	committed   []string
	commitOpts  *blockblob.CommitBlockListOptions
}

func (f *fakeStager) StageBlock(ctx context.Context, id string, body io.ReadSeekCloser, _ *blockblob.StageBlockOptions) (blockblob.StageBlockResponse, error) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.inFlight--; f.mu.Unlock() }()
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return blockblob.StageBlockResponse{}, ctx.Err()
	}
	if f.stageErr != nil {
		if err := f.stageErr(n); err != nil {
			return blockblob.StageBlockResponse{}, err
		}
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return blockblob.StageBlockResponse{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.staged == nil {
		f.staged = map[string][]byte{}
	}
	f.staged[id] = data
	return blockblob.StageBlockResponse{}, nil
}

func (f *fakeStager) CommitBlockList(_ context.Context, ids []string, o *blockblob.CommitBlockListOptions) (blockblob.CommitBlockListResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.commitErr != nil {
		return blockblob.CommitBlockListResponse{}, f.commitErr
	}
	f.committed, f.commitOpts = slices.Clone(ids), o
	return blockblob.CommitBlockListResponse{}, nil
}

func (f *fakeStager) GetProperties(context.Context, *blob.GetPropertiesOptions) (blob.GetPropertiesResponse, error) {
	return blob.GetPropertiesResponse{}, f.propsErr
}

// content is the committed blob, or nil.
func (f *fakeStager) content() []byte {
	var out []byte
	for _, id := range f.committed {
		out = append(out, f.staged[id]...)
	}
	return out
}

func testOptions(t *testing.T, blockSize, concurrency int) Options {
	t.Helper()
	o := Options{BlockSize: blockSize, Concurrency: concurrency}
	if err := o.setDefaults(); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestWriterBoundsMemoryAndConcurrency(t *testing.T) {
	f := &fakeStager{delay: 2 * time.Millisecond}
	o := testOptions(t, minBlockSize, 2)
	size := int64(6*minBlockSize + 123)
	w := newWriter(context.Background(), f, "k", &port.WriterOptions{Size: size, Metadata: map[string]string{"incident": "i 1", "app": "shop/api?", "sha256": "x"}}, o)
	if _, err := io.Copy(w, io.LimitReader(&blobtest.PatternReader{}, size)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if f.maxInFlight > 2 {
		t.Errorf("%d blocks staged at once, want at most Concurrency 2", f.maxInFlight)
	}
	if n := o.pool.allocated(); n > 3 {
		t.Errorf("%d block buffers allocated, want at most Concurrency+1 = 3", n)
	}
	if len(f.committed) != 7 {
		t.Errorf("committed %d blocks, want 7", len(f.committed))
	}
	for _, id := range f.committed {
		if len(id) != len(f.committed[0]) {
			t.Fatalf("block ids of different lengths: %q, %q", id, f.committed[0])
		}
	}
	got := f.content()
	want, _ := io.ReadAll(io.LimitReader(&blobtest.PatternReader{}, size))
	if !bytes.Equal(got, want) {
		t.Fatalf("committed content differs from what was written (%d vs %d bytes)", len(got), len(want))
	}
	o2 := f.commitOpts
	if c := o2.AccessConditions; c == nil || c.ModifiedAccessConditions == nil || c.ModifiedAccessConditions.IfNoneMatch == nil || *c.ModifiedAccessConditions.IfNoneMatch != azcore.ETagAny {
		t.Error("create-if-absent commit lacks If-None-Match: *")
	}
	if ct := o2.HTTPHeaders.BlobContentType; ct == nil || *ct != "application/octet-stream" {
		t.Errorf("content type %v", ct)
	}
	if wantTags := map[string]string{"incident": "i 1", "app": "shop/api_"}; !maps.Equal(o2.Tags, wantTags) {
		t.Errorf("tags = %v, want %v", o2.Tags, wantTags)
	}
	if len(o2.Metadata) != 3 || *o2.Metadata["sha256"] != "x" {
		t.Errorf("metadata = %v", o2.Metadata)
	}
}

func TestWriterOverwriteIsUnconditional(t *testing.T) {
	f := &fakeStager{}
	w := newWriter(context.Background(), f, "k", &port.WriterOptions{Overwrite: true, ContentType: "text/plain"}, testOptions(t, 0, 0))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if f.commitOpts.AccessConditions != nil {
		t.Error("overwrite commit is conditional")
	}
	if len(f.committed) != 0 || f.calls != 0 {
		t.Errorf("empty blob staged %d blocks, committed %d", f.calls, len(f.committed))
	}
}

func TestWriterStageFailure(t *testing.T) {
	unavailable := &azcore.ResponseError{StatusCode: http.StatusServiceUnavailable, ErrorCode: "ServerBusy"}
	f := &fakeStager{stageErr: func(n int) error {
		if n == 2 {
			return unavailable
		}
		return nil
	}}
	w := newWriter(context.Background(), f, "k", &port.WriterOptions{}, testOptions(t, minBlockSize, 2))
	_, werr := io.Copy(w, io.LimitReader(&blobtest.PatternReader{}, 10*minBlockSize))
	cerr := w.Close()
	if !errors.Is(cerr, unavailable) {
		t.Errorf("Close = %v, want the staging error", cerr)
	}
	if werr != nil && !errors.Is(werr, unavailable) {
		t.Errorf("Write = %v, want nil or the staging error", werr)
	}
	if f.committed != nil {
		t.Error("committed after a failed block")
	}
}

func TestWriterCommitErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		commitErr error
		propsErr  error
		wantExist bool
	}{
		{"409 BlobAlreadyExists", &azcore.ResponseError{StatusCode: 409, ErrorCode: "BlobAlreadyExists"}, nil, true},
		{"412 ConditionNotMet", &azcore.ResponseError{StatusCode: 412, ErrorCode: "ConditionNotMet"}, nil, true},
		{"InvalidBlockList after a racing commit", &azcore.ResponseError{StatusCode: 400, ErrorCode: "InvalidBlockList"}, nil, true},
		{"InvalidBlockList, no blob", &azcore.ResponseError{StatusCode: 400, ErrorCode: "InvalidBlockList"}, &azcore.ResponseError{StatusCode: 404, ErrorCode: "BlobNotFound"}, false},
		{"500", &azcore.ResponseError{StatusCode: 500, ErrorCode: "InternalError"}, nil, false},
	} {
		f := &fakeStager{commitErr: tc.commitErr, propsErr: tc.propsErr}
		w := newWriter(context.Background(), f, "k", &port.WriterOptions{}, testOptions(t, 0, 0))
		if _, err := w.Write([]byte("data")); err != nil {
			t.Fatal(err)
		}
		err := w.Close()
		if got := errors.Is(err, port.ErrExists); got != tc.wantExist || err == nil {
			t.Errorf("%s: Close = %v, want ErrExists %v", tc.name, err, tc.wantExist)
		}
		if err2 := w.Close(); err2 == nil {
			t.Errorf("%s: second Close succeeded", tc.name)
		}
	}
}

func TestWriterAbortStopsStaging(t *testing.T) {
	f := &fakeStager{delay: time.Hour}
	w := newWriter(context.Background(), f, "k", &port.WriterOptions{}, testOptions(t, minBlockSize, 2))
	if _, err := w.Write(make([]byte, 2*minBlockSize)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Abort() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Abort did not stop in-flight staging")
	}
	if err := w.Close(); err == nil {
		t.Error("Close after Abort succeeded")
	}
	if f.committed != nil {
		t.Error("committed after Abort")
	}
}

func TestTagValue(t *testing.T) {
	for in, want := range map[string]string{
		"inc-2024-01-01T00:00:00Z": "inc-2024-01-01T00:00:00Z",
		"a b+c=d/e.f_g":            "a b+c=d/e.f_g",
		"x?y#z&w":                  "x_y_z_w",
	} {
		if got := tagValue(in); got != want {
			t.Errorf("tagValue(%q) = %q, want %q", in, got, want)
		}
	}
	if got := tagValue(string(make([]byte, 300))); len(got) != maxTagValue {
		t.Errorf("tagValue of 300 bytes has %d bytes, want %d", len(got), maxTagValue)
	}
	if tagsFrom(map[string]string{"sha256": "x"}) != nil {
		t.Error("tags from metadata without tag keys")
	}
}

var _ port.DriverWriter = (*writer)(nil)

func TestWriterSmallBlobsUseSmallBuffers(t *testing.T) {
	for _, tc := range []struct {
		size, write int
		wantCap     int
	}{
		{100, 100, 100},           // known size
		{0, 10 << 10, smallBuf},   // unknown size, small
		{0, 300 << 10, 512 << 10}, // unknown size, grown by doubling
	} {
		f := &fakeStager{}
		w := newWriter(context.Background(), f, "k", &port.WriterOptions{Size: int64(tc.size)}, testOptions(t, 0, 0))
		data := bytes.Repeat([]byte("x"), tc.write)
		for chunk := range slices.Chunk(data, 4096) {
			if _, err := w.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		if c := cap(w.buf); c != tc.wantCap {
			t.Errorf("size %d, %d bytes written: buffer of %d bytes, want %d", tc.size, tc.write, c, tc.wantCap)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f.content(), data) {
			t.Errorf("size %d: committed content differs", tc.size)
		}
	}
}
