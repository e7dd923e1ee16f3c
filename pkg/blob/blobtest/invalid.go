package blobtest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// BadKeys are keys every backend must reject with blob.ErrInvalidKey.
var BadKeys = []string{
	"",
	".",
	"..",
	"../etc/passwd",
	"a/../../b",
	"a/./b",
	"a//b",
	"a/",
	"/abs",
	`a\b`,
	"a\x00b",
	"a\nb",
	"a\x7fb",
	"bad\xffutf8",
	".dumpflow/leases/x",
	strings.Repeat("k", blob.MaxKeyLength+1),
}

func testInvalidKeys(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	for _, key := range BadKeys {
		name := fmt.Sprintf("%.40q", key)
		check := func(op string, err error) {
			t.Helper()
			if !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("%s(%s) = %v, want ErrInvalidKey", op, name, err)
			}
		}
		w, err := b.NewWriter(ctx, key, nil)
		check("NewWriter", err)
		if err == nil {
			_ = w.Abort()
		}
		r, _, err := b.NewReader(ctx, key)
		check("NewReader", err)
		if err == nil {
			r.Close()
		}
		ra, err := b.NewReaderAt(ctx, key)
		check("NewReaderAt", err)
		if err == nil {
			ra.Close()
		}
		_, err = b.Attributes(ctx, key)
		check("Attributes", err)
		check("Delete", b.Delete(ctx, key))
		l, err := b.AcquireLease(ctx, key, blob.MinLeaseTTL)
		check("AcquireLease", err)
		if err == nil {
			_ = l.Release(ctx)
		}
	}
	// A long but valid key works.
	long := strings.Repeat("d/", blob.MaxKeyLength/2-1) + "x"
	put(t, b, long, []byte("x"), nil)
	wantContent(t, b, long, []byte("x"))
}

func testInvalidMetadata(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	tooMany := map[string]string{}
	for i := range blob.MaxMetadataKeys + 1 {
		tooMany[fmt.Sprintf("k%d", i)] = "v"
	}
	for name, md := range map[string]map[string]string{
		"uppercase key":   {"Incident": "x"},
		"dash in key":     {"dump-type": "x"},
		"empty key":       {"": "x"},
		"digit first":     {"1st": "x"},
		"long key":        {strings.Repeat("k", blob.MaxMetadataKeyLength+1): "x"},
		"oversized value": {"big": strings.Repeat("v", blob.MaxMetadataSize)},
		"newline value":   {"k": "a\nb"},
		"non-ASCII value": {"k": "café"},
		"padded value":    {"k": " x "},
		"too many keys":   tooMany,
	} {
		w, err := b.NewWriter(ctx, "k", &blob.WriterOptions{Metadata: md})
		if !errors.Is(err, blob.ErrInvalidMetadata) {
			t.Errorf("%s: NewWriter = %v, want ErrInvalidMetadata", name, err)
		}
		if err == nil {
			_ = w.Abort()
		}
	}
	wantNotFound(t, b, "k")
}
