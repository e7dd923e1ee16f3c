package ingest

import (
	"fmt"
	"testing"
	"time"
)

type manualClock struct{ t time.Time }

func (c *manualClock) now() time.Time { return c.t }

func TestRateLimiterFloodKeepsExistingClientState(t *testing.T) {
	clk := &manualClock{t: time.Unix(1_700_000_000, 0)}
	l := newRateLimiter(1, 2, clk.now)
	for i := range 2 {
		if ok, _ := l.allow("victim"); !ok {
			t.Fatalf("victim request %d refused within its burst", i+1)
		}
	}
	if ok, _ := l.allow("victim"); ok {
		t.Fatal("victim allowed beyond its burst")
	}
	// A flood of distinct clients, each spending its burst so none is idle,
	// fills the table and then spills over.
	for i := range maxRateClients + 500 {
		key := fmt.Sprintf("flood-%d", i)
		l.allow(key)
		l.allow(key)
	}
	// One second later an eviction scan may run; the victim has earned
	// exactly one token back. A reset bucket would hold two.
	clk.t = clk.t.Add(evictEvery)
	l.allow("one-more")
	if ok, _ := l.allow("victim"); !ok {
		t.Fatal("victim refused the token it earned")
	}
	if ok, wait := l.allow("victim"); ok || wait <= 0 {
		t.Fatalf("victim allowed (%v, wait %v) a second request after a flood: its bucket was reset", ok, wait)
	}
	if len(l.buckets) > maxRateClients {
		t.Errorf("%d buckets, above the bound %d", len(l.buckets), maxRateClients)
	}
	// The spilled-over clients share one bucket: it is spent.
	if ok, _ := l.allow("flood-new"); ok {
		t.Error("a client beyond the table was not limited by the shared overflow bucket")
	}
}

func TestRateLimiterEvictsIdleClients(t *testing.T) {
	clk := &manualClock{t: time.Unix(1_700_000_000, 0)}
	l := newRateLimiter(1, 2, clk.now)
	l.allow("busy")
	l.allow("busy")
	for i := range maxRateClients - 1 {
		l.allow(fmt.Sprintf("c-%d", i))
	}
	// After 1.5 s the one-token clients are full again (idle); "busy"
	// has 1.5 of 2 tokens and must stay.
	clk.t = clk.t.Add(1500 * time.Millisecond)
	if ok, _ := l.allow("newcomer"); !ok {
		t.Fatal("newcomer refused")
	}
	if _, ok := l.buckets["newcomer"]; !ok {
		t.Error("newcomer got no own bucket although idle clients could be dropped")
	}
	if _, ok := l.buckets["busy"]; !ok {
		t.Fatal("a client that is not idle was dropped")
	}
	if _, ok := l.buckets["c-0"]; ok {
		t.Error("idle client kept")
	}
}
