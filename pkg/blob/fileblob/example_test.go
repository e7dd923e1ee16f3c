package fileblob_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
)

// A dump is stored once under its deterministic key: a redelivered job finds
// it committed and does not dump again.
func Example_createIfAbsent() {
	dir, _ := os.MkdirTemp("", "blobs")
	defer os.RemoveAll(dir)
	b, err := fileblob.Open(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	ctx := context.Background()

	put := func(content string) error {
		w, err := b.NewWriter(ctx, "dumps/2024-05-01/inc1/shop/in0/w3wp-42.dmp", &blob.WriterOptions{
			ContentType: "application/x-dmp",
			Metadata:    map[string]string{"incident": "inc1", "pid": "42"},
		})
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, strings.NewReader(content)); err != nil {
			w.Abort()
			return err
		}
		return w.Close()
	}
	fmt.Println("first delivery:", put("MDMP first"))
	fmt.Println("redelivery exists:", errors.Is(put("MDMP second"), blob.ErrExists))

	r, err := b.NewReaderAt(ctx, "dumps/2024-05-01/inc1/shop/in0/w3wp-42.dmp")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	sig := make([]byte, 4)
	r.ReadAt(sig, 0)
	word := make([]byte, 5)
	r.ReadAt(word, 5)
	fmt.Printf("%d bytes, signature %s, then %q\n", r.Size(), sig, word)
	// Output:
	// first delivery: <nil>
	// redelivery exists: true
	// 10 bytes, signature MDMP, then "first"
}

// Direct dumps of one site run one at a time across all workers: each takes
// the site's lease first.
func Example_lease() {
	dir, _ := os.MkdirTemp("", "blobs")
	defer os.RemoveAll(dir)
	b, _ := fileblob.Open(dir)
	defer b.Close()
	ctx := context.Background()

	l, err := b.AcquireLease(ctx, "locks/sites/shop", blob.MinLeaseTTL)
	fmt.Println("worker 1:", err)
	_, err = b.AcquireLease(ctx, "locks/sites/shop", blob.MinLeaseTTL)
	fmt.Println("worker 2 held off:", errors.Is(err, blob.ErrLeaseHeld))
	l.Release(ctx)
	_, err = b.AcquireLease(ctx, "locks/sites/shop", blob.MinLeaseTTL)
	fmt.Println("worker 2 after release:", err)
	// Output:
	// worker 1: <nil>
	// worker 2 held off: true
	// worker 2 after release: <nil>
}
