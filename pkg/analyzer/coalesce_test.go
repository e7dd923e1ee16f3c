package analyzer

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob/memblob"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/queue"
)

// nextWaiters is the number of callers waiting for the incident's round
// that has not started yet.
func nextWaiters(h *Handler, inc string) int {
	c := h.renders
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.incidents[inc]; st != nil && st.next != nil {
		return st.next.waiters
	}
	return 0
}

// closeAndCheckIdle waits for the handler's renders and checks that no
// incident state is left behind.
func closeAndCheckIdle(t *testing.T, h *Handler) {
	t.Helper()
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if n := h.renders.pending(); n != 0 {
		t.Errorf("%d incidents still have render state after every caller returned", n)
	}
}

// TestRenderFailureFailsEveryWaiter makes the render shared by n callers
// fail: each of them gets the error, and handling them again succeeds.
func TestRenderFailureFailsEveryWaiter(t *testing.T) {
	const n = 8
	b := newHookBucket(memblob.New())
	putManifestFor(t, b, incident, []messages.Site{site})
	h := newHandler(b)
	var reads atomic.Int32
	b.setOnManifest(func(ctx context.Context, inc string) {
		switch reads.Add(1) {
		case 1: // the first render waits until all n have joined the next
			waitUntil(func() bool { return nextWaiters(h, incident) == n })
		case 2: // the render the n share fails
			b.failNextRenders(1)
		}
	})
	first := make(chan error, 1)
	go func() { first <- h.Handle(context.Background(), messageFor(t, incident, capture(incident, site, 1))) }()
	waitFor(t, "the first render", func() bool { return reads.Load() >= 1 })
	var msgs []*queue.Received
	for pid := range n {
		msgs = append(msgs, messageFor(t, incident, capture(incident, site, 100+pid)))
	}
	for i, err := range handleAll(context.Background(), h, msgs) {
		if !errors.Is(err, errInjected) || queue.IsPermanent(err) {
			t.Errorf("message %d: %v, want the retryable injected error", i, err)
		}
	}
	if err := <-first; err != nil {
		t.Fatalf("first message: %v", err)
	}
	// Redelivery: a new render, which succeeds and shows every dump.
	for i, err := range handleAll(context.Background(), h, msgs) {
		if err != nil {
			t.Errorf("message %d, redelivered: %v", i, err)
		}
	}
	if got := readIncident(t, b, incident).Counts.Captured; got != n+1 {
		t.Errorf("report shows %d dumps, want %d", got, n+1)
	}
	closeAndCheckIdle(t, h)
}

// TestCancelledCallerStopsWaiting cancels the caller whose request started
// the render and one waiting for the next render: both return their
// context's error at once, and the renders go on for the remaining caller.
func TestCancelledCallerStopsWaiting(t *testing.T) {
	b, h, entered, release := blockedFirstRender(t)
	handle := func(ctx context.Context, pid int) <-chan error {
		done := make(chan error, 1)
		go func() { done <- h.Handle(ctx, messageFor(t, incident, capture(incident, site, pid))) }()
		return done
	}
	ctxA, cancelA := context.WithCancel(context.Background())
	ctxB, cancelB := context.WithCancel(context.Background())
	defer cancelA()
	defer cancelB()
	a := handle(ctxA, 1)
	<-entered
	bDone, c := handle(ctxB, 2), handle(context.Background(), 3)
	waitFor(t, "two callers waiting", func() bool { return nextWaiters(h, incident) == 2 })

	cancelA()
	cancelB()
	for name, ch := range map[string]<-chan error{"first": a, "waiting": bDone} {
		if err := <-ch; !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled %s caller: %v, want context.Canceled", name, err)
		}
	}
	if w := nextWaiters(h, incident); w != 1 {
		t.Errorf("%d callers wait after two cancelled, want 1", w)
	}
	close(release)
	if err := <-c; err != nil {
		t.Fatalf("remaining caller: %v", err)
	}
	closeAndCheckIdle(t, h)
	// The held render was not cancelled with its first caller: both renders
	// wrote the report, and the data of all three messages is in it.
	if r := b.renderCount(incident); r != 2 {
		t.Errorf("%d renders, want 2", r)
	}
	if got := readIncident(t, b, incident).Counts.Captured; got != 3 {
		t.Errorf("report shows %d dumps, want 3", got)
	}
}

// TestAbandonedRoundIsDropped checks that a render nobody waits for any
// more is not run.
func TestAbandonedRoundIsDropped(t *testing.T) {
	b, h, entered, release := blockedFirstRender(t)
	a := make(chan error, 1)
	go func() { a <- h.Handle(context.Background(), messageFor(t, incident, capture(incident, site, 1))) }()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	bDone := make(chan error, 1)
	go func() { bDone <- h.Handle(ctx, messageFor(t, incident, capture(incident, site, 2))) }()
	waitFor(t, "a caller waiting", func() bool { return nextWaiters(h, incident) == 1 })
	cancel()
	if err := <-bDone; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-a; err != nil {
		t.Fatal(err)
	}
	closeAndCheckIdle(t, h)
	if r := b.renderCount(incident); r != 1 {
		t.Errorf("%d renders, want 1 (the abandoned one dropped)", r)
	}
}

// TestRenderPanicFailsWaiters makes a render panic: its callers get
// ErrRenderPanic (retryable), the process survives, and the next render
// succeeds.
func TestRenderPanicFailsWaiters(t *testing.T) {
	b := newHookBucket(memblob.New())
	putManifestFor(t, b, incident, []messages.Site{site})
	h := newHandler(b)
	var reads atomic.Int32
	b.setOnManifest(func(ctx context.Context, inc string) {
		if reads.Add(1) == 1 {
			panic("test: render blew up")
		}
	})
	m := messageFor(t, incident, capture(incident, site, 1))
	if err := h.Handle(context.Background(), m); !errors.Is(err, ErrRenderPanic) || queue.IsPermanent(err) {
		t.Fatalf("panicking render: %v, want retryable ErrRenderPanic", err)
	}
	if err := h.Handle(context.Background(), m); err != nil {
		t.Fatalf("redelivered: %v", err)
	}
	closeAndCheckIdle(t, h)
}

// blockedFirstRender returns a bucket holding the manifest of incident and
// a handler on it whose first render blocks while reading the manifest:
// entered is closed when it gets there, and it goes on once release is
// closed.
func blockedFirstRender(t *testing.T) (b *hookBucket, h *Handler, entered, release chan struct{}) {
	t.Helper()
	b = newHookBucket(memblob.New())
	putManifestFor(t, b, incident, []messages.Site{site})
	h = newHandler(b)
	entered, release = make(chan struct{}), make(chan struct{})
	var reads atomic.Int32
	b.setOnManifest(func(ctx context.Context, inc string) {
		if reads.Add(1) == 1 {
			close(entered)
			<-release
		}
	})
	return b, h, entered, release
}
