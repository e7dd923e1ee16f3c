package fileblob

import (
	"fmt"
	"sync"
)

// groupSync shares file system syncs among concurrent committers (group
// commit). A caller of wait is promised one complete sync that started
// after the call: everything the caller wrote or renamed before calling is
// durable when wait returns nil. Callers that arrive while a sync runs wait
// for the next one, which one of them runs on behalf of all; so a burst of
// N commits costs about two syncs instead of N. There is no background
// goroutine: the leader of each round is a caller.
type groupSync struct {
	fn func() error // the sync to share (syncfs of the bucket's file system)

	mu       sync.Mutex
	cond     *sync.Cond
	started  uint64 // number of syncs started
	done     uint64 // number of syncs finished
	running  bool
	failedAt uint64 // number of the last sync that failed, or 0
	failErr  error
}

func newGroupSync(fn func() error) *groupSync {
	g := &groupSync{fn: fn}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// wait returns once a sync started after the call has finished, with that
// sync's error (or a later failing one's: a failure is never hidden from a
// caller it might concern).
func (g *groupSync) wait() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	// A sync running now may have started before the caller's writes:
	// the caller needs the one after it.
	want := g.started + 1
	for g.done < want {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		g.started++
		n := g.started
		g.mu.Unlock()
		err := g.fn()
		g.mu.Lock()
		g.running = false
		g.done = n
		if err != nil {
			g.failedAt, g.failErr = n, err
		}
		g.cond.Broadcast()
	}
	if g.failedAt >= want {
		return fmt.Errorf("fileblob: syncing the file system: %w", g.failErr)
	}
	return nil
}
