package blobtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// Backends may store blobs differently by size: fileblob keeps blobs with
// a known WriterOptions.Size of at most 64 KiB in a database and others as
// files, and Azure uploads small blobs in one request. The tests below write
// blobs of each kind under the same keys; whichever way a backend stores
// them, a key names one blob.

// blobKind is one way of writing a blob.
type blobKind struct {
	name  string
	size  int  // bytes written
	known bool // WriterOptions.Size set
}

var (
	kindSmall        = blobKind{"small", 1 << 10, true}
	kindLarge        = blobKind{"large", 200 << 10, false}
	kindLargeSized   = blobKind{"large-sized", 100 << 10, true}
	kindSmallUnsized = blobKind{"small-unsized", 700, false}
	blobKinds        = []blobKind{kindSmall, kindLarge, kindLargeSized, kindSmallUnsized}
)

// opts returns the options to write n bytes as a blob of kind k, tagged
// with who.
func (k blobKind) opts(who string, overwrite bool, n int) *blob.WriterOptions {
	o := &blob.WriterOptions{ContentType: "text/" + k.name, Metadata: map[string]string{"who": who}, Overwrite: overwrite}
	if k.known {
		o.Size = int64(n)
	}
	return o
}

// wantBlob fails the test unless key holds data with the attributes of
// kind k written by who, and List shows it once.
func wantBlob(t *testing.T, b blob.Bucket, key string, k blobKind, data []byte, who string) {
	t.Helper()
	wantContent(t, b, key, data)
	a, err := b.Attributes(testCtx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	if a.ContentType != "text/"+k.name || !maps.Equal(a.Metadata, map[string]string{"who": who}) {
		t.Errorf("%q: content type %q, metadata %v; want text/%s, who=%s", key, a.ContentType, a.Metadata, k.name, who)
	}
	list, err := b.List(testCtx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range list {
		if l.Key == key {
			n++
			if l.Size != int64(len(data)) || l.Metadata["who"] != who {
				t.Errorf("List: %q has Size %d, metadata %v; want %d, who=%s", key, l.Size, l.Metadata, len(data), who)
			}
		}
	}
	if n != 1 {
		t.Errorf("List(%q) shows the key %d times, want once", key, n)
	}
}

func testSmallBlob(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	data := pattern(9, 1000)
	put(t, b, "incidents/i1/manifest.json", data, kindSmall.opts("me", false, len(data)))
	wantBlob(t, b, "incidents/i1/manifest.json", kindSmall, data, "me")
	checkRangedReads(t, b, "incidents/i1/manifest.json", data)
	a1, err := b.Attributes(ctx, "incidents/i1/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	if a1.ModTime.IsZero() || a1.ETag == "" {
		t.Errorf("ModTime %v, ETag %q: want both set", a1.ModTime, a1.ETag)
	}
	put(t, b, "incidents/i1/manifest.json", data, kindSmall.opts("me", true, len(data)))
	a2, err := b.Attributes(ctx, "incidents/i1/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	if a2.ETag == a1.ETag {
		t.Errorf("ETag %s unchanged by an overwrite", a1.ETag)
	}

	// Abort and cancellation leave nothing.
	w, err := b.NewWriter(ctx, "incidents/i2/manifest.json", kindSmall.opts("me", false, len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[:10]); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil {
		t.Error("Close after Abort succeeded")
	}
	wantNotFound(t, b, "incidents/i2/manifest.json")
	cctx, cancel := context.WithCancel(ctx)
	w, err = b.NewWriter(cctx, "incidents/i2/manifest.json", kindSmall.opts("me", false, len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[:10]); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, _ = w.Write(data[10:])
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("Close after cancel = %v, want context.Canceled", err)
	}
	wantNotFound(t, b, "incidents/i2/manifest.json")

	// SetMetadata works for small blobs too.
	w, err = b.NewWriter(ctx, "incidents/i3/manifest.json", &blob.WriterOptions{Size: 3, Metadata: map[string]string{"a": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if ms, ok := w.(MetadataSetter); ok {
		if err := ms.SetMetadata(map[string]string{"b": "2"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if a, err := b.Attributes(ctx, "incidents/i3/manifest.json"); err != nil {
		t.Fatal(err)
	} else if _, ok := w.(MetadataSetter); ok && !maps.Equal(a.Metadata, map[string]string{"b": "2"}) {
		t.Errorf("Metadata after SetMetadata = %v", a.Metadata)
	}
}

func testCreateAcrossSizes(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	for i, first := range blobKinds {
		for j, second := range blobKinds {
			if i == j {
				continue
			}
			key := fmt.Sprintf("cross/%s-then-%s", first.name, second.name)
			data := pattern(byte(i), first.size)
			put(t, b, key, data, first.opts("first", false, len(data)))
			err := tryPut(ctx, b, key, pattern(byte(j+10), second.size), second.opts("second", false, second.size))
			if !errors.Is(err, blob.ErrExists) {
				t.Errorf("%s over %s: %v, want ErrExists", second.name, first.name, err)
			}
			wantBlob(t, b, key, first, data, "first")
		}
	}
}

func testOverwriteAcrossSizes(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	const key = "cross/overwritten"
	steps := []blobKind{kindSmall, kindLarge, kindSmall, kindLargeSized, kindSmallUnsized, kindSmall}
	for i, k := range steps {
		who := fmt.Sprintf("step%d", i)
		data := pattern(byte(i), k.size)
		put(t, b, key, data, k.opts(who, true, len(data)))
		wantBlob(t, b, key, k, data, who)
		if err := tryPut(ctx, b, key, []byte("x"), kindSmall.opts("late", false, 1)); !errors.Is(err, blob.ErrExists) {
			t.Errorf("step %d (%s): create-if-absent = %v, want ErrExists", i, k.name, err)
		}
	}
	list, err := b.List(ctx, "")
	if err != nil || len(list) != 1 {
		t.Errorf("List = %v, %v; want one blob", list, err)
	}
}

func testDeleteEachSize(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	for i, k := range blobKinds {
		key := "del/" + k.name
		put(t, b, key, pattern(byte(i), k.size), k.opts("a", false, k.size))
		if err := b.Delete(ctx, key); err != nil {
			t.Fatalf("Delete %s: %v", k.name, err)
		}
		wantNotFound(t, b, key)
		if err := b.Delete(ctx, key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("second Delete of %s = %v, want ErrNotFound", k.name, err)
		}
		// The key is free for a blob of another kind.
		other := blobKinds[(i+1)%len(blobKinds)]
		data := pattern(byte(i+20), other.size)
		put(t, b, key, data, other.opts("b", false, len(data)))
		wantBlob(t, b, key, other, data, "b")
	}
}

func testCreateRaceAcrossSizes(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	const writers, rounds = 8, 3
	for round := range rounds {
		key := fmt.Sprintf("race/%d", round)
		kinds := make([]blobKind, writers)
		datas := make([][]byte, writers)
		for i := range writers {
			kinds[i] = blobKinds[(i+round)%len(blobKinds)]
			datas[i] = pattern(byte(i+1), kinds[i].size)
		}
		// The writers race to commit: each has written its data.
		winner := createRace(t, writers, fmt.Sprintf("round %d: ", round), func(i int) string { return fmt.Sprintf("%d (%s)", i, kinds[i].name) },
			func(i int, start <-chan struct{}) error {
				w, err := b.NewWriter(ctx, key, kinds[i].opts(fmt.Sprint(i), false, len(datas[i])))
				if err != nil {
					return err
				}
				if _, err := w.Write(datas[i]); err != nil {
					_ = w.Abort()
					return err
				}
				<-start
				return w.Close()
			})
		wantBlob(t, b, key, kinds[winner], datas[winner], fmt.Sprint(winner))
	}
}
