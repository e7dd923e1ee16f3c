package azureblob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"golang.org/x/sync/errgroup"

	port "github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/blobtest"
)

// poolOptions are Options whose writers share n blocks of 1 MiB, staging
// at most concurrency each.
func poolOptions(t *testing.T, n, concurrency int) Options {
	t.Helper()
	o := Options{BlockSize: minBlockSize, Concurrency: concurrency, UploadMemory: int64(n * minBlockSize)}
	if err := o.setDefaults(); err != nil {
		t.Fatal(err)
	}
	return o
}

// idle reports whether every buffer of the pool is back.
func idle(p *blockPool, n int) bool {
	if !p.sem.TryAcquire(int64(n)) {
		return false
	}
	p.sem.Release(int64(n))
	return true
}

func TestWritersShareTheBucketsBlockBuffers(t *testing.T) {
	const writers, blocks = 8, 3
	o := poolOptions(t, blocks, 2)
	size := int64(5*minBlockSize + 4321)
	want, _ := io.ReadAll(io.LimitReader(&blobtest.PatternReader{}, size))
	stagers := make([]*fakeStager, writers)
	var g errgroup.Group
	for i := range stagers {
		f := &fakeStager{delay: time.Millisecond}
		stagers[i] = f
		g.Go(func() error {
			w := newWriter(context.Background(), f, fmt.Sprint("k", i), &port.WriterOptions{Size: size}, o)
			if _, err := io.Copy(w, bytes.NewReader(want)); err != nil {
				return err
			}
			return w.Close()
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for i, f := range stagers {
		if !bytes.Equal(f.content(), want) {
			t.Errorf("writer %d: committed content differs", i)
		}
	}
	if n := o.pool.allocated(); n > blocks {
		t.Errorf("%d writers allocated %d block buffers, want at most the pool's %d", writers, n, blocks)
	}
	if !idle(o.pool, blocks) {
		t.Error("block buffers still taken after every writer closed")
	}
}

func TestWritersGiveBuffersBackWhenTheyFail(t *testing.T) {
	o := poolOptions(t, 3, 2)
	unavailable := &azcore.ResponseError{StatusCode: http.StatusServiceUnavailable, ErrorCode: "ServerBusy"}

	// Staging fails on the second block.
	f := &fakeStager{stageErr: func(n int) error {
		if n == 2 {
			return unavailable
		}
		return nil
	}}
	w := newWriter(context.Background(), f, "k", &port.WriterOptions{}, o)
	_, _ = io.Copy(w, io.LimitReader(&blobtest.PatternReader{}, 6*minBlockSize))
	if err := w.Close(); !errors.Is(err, unavailable) {
		t.Errorf("Close = %v, want the staging error", err)
	}
	// Aborted with a block half filled.
	w = newWriter(context.Background(), &fakeStager{}, "k", &port.WriterOptions{}, o)
	if _, err := w.Write(make([]byte, minBlockSize+minBlockSize/2)); err != nil {
		t.Fatal(err)
	}
	_ = w.Abort()
	// Closed after its context ended, with a block half filled.
	ctx, cancel := context.WithCancel(context.Background())
	w = newWriter(ctx, &fakeStager{}, "k", &port.WriterOptions{Size: 3 * minBlockSize}, o)
	if _, err := w.Write(make([]byte, minBlockSize/2)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("Close after cancel = %v", err)
	}
	// Its context cancelled while it waits for a buffer.
	ctx, cancel = context.WithCancel(context.Background())
	held, err := o.pool.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w = newWriter(ctx, &fakeStager{delay: time.Hour}, "k", &port.WriterOptions{}, o)
	go cancel()
	if _, err := w.Write(make([]byte, 4*minBlockSize)); !errors.Is(err, context.Canceled) {
		t.Errorf("Write with the context cancelled = %v", err)
	}
	o.pool.put(held)
	if !idle(o.pool, 3) {
		t.Error("a failed writer kept a block buffer")
	}
}

func TestAbortWakesAWriterWaitingForABuffer(t *testing.T) {
	o := poolOptions(t, 1, 1)
	held, err := o.pool.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(context.Background(), &fakeStager{}, "k", &port.WriterOptions{Size: 2 * minBlockSize}, o)
	wrote := make(chan error, 1)
	go func() {
		_, err := w.Write(make([]byte, 2*minBlockSize)) // waits: the only buffer is held
		wrote <- err
	}()
	for w.mu.TryLock() { // until Write holds the lock, waiting in the pool
		w.mu.Unlock()
		runtime.Gosched()
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := <-wrote; err == nil {
		t.Error("Write succeeded after Abort")
	}
	o.pool.put(held)
	if !idle(o.pool, 1) {
		t.Error("the aborted writer kept a block buffer")
	}
}

func TestUploadMemoryBelowOneBlockIsRefused(t *testing.T) {
	o := Options{BlockSize: 4 << 20, UploadMemory: 1 << 20}
	if err := o.setDefaults(); err == nil {
		t.Error("UploadMemory of a quarter block accepted")
	}
	o = Options{BlockSize: 4 << 20, UploadMemory: 10 << 20}
	if err := o.setDefaults(); err != nil || !o.pool.sem.TryAcquire(2) || o.pool.sem.TryAcquire(1) {
		t.Errorf("10 MiB of 4 MiB blocks: %v, want a pool of 2 blocks", err)
	}
}
