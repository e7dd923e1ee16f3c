package worker

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/memblob"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// BenchmarkDumpCopy measures the worker's own CPU per byte on a dump's copy
// path (MDMP check, SHA-256, progress, the write into the blob writer): one
// Capture of one target whose Kudu body is a memory reader handing out at
// most 64 KiB per Read (as a socket does) and whose blob writer discards
// the bytes, so neither the network nor a disk is measured. Allocations per
// op are the same at 64 and 256 MiB: nothing is allocated per chunk.
//
//	go test -run '^$' -bench DumpCopy -benchmem -cpuprofile cpu.prof ./pkg/worker
//	go tool pprof -top cpu.prof
func BenchmarkDumpCopy(b *testing.B) {
	for _, size := range []int{64 << 20, 256 << 20} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			k := &patternKudu{fakeKudu: newFakeKudu(), size: int64(size)}
			k.addSite("shop", 1)
			e, err := New(k, discardBucket{memblob.New()}, nil, nil, fastConfig())
			if err != nil {
				b.Fatal(err)
			}
			progress := 0
			e.OnProgress = func(Progress) { progress++ }
			job := testJob("shop", messages.Action{DumpType: messages.DumpFull}, messages.Selector{})
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				res, err := e.Capture(context.Background(), job)
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Dumps) != 1 || res.Dumps[0].Bytes != int64(size) {
					b.Fatalf("dumps %+v, want one of %d bytes", res.Completed.Targets, size)
				}
			}
		})
	}
}

// patternKudu is fakeKudu with dumps streamed from a repeating 1 MiB
// pattern instead of generated in memory.
type patternKudu struct {
	*fakeKudu
	size int64
}

var pattern = func() []byte {
	p := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	copy(p, minidumpMagic[:])
	return p
}()

func (k *patternKudu) Dump(ctx context.Context, req DumpRequest) (io.ReadCloser, int64, error) {
	return io.NopCloser(&patternReader{left: k.size}), k.size, nil
}

// patternReader reads left bytes of pattern, at most 64 KiB per Read.
type patternReader struct{ off, left int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(len(p), 64<<10, int(r.left))]
	n := copy(p, pattern[r.off%int64(len(pattern)):])
	r.off += int64(n)
	r.left -= int64(n)
	return n, nil
}

// discardBucket is memblob whose writers drop the content: the copy path
// alone is measured.
type discardBucket struct{ *memblob.Bucket }

func (discardBucket) NewWriter(ctx context.Context, key string, opts *blob.WriterOptions) (blob.Writer, error) {
	return &discardWriter{}, nil
}

type discardWriter struct{ n int64 }

func (w *discardWriter) Write(p []byte) (int, error)         { w.n += int64(len(p)); return len(p), nil }
func (w *discardWriter) Close() error                        { return nil }
func (w *discardWriter) Abort() error                        { return nil }
func (w *discardWriter) SetMetadata(map[string]string) error { return nil }

// BenchmarkSHA256 is the floor under BenchmarkDumpCopy and under a dump's
// stream: SHA-256 in copyChunk pieces on one core, nothing else.
// A dump cannot be stored faster than this, whatever the copy costs.
//
//	go test -run '^$' -bench SHA256 ./pkg/worker
func BenchmarkSHA256(b *testing.B) {
	buf := make([]byte, copyChunk)
	for i := range buf {
		buf[i] = pattern[i%len(pattern)]
	}
	h := sha256.New()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		h.Write(buf)
	}
}
