package worker

import (
	"crypto/sha256"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// A dump is copied through copyChunks buffers of one chunk size: one being
// read and written while the others wait for, or are in, the hasher. They
// are reused from dump to dump.
//
// Bigger chunks cost less CPU per byte, measured (docs/benchmarks.md, issue
// 20): a 2 GiB dump from the simulator into tmpfs cost the worker 3.8–4.1
// CPU-seconds in 256 KiB chunks, 3.7 in 512 KiB and 3.3–3.5 in 1 MiB (2 MiB
// gained nothing more), because every chunk costs a hand-off to the hasher,
// its wake-up and a write call, whatever its size. But the buffers of every
// dump in flight add up (at --concurrency 16, 3 × 1 MiB each took the
// worker over its 256 MiB goal on Azure), so all of a worker's copy buffers
// share one budget, copyBudget: the chunk is the largest that fits it at
// the worker's concurrency, never below minCopyChunk.
const (
	maxCopyChunk = 1 << 20
	minCopyChunk = 256 << 10
	copyChunks   = 3
	copyBudget   = 12 << 20
)

// copyChunkFor is the chunk size for a worker with up to concurrency dumps
// in flight: 1 MiB up to 4 dumps, 512 KiB up to 8, then 256 KiB.
func copyChunkFor(concurrency int) int {
	c := maxCopyChunk
	for c > minCopyChunk && copyChunks*c*concurrency > copyBudget {
		c /= 2
	}
	return c
}

type chunkSet [copyChunks][]byte

// chunkSets holds idle chunk sets, one pool per chunk size.
var chunkSets = func() map[int]*sync.Pool {
	m := map[int]*sync.Pool{}
	for size := minCopyChunk; size <= maxCopyChunk; size *= 2 {
		m[size] = &sync.Pool{New: func() any {
			s := new(chunkSet)
			for i := range s {
				s[i] = make([]byte, size)
			}
			return s
		}}
	}
	return m
}()

// copyDump copies a dump from src to dst in chunks of chunk bytes (one of
// copyChunkFor's sizes) and returns how many bytes it read and, when err is
// nil, their SHA-256.
//
// SHA-256 costs about as much CPU per byte as reading a socket and writing
// a file together, so it runs on a second goroutine: each chunk is handed
// to the hasher after it is read and before it is written, and its buffer
// is read into again only once the hasher gives it back. The hasher is
// therefore never more than copyChunks chunks behind, and the copy does not
// wait for it unless it is the slower side. Chunks are filled completely
// (several Reads) so that per-chunk costs — the hand-off, a write call to
// the blob — stay small against the bytes.
//
// The first bytes must be a minidump signature: otherwise copyDump fails
// with ErrCorruptDump before anything is written to dst. Read errors come
// back as *readError, write errors as dst returned them. progress, when not
// nil, holds the bytes written so far: it is stored once per chunk, and
// whoever reports progress reads it on their own schedule.
func copyDump(dst io.Writer, src io.Reader, progress *atomic.Int64, chunk int) (n int64, sum [sha256.Size]byte, err error) {
	pool := chunkSets[chunk]
	if pool == nil {
		return 0, sum, fmt.Errorf("worker: copy chunk of %d bytes: not one of the pooled sizes", chunk)
	}
	set := pool.Get().(*chunkSet)
	free := make(chan []byte, copyChunks)
	for _, b := range set {
		free <- b
	}
	work := make(chan []byte, copyChunks)
	hashed := make(chan [sha256.Size]byte, 1)
	go func() { // owned: copyDump waits for hashed before returning
		h := sha256.New()
		for b := range work {
			h.Write(b)
			free <- b[:cap(b)]
		}
		var s [sha256.Size]byte
		h.Sum(s[:0])
		hashed <- s
	}()
	defer func() {
		close(work)
		s := <-hashed
		if err == nil {
			sum = s
		}
		pool.Put(set) // every buffer is idle: the hasher has ended
	}()
	for {
		buf := <-free
		k, rerr := fill(src, buf)
		if k > 0 {
			if n == 0 {
				if err := checkSignature(buf[:k]); err != nil {
					return 0, sum, err
				}
			}
			n += int64(k)
			work <- buf[:k]
			if w, werr := dst.Write(buf[:k]); werr != nil || w != k {
				if werr == nil {
					werr = io.ErrShortWrite
				}
				return n, sum, werr
			}
			if progress != nil {
				progress.Store(n)
			}
		} else {
			free <- buf
		}
		switch {
		case rerr == io.EOF:
			return n, sum, nil
		case rerr != nil:
			return n, sum, &readError{rerr}
		}
	}
}

// fill reads into b until it is full or the reader fails (io.EOF
// included).
func fill(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := r.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// checkSignature checks a dump's first bytes (as many as there are, up to
// the signature's length) against a minidump's signature and version.
func checkSignature(head []byte) error {
	head = head[:min(len(head), len(minidumpMagic))]
	if string(head) != string(minidumpMagic[:len(head)]) {
		return fmt.Errorf("%w: starts with %q, want \"MDMP\" and version 0xA793", ErrCorruptDump, head)
	}
	return nil
}
