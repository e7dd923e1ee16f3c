package azureblob

import (
	"context"
	"sync"

	"golang.org/x/sync/semaphore"
)

// blockPool is the bounded set of block buffers that every writer of one
// Bucket fills and stages from, so that upload memory is bounded per
// process rather than per blob: a worker with sixteen dumps in flight holds
// no more block buffers than one with four, the dumps share them.
//
// At most n buffers of size bytes exist. They are allocated as first
// needed and then kept and reused (dropping them between uploads would
// only make garbage the next upload allocates again). A writer that finds
// all n in use waits, in arrival order, until another writer's block is
// staged. A writer holds at most one buffer it is filling plus the blocks
// it is staging (Options.Concurrency), so waiting never deadlocks: every
// buffer in use is either being staged, which ends, or being filled by a
// writer that is not waiting for the pool.
type blockPool struct {
	size int
	sem  *semaphore.Weighted

	mu    sync.Mutex
	free  [][]byte
	alloc int // buffers allocated so far, at most n
}

func newBlockPool(size, n int) *blockPool {
	return &blockPool{size: size, sem: semaphore.NewWeighted(int64(n))}
}

// get returns an empty buffer with capacity size, waiting while all are in
// use. It fails only when ctx ends first, with ctx's error. The caller must
// put the buffer back.
func (p *blockPool) get(ctx context.Context) ([]byte, error) {
	if err := p.sem.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := len(p.free); k > 0 {
		b := p.free[k-1]
		p.free = p.free[:k-1]
		return b[:0], nil
	}
	p.alloc++
	return make([]byte, 0, p.size), nil
}

// put gives back a buffer that get returned. Buffers of another capacity
// (a writer's small first buffer, allocated apart) are ignored, and so is
// nil, so that writers may put whatever buffer they end with.
func (p *blockPool) put(b []byte) {
	if cap(b) != p.size {
		return
	}
	p.mu.Lock()
	p.free = append(p.free, b[:0])
	p.mu.Unlock()
	p.sem.Release(1)
}

// allocated is how many buffers exist (for tests and sizing).
func (p *blockPool) allocated() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.alloc
}
