package main

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/test/harness"
)

// monkey SIGKILLs a random worker or analyzer at random moments (uniform
// in [every/2, 3·every/2]) and starts a fresh process in its place. It
// never kills twice without the pipeline having made progress in between
// (progress() grew): on a slow or loaded machine the kills slow down with
// the work instead of outpacing it, so a job's deliveries are spent on
// real failures, not on a machine-speed race.
type monkey struct {
	p        *harness.Pipeline
	every    time.Duration
	rng      *rand.Rand
	logf     func(string, ...any)
	progress func() int

	quit chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	kill map[string]int
}

func newMonkey(p *harness.Pipeline, every time.Duration, seed uint64, logf func(string, ...any), progress func() int) *monkey {
	return &monkey{p: p, every: every, rng: rand.New(rand.NewPCG(seed, 0x6d6f6e6b6579)), logf: logf, progress: progress,
		quit: make(chan struct{}), kill: map[string]int{"worker": 0, "analyzer": 0}}
}

func (m *monkey) start() {
	if m.every <= 0 {
		return
	}
	m.wg.Add(1)
	go func() { // owned by stop
		defer m.wg.Done()
		seen := m.progress()
		for {
			d := m.every/2 + time.Duration(m.rng.Int64N(int64(m.every)))
			select {
			case <-m.quit:
				return
			case <-time.After(d):
			}
			if !m.awaitProgress(seen) {
				return
			}
			seen = m.progress()
			kind, err := "worker", error(nil)
			if m.rng.IntN(5) < 3 {
				i := m.rng.IntN(m.p.Workers())
				err = m.p.KillWorker(i)
			} else {
				kind = "analyzer"
				err = m.p.KillAnalyzer(m.rng.IntN(m.p.Analyzers()))
			}
			m.mu.Lock()
			m.kill[kind]++
			m.mu.Unlock()
			if err != nil {
				m.logf("restarting a %s after SIGKILL failed: %v", kind, err)
			}
		}
	}()
}

// awaitProgress waits until progress() exceeds seen; false when stopped.
func (m *monkey) awaitProgress(seen int) bool {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for m.progress() <= seen {
		select {
		case <-m.quit:
			return false
		case <-t.C:
		}
	}
	return true
}

// stop ends the kills and returns how many of each kind were done.
func (m *monkey) stop() map[string]int {
	close(m.quit)
	m.wg.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.kill
}
