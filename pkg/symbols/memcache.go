package symbols

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// tableCache keeps loaded tables, and "not found" answers for ttl, in memory, evicting
// the least recently used beyond max (estimated) bytes. Concurrent loads of one key
// share one search.
type tableCache struct {
	max   int64
	ttl   time.Duration
	now   func() time.Time
	group singleflight.Group

	mu    sync.Mutex
	ll    *list.List // front = most recently used; values *cacheEntry
	items map[string]*list.Element
	used  int64
}

type cacheEntry struct {
	key     string
	sf      *SymbolFile
	err     error // a "not found" answer
	expires time.Time
	size    int64
}

const negativeEntrySize = 256 // bytes charged for a remembered "not found"

func newTableCache(max int64, ttl time.Duration) *tableCache {
	return &tableCache{max: max, ttl: ttl, now: time.Now, ll: list.New(), items: map[string]*list.Element{}}
}

func (c *tableCache) get(ctx context.Context, key string, load func(context.Context) (*SymbolFile, error)) (*SymbolFile, error) {
	if sf, err, ok := c.lookup(key); ok {
		return sf, err
	}
	for {
		v, err, _ := c.group.Do(key, func() (any, error) {
			if sf, err, ok := c.lookup(key); ok {
				return sf, err
			}
			sf, err := load(ctx)
			switch {
			case err == nil:
				c.add(&cacheEntry{key: key, sf: sf, size: sf.approxBytes()})
			case errors.Is(err, ErrNotFound):
				c.add(&cacheEntry{key: key, err: err, expires: c.now().Add(c.ttl), size: negativeEntrySize})
			}
			return sf, err
		})
		// The first caller's cancellation is not ours: search again.
		if err != nil && errors.Is(err, context.Canceled) && ctx.Err() == nil {
			continue
		}
		sf, _ := v.(*SymbolFile)
		return sf, err
	}
}

func (c *tableCache) lookup(key string) (*SymbolFile, error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, nil, false
	}
	e := el.Value.(*cacheEntry)
	if e.err != nil && c.now().After(e.expires) {
		c.remove(el)
		return nil, nil, false
	}
	c.ll.MoveToFront(el)
	return e.sf, e.err, true
}

func (c *tableCache) add(e *cacheEntry) {
	if e.size > c.max {
		return // larger than the whole cache: used once, not kept
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[e.key]; ok {
		c.remove(el)
	}
	c.items[e.key] = c.ll.PushFront(e)
	c.used += e.size
	for c.used > c.max {
		c.remove(c.ll.Back())
	}
}

func (c *tableCache) remove(el *list.Element) {
	e := c.ll.Remove(el).(*cacheEntry)
	delete(c.items, e.key)
	c.used -= e.size
}

// approxBytes estimates the memory a SymbolFile holds, for the cache's bound.
func (sf *SymbolFile) approxBytes() int64 {
	n := int64(256)
	for _, f := range sf.funcs {
		n += 64 + int64(len(f.name)) + 24*int64(len(f.lines))
	}
	n += 24 * int64(len(sf.funcSpans))
	for _, p := range sf.publics {
		n += 48 + int64(len(p.name))
	}
	for _, name := range sf.files {
		n += 48 + int64(len(name))
	}
	for _, w := range sf.wins {
		n += 96 + int64(len(w.Program))
	}
	n += 24 * int64(len(sf.win[0])+len(sf.win[1])+len(sf.cfiInit))
	for _, r := range sf.cfiRules {
		n += 16 + int64(len(r))
	}
	for _, d := range sf.cfiDeltas {
		n += 24 + int64(len(d.rules))
	}
	return n
}
