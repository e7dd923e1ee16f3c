package blobtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

func testRoundTrip(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	data := pattern(1, 300_000)
	md := map[string]string{"incident": "inc-1", "sha256": "abc123", "dump_type": "full"}
	put(t, b, "dumps/x/a.dmp", data, &blob.WriterOptions{
		ContentType: "application/vnd.dumpflow.minidump",
		Metadata:    md,
		Size:        int64(len(data)),
	})
	got, attrs := get(t, b, "dumps/x/a.dmp")
	if string(got) != string(data) {
		t.Fatalf("read back %d bytes, differing from the %d written", len(got), len(data))
	}
	st, err := b.Attributes(testCtx(t), "dumps/x/a.dmp")
	if err != nil {
		t.Fatalf("Attributes: %v", err)
	}
	for name, a := range map[string]blob.Attributes{"NewReader": attrs, "Attributes": st} {
		if a.Key != "dumps/x/a.dmp" || a.Size != int64(len(data)) {
			t.Errorf("%s: Key, Size = %q, %d; want %q, %d", name, a.Key, a.Size, "dumps/x/a.dmp", len(data))
		}
		if a.ContentType != "application/vnd.dumpflow.minidump" {
			t.Errorf("%s: ContentType = %q", name, a.ContentType)
		}
		if !maps.Equal(a.Metadata, md) {
			t.Errorf("%s: Metadata = %v, want %v", name, a.Metadata, md)
		}
		if a.ModTime.IsZero() || a.ETag == "" {
			t.Errorf("%s: ModTime %v, ETag %q: want both set", name, a.ModTime, a.ETag)
		}
	}
}

func testEmptyBlob(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	put(t, b, "empty", nil, nil)
	wantContent(t, b, "empty", nil)
	r, err := b.NewReaderAt(testCtx(t), "empty")
	if err != nil {
		t.Fatalf("NewReaderAt: %v", err)
	}
	defer r.Close()
	if r.Size() != 0 {
		t.Errorf("Size() = %d, want 0", r.Size())
	}
}

func testDefaultContentType(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	put(t, b, "k", []byte("x"), nil)
	a, err := b.Attributes(testCtx(t), "k")
	if err != nil {
		t.Fatal(err)
	}
	if a.ContentType != "application/octet-stream" {
		t.Errorf("ContentType = %q, want application/octet-stream", a.ContentType)
	}
	if len(a.Metadata) != 0 {
		t.Errorf("Metadata = %v, want none", a.Metadata)
	}
}

func testCreateIfAbsent(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	first := []byte("first")
	put(t, b, "k", first, &blob.WriterOptions{Metadata: map[string]string{"who": "first"}})
	err := tryPut(testCtx(t), b, "k", []byte("second, longer"), &blob.WriterOptions{Metadata: map[string]string{"who": "second"}})
	if !errors.Is(err, blob.ErrExists) {
		t.Fatalf("second put = %v, want ErrExists", err)
	}
	wantContent(t, b, "k", first)
	a, err := b.Attributes(testCtx(t), "k")
	if err != nil {
		t.Fatal(err)
	}
	if a.Metadata["who"] != "first" {
		t.Errorf("metadata after failed put = %v, want the first writer's", a.Metadata)
	}
}

// createRace runs writers at once, each creating the same blob through
// write, which waits on start where its scenario wants the race, and
// returns the writer that committed. It fails the test unless exactly one
// did and every other got ErrExists; desc names a writer in failures, and
// prefix starts each failure message.
func createRace(t *testing.T, writers int, prefix string, desc func(int) string, write func(i int, start <-chan struct{}) error) int {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() { errs[i] = write(i, start) })
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("%swriters %s and %s both committed", prefix, desc(winner), desc(i))
		case err == nil:
			winner = i
		case !errors.Is(err, blob.ErrExists):
			t.Errorf("%swriter %s: %v, want nil or ErrExists", prefix, desc(i), err)
		}
	}
	if winner < 0 {
		t.Fatalf("%sno writer committed", prefix)
	}
	return winner
}

func testCreateIfAbsentRace(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	const writers = 8
	ctx := testCtx(t)
	datas := make([][]byte, writers)
	for i := range writers {
		datas[i] = pattern(byte(i+1), 64<<10+i)
	}
	// The writers race from the start: each has only opened its writer.
	winner := createRace(t, writers, "", func(i int) string { return fmt.Sprint(i) }, func(i int, start <-chan struct{}) error {
		w, err := b.NewWriter(ctx, "race", &blob.WriterOptions{Metadata: map[string]string{"writer": fmt.Sprint(i)}})
		if err != nil {
			return err
		}
		<-start
		if _, err := w.Write(datas[i]); err != nil {
			_ = w.Abort()
			return err
		}
		return w.Close()
	})
	wantContent(t, b, "race", datas[winner])
	a, err := b.Attributes(ctx, "race")
	if err != nil {
		t.Fatal(err)
	}
	if a.Metadata["writer"] != fmt.Sprint(winner) {
		t.Errorf("metadata writer = %q, want the winner %d", a.Metadata["writer"], winner)
	}
}

func testOverwrite(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	put(t, b, "k", pattern(1, 5000), &blob.WriterOptions{Metadata: map[string]string{"v": "1"}})
	second := []byte("short")
	put(t, b, "k", second, &blob.WriterOptions{Overwrite: true, ContentType: "text/plain", Metadata: map[string]string{"v": "2"}})
	wantContent(t, b, "k", second)
	a, err := b.Attributes(testCtx(t), "k")
	if err != nil {
		t.Fatal(err)
	}
	if a.Metadata["v"] != "2" || a.ContentType != "text/plain" {
		t.Errorf("after overwrite: metadata %v, content type %q", a.Metadata, a.ContentType)
	}
	// Overwrite also creates.
	put(t, b, "new", []byte("n"), &blob.WriterOptions{Overwrite: true})
	wantContent(t, b, "new", []byte("n"))
}

func testAbort(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	w, err := b.NewWriter(ctx, "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(pattern(2, 100_000)); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if _, err := w.Write([]byte("more")); err == nil {
		t.Error("Write after Abort succeeded")
	}
	if err := w.Close(); err == nil {
		t.Error("Close after Abort succeeded")
	}
	wantNotFound(t, b, "k")

	// An aborted overwrite leaves the old blob as it was.
	put(t, b, "old", []byte("old"), nil)
	w, err = b.NewWriter(ctx, "old", &blob.WriterOptions{Overwrite: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("new")); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	wantContent(t, b, "old", []byte("old"))

	// Abort after Close is a no-op.
	w, err = b.NewWriter(ctx, "closed", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Close = %v, want nil", err)
	}
	wantContent(t, b, "closed", nil)
}

func testContextCancel(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	put(t, b, "old", []byte("old"), nil)
	for _, tc := range []struct {
		key       string
		overwrite bool
	}{{"k", false}, {"old", true}} {
		ctx, cancel := context.WithCancel(testCtx(t))
		w, err := b.NewWriter(ctx, tc.key, &blob.WriterOptions{Overwrite: tc.overwrite})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(pattern(3, 50_000)); err != nil {
			t.Fatal(err)
		}
		cancel()
		_, werr := w.Write(pattern(3, 10))
		cerr := w.Close()
		if cerr == nil {
			t.Fatalf("%q: Close after cancel succeeded", tc.key)
		}
		if !errors.Is(cerr, context.Canceled) {
			t.Errorf("%q: Close after cancel = %v, want context.Canceled", tc.key, cerr)
		}
		if werr != nil && !errors.Is(werr, context.Canceled) {
			t.Errorf("%q: Write after cancel = %v, want nil or context.Canceled", tc.key, werr)
		}
	}
	wantNotFound(t, b, "k")
	wantContent(t, b, "old", []byte("old"))
}

func testNoPartialVisible(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	for _, overwrite := range []bool{false, true} {
		w, err := b.NewWriter(ctx, "k", &blob.WriterOptions{Overwrite: overwrite})
		if err != nil {
			t.Fatal(err)
		}
		data := pattern(4, 3<<20)
		if _, err := w.Write(data[:2<<20]); err != nil {
			t.Fatal(err)
		}
		if !overwrite {
			wantNotFound(t, b, "k")
			if list, err := b.List(ctx, ""); err != nil || len(list) != 0 {
				t.Errorf("List during write = %v, %v; want nothing", list, err)
			}
		} else {
			wantContent(t, b, "k", pattern(4, 3<<20)) // the first version
		}
		if _, err := w.Write(data[2<<20:]); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		wantContent(t, b, "k", data)
	}
}

func testSizeMismatch(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	for _, n := range []int{5, 11} {
		err := tryPut(ctx, b, "k", pattern(5, n), &blob.WriterOptions{Size: 10})
		if !errors.Is(err, blob.ErrSizeMismatch) {
			t.Errorf("writing %d bytes with Size 10 = %v, want ErrSizeMismatch", n, err)
		}
		wantNotFound(t, b, "k")
	}
	put(t, b, "k", pattern(5, 10), &blob.WriterOptions{Size: 10})
	wantContent(t, b, "k", pattern(5, 10))
}

func testWriteAfterClose(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	w, err := b.NewWriter(testCtx(t), "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("d")); err == nil {
		t.Error("Write after Close succeeded")
	}
	if err := w.Close(); err == nil {
		t.Error("second Close succeeded")
	}
	wantContent(t, b, "k", []byte("abc"))
}

// MetadataSetter is the optional Writer method that the worker uses to store
// metadata known only after streaming (pkg/worker's interface of the same
// name). Backends that implement it must pass testSetMetadata.
type MetadataSetter interface {
	SetMetadata(map[string]string) error
}

func testSetMetadata(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	w, err := b.NewWriter(ctx, "k", &blob.WriterOptions{Metadata: map[string]string{"app": "a", "gone": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	ms, ok := w.(MetadataSetter)
	if !ok {
		_ = w.Abort()
		t.Skip("the backend's Writer has no SetMetadata")
	}
	if _, err := w.Write([]byte("content")); err != nil {
		t.Fatal(err)
	}
	if err := ms.SetMetadata(map[string]string{"Bad": "x"}); !errors.Is(err, blob.ErrInvalidMetadata) {
		t.Errorf("SetMetadata with a bad key = %v, want ErrInvalidMetadata", err)
	}
	final := map[string]string{"app": "a", "sha256": "ed7002b439e9ac845f22357d822bac1444730fbdb6016d3ec9432297b9ec9f73", "bytes": "7"}
	if err := ms.SetMetadata(final); err != nil {
		t.Fatalf("SetMetadata: %v", err)
	}
	final["bytes"] = "changed after the call"
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	a, err := b.Attributes(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"app": "a", "sha256": "ed7002b439e9ac845f22357d822bac1444730fbdb6016d3ec9432297b9ec9f73", "bytes": "7"}
	if !maps.Equal(a.Metadata, want) {
		t.Errorf("Metadata = %v, want %v", a.Metadata, want)
	}
	if err := ms.SetMetadata(want); err == nil {
		t.Error("SetMetadata after Close succeeded")
	}
}
