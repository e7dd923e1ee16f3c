package azureblob

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/blobtest"
)

// EnvTestLarge makes the conformance suite's large put 1 GiB on this
// backend; otherwise it is 256 MiB, which Azurite takes seconds for
// instead of a minute or more on a busy machine.
const EnvTestLarge = "DUMPFLOW_TEST_LARGE_BLOB"

func TestConformance(t *testing.T) {
	requireAzurite(t)
	large := int64(256 << 20)
	if os.Getenv(EnvTestLarge) == "1" {
		large = 1 << 30
	}
	blobtest.Run(t, blobtest.Harness{
		// The smallest blocks, so that the suite's multi-MiB writes stage
		// several blocks before they commit.
		NewBucket: func(t *testing.T) blob.Bucket {
			return openTestBucket(t, &Options{BlockSize: minBlockSize, Concurrency: 2})
		},
		NewLargeBucket: func(t *testing.T) blob.Bucket { return openTestBucket(t, nil) },
		LargeSize:      large,
	})
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestIndexTags(t *testing.T) {
	b := openTestBucket(t, nil)
	ctx := ctxT(t)
	md := map[string]string{"incident": "inc-1", "app": "shop", "instance": "abc123", "pid": "4242", "dump_type": "mini", "sha256": "00ff"}
	w, err := b.NewWriter(ctx, "dumps/d.dmp", &blob.WriterOptions{Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("MDMP")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	resp, err := b.d.c.NewBlobClient("dumps/d.dmp").GetTags(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tag := range resp.BlobTagSet {
		got[*tag.Key] = *tag.Value
	}
	want := maps.Clone(md)
	delete(want, "sha256")
	if !maps.Equal(got, want) {
		t.Errorf("tags = %v, want %v", got, want)
	}
}

func TestReaderAtDetectsReplacement(t *testing.T) {
	b := openTestBucket(t, nil)
	ctx := ctxT(t)
	put := func(data string) {
		w, err := b.NewWriter(ctx, "k", &blob.WriterOptions{Overwrite: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	put("version one")
	r, err := b.NewReaderAt(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 7)
	if _, err := r.ReadAt(p, 0); err != nil || string(p) != "version" {
		t.Fatalf("ReadAt = %q, %v", p, err)
	}
	put("VERSION TWO")
	if _, err := r.ReadAt(p, 0); !errors.Is(err, ErrChanged) {
		t.Errorf("ReadAt after overwrite = %v, want ErrChanged", err)
	}
}

func TestOpenURLWithConnectionString(t *testing.T) {
	conn := requireAzurite(t)
	t.Setenv(EnvConnectionString, conn)
	ctx := ctxT(t)
	name := fmt.Sprintf("openurl%x", time.Now().UnixNano())
	u, _ := url.Parse("https://devstoreaccount1.blob.core.windows.net/" + name + "?create_container=false")
	if _, err := OpenURL(ctx, u); err == nil {
		t.Fatal("OpenURL with create_container=false opened a missing container")
	}
	u, _ = url.Parse("https://devstoreaccount1.blob.core.windows.net/" + name)
	b, err := OpenURL(ctx, u)
	if err != nil {
		t.Fatalf("OpenURL: %v", err)
	}
	defer b.d.c.Delete(context.Background(), nil)
	if b.Container() != name {
		t.Errorf("Container() = %q", b.Container())
	}
	u, _ = url.Parse("http://127.0.0.1:10000/devstoreaccount1/" + name)
	if b2, err := OpenURL(ctx, u); err != nil || b2.Container() != name {
		t.Errorf("OpenURL with an Azurite path-style URL: %v", err)
	}
	if _, err := b.List(ctx, ""); err != nil {
		t.Errorf("List: %v", err)
	}
}

func TestOpenURLRejects(t *testing.T) {
	t.Setenv(EnvConnectionString, "")
	for _, raw := range []string{
		"ftp://a.blob.core.windows.net/c",
		"https://a.blob.core.windows.net/",
		"https://a.blob.core.windows.net/c/d",
		"https://a.blob.core.windows.net/c?sas=1",
		"https://a.blob.core.windows.net/c?client_id=x&managed_identity=system",
		"https://a.blob.core.windows.net/c?managed_identity=user",
		"https://a.blob.core.windows.net/c?create_container=maybe",
		"http://a.blob.core.windows.net/c",
		"https:///c",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := OpenURL(context.Background(), u); err == nil {
			t.Errorf("OpenURL(%s) succeeded", raw)
		}
	}
	if _, err := OpenURL(context.Background(), nil); err == nil {
		t.Error("OpenURL(nil) succeeded")
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{BlockSize: 1000}, {BlockSize: 5000 << 20}, {Concurrency: -1}, {Concurrency: 1000}} {
		if err := o.setDefaults(); err == nil {
			t.Errorf("setDefaults(%+v) accepted", o)
		}
	}
}
