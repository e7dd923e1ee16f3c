package blobtest

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

func testRangedReads(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	const size = 1000
	data := pattern(6, size)
	put(t, b, "k", data, nil)
	checkRangedReads(t, b, "k", data)
}

// checkRangedReads checks ReadAt at the edges of the blob under key, which
// holds data (at least 600 bytes).
func checkRangedReads(t *testing.T, b blob.Bucket, key string, data []byte) {
	t.Helper()
	size := len(data)
	r, err := b.NewReaderAt(testCtx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Size() != int64(size) {
		t.Fatalf("Size() = %d, want %d", r.Size(), size)
	}
	for _, tc := range []struct {
		name    string
		off     int64
		n       int
		want    int  // bytes returned
		wantEOF bool // io.EOF required (else nil required, or EOF allowed at the end)
	}{
		{"first byte", 0, 1, 1, false},
		{"head", 0, 100, 100, false},
		{"middle", 400, 200, 200, false},
		{"whole", 0, size, size, false},
		{"last byte", int64(size) - 1, 1, 1, false},
		{"tail", int64(size) - 10, 10, 10, false},
		{"across end", int64(size) - 5, 10, 5, true},
		{"whole and more", 0, size + 1, size, true},
		{"at end", int64(size), 1, 0, true},
		{"past end", int64(size) + 1000, 16, 0, true},
		{"zero length at start", 0, 0, 0, false},
		{"zero length in middle", 500, 0, 0, false},
	} {
		p := make([]byte, tc.n)
		n, err := r.ReadAt(p, tc.off)
		if n != tc.want {
			t.Errorf("%s: ReadAt(len %d, off %d) returned %d bytes, want %d", tc.name, tc.n, tc.off, n, tc.want)
			continue
		}
		atEnd := tc.off+int64(tc.n) == int64(size)
		switch {
		case tc.wantEOF && err != io.EOF:
			t.Errorf("%s: err = %v, want io.EOF", tc.name, err)
		case !tc.wantEOF && err != nil && !(atEnd && err == io.EOF):
			t.Errorf("%s: err = %v, want nil", tc.name, err)
		}
		if n > 0 && !bytes.Equal(p[:n], data[tc.off:tc.off+int64(n)]) {
			t.Errorf("%s: wrong bytes", tc.name)
		}
	}
	if _, err := r.ReadAt(make([]byte, 1), -1); err == nil {
		t.Error("ReadAt at offset -1 succeeded")
	}
}

func testParallelReadAt(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	data := pattern(7, 1<<20)
	put(t, b, "k", data, nil)
	r, err := b.NewReaderAt(testCtx(t), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			off := int64(i) * 100_003
			p := make([]byte, 50_000)
			n, err := r.ReadAt(p, off)
			if err != nil || n != len(p) {
				t.Errorf("ReadAt(off %d) = %d, %v", off, n, err)
				return
			}
			if !bytes.Equal(p, data[off:off+int64(n)]) {
				t.Errorf("ReadAt(off %d): wrong bytes", off)
			}
		})
	}
	wg.Wait()
}

func testList(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	keys := []string{"a/2", "a/1", "a/10", "ab", "b/1", "a/sub/x"}
	for i, k := range keys {
		put(t, b, k, pattern(byte(i), i+1), &blob.WriterOptions{Metadata: map[string]string{"n": k[:1]}})
	}
	lease, err := b.AcquireLease(ctx, "a/lock", blob.MinLeaseTTL)
	if err != nil {
		t.Fatalf("AcquireLease: %v", err)
	}
	defer lease.Release(ctx)
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"", []string{"a/1", "a/10", "a/2", "a/sub/x", "ab", "b/1"}},
		{"a", []string{"a/1", "a/10", "a/2", "a/sub/x", "ab"}},
		{"a/", []string{"a/1", "a/10", "a/2", "a/sub/x"}},
		{"a/1", []string{"a/1", "a/10"}},
		{"a/sub/", []string{"a/sub/x"}},
		{"b/1", []string{"b/1"}},
		{"c", nil},
		{"a/lock", nil},
	} {
		list, err := b.List(ctx, tc.prefix)
		if err != nil {
			t.Errorf("List(%q): %v", tc.prefix, err)
			continue
		}
		var got []string
		for _, a := range list {
			got = append(got, a.Key)
			i := slices.Index(keys, a.Key)
			if i < 0 {
				continue
			}
			if a.Size != int64(i+1) {
				t.Errorf("List(%q): %q has Size %d, want %d", tc.prefix, a.Key, a.Size, i+1)
			}
			if a.Metadata["n"] != a.Key[:1] {
				t.Errorf("List(%q): %q has Metadata %v", tc.prefix, a.Key, a.Metadata)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
}

func testDelete(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	put(t, b, "dir/k", []byte("v1"), nil)
	put(t, b, "dir/other", []byte("o"), nil)
	if err := b.Delete(ctx, "dir/k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantNotFound(t, b, "dir/k")
	wantContent(t, b, "dir/other", []byte("o"))
	if err := b.Delete(ctx, "dir/k"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	put(t, b, "dir/k", []byte("v2"), nil) // create-if-absent works again
	wantContent(t, b, "dir/k", []byte("v2"))
}

func testNotFound(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	put(t, b, "present/x", []byte("x"), nil)
	for _, key := range []string{"missing", "present", "present/x/y", "present/y"} {
		wantNotFound(t, b, key)
		if err := b.Delete(testCtx(t), key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Delete(%q) = %v, want ErrNotFound", key, err)
		}
	}
}
