package blob_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/memblob"
)

func TestWriteAllReadAll(t *testing.T) {
	ctx := context.Background()
	b := memblob.New()
	defer b.Close()
	if err := blob.WriteAll(ctx, b, "k", []byte("hello"), nil); err != nil {
		t.Fatal(err)
	}
	if err := blob.WriteAll(ctx, b, "k", []byte("again"), nil); !errors.Is(err, blob.ErrExists) {
		t.Errorf("second write without Overwrite: %v, want ErrExists", err)
	}
	if got, err := blob.ReadAll(ctx, b, "k", 3); err != nil || string(got) != "hel" {
		t.Errorf("ReadAll limit 3 = %q, %v; want the first 3 bytes", got, err)
	}
	if got, err := blob.ReadAll(ctx, b, "k", 100); err != nil || string(got) != "hello" {
		t.Errorf("ReadAll = %q, %v", got, err)
	}
	if _, err := blob.ReadAll(ctx, b, "missing", 100); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("missing blob: %v, want ErrNotFound", err)
	}
}
