package analyzer

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob/memblob"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/queue"
)

// handleAll handles msgs concurrently and returns their errors in order.
func handleAll(ctx context.Context, h *Handler, msgs []*queue.Received) []error {
	errs := make([]error, len(msgs))
	var wg sync.WaitGroup
	for i, m := range msgs {
		wg.Go(func() { errs[i] = h.Handle(ctx, m) })
	}
	wg.Wait()
	return errs
}

// TestConcurrentMessagesShareRenders handles n messages of one incident at
// once. The first render is held until every message's analysis has been
// written, so every other message must join the one render that follows:
// far fewer renders than messages, and the report still holds every dump.
func TestConcurrentMessagesShareRenders(t *testing.T) {
	const n = 32
	b := newHookBucket(memblob.New())
	putManifestFor(t, b, incident, []messages.Site{site})
	var first atomic.Bool
	b.setOnManifest(func(ctx context.Context, inc string) {
		if first.CompareAndSwap(false, true) {
			waitUntil(func() bool { return b.analysisCount(incident) >= n })
		}
	})
	h := newHandler(b)
	var msgs []*queue.Received
	for pid := range n {
		msgs = append(msgs, messageFor(t, incident, capture(incident, site, 1000+pid)))
	}
	for i, err := range handleAll(context.Background(), h, msgs) {
		if err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}
	if got := readIncident(t, b, incident).Counts.Captured; got != n {
		t.Errorf("report shows %d captured dumps, want %d", got, n)
	}
	// One render held at the gate, one for everybody who came later, and
	// rarely a third for a caller descheduled between its write and its
	// request.
	if r := b.renderCount(incident); r > 3 {
		t.Errorf("%d messages took %d renders, want at most 3", n, r)
	}
}

// TestIncidentsRenderIndependently holds the render of one incident and
// checks that another incident's messages complete meanwhile.
func TestIncidentsRenderIndependently(t *testing.T) {
	const slow, fast = "20260304t101500-aaaaaaaaaaaaaaaa", "20260304t101500-bbbbbbbbbbbbbbbb"
	b := newHookBucket(memblob.New())
	putManifestFor(t, b, slow, []messages.Site{site})
	putManifestFor(t, b, fast, []messages.Site{site})
	release := make(chan struct{})
	b.setOnManifest(func(ctx context.Context, inc string) {
		if inc == slow {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
	})
	h := newHandler(b)
	slowDone := make(chan error, 1)
	go func() { slowDone <- h.Handle(context.Background(), messageFor(t, slow, capture(slow, site, 1))) }()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs := []*queue.Received{messageFor(t, fast, capture(fast, site, 1)), messageFor(t, fast, capture(fast, site, 2))}
	for i, err := range handleAll(ctx, h, msgs) {
		if err != nil {
			t.Fatalf("message %d of the other incident, while the first is held: %v", i, err)
		}
	}
	select {
	case err := <-slowDone:
		t.Fatalf("held incident finished early: %v", err)
	default:
	}
	close(release)
	if err := <-slowDone; err != nil {
		t.Fatalf("held incident: %v", err)
	}
	if got := readIncident(t, b, fast).Counts.Captured; got != 2 {
		t.Errorf("other incident's report shows %d dumps, want 2", got)
	}
}
