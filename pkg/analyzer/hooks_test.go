package analyzer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/report"
)

// errInjected is the failure hookBucket injects into report writes.
var errInjected = errors.New("test: injected report write failure")

// hookBucket counts renders (writes of an incident's index.json), can fail
// report writes, and can hold manifest reads (the first read of a render)
// to control when a render proceeds.
type hookBucket struct {
	blob.Bucket

	mu       sync.Mutex
	renders  map[string]int // incident → index.json writes started
	analyses map[string]int // incident → per-dump analysis writes started
	failHTML int            // index.html writes still to fail
	// onManifest, when set, runs before every manifest read with the
	// incident; it may block.
	onManifest func(ctx context.Context, incident string)
}

func newHookBucket(b blob.Bucket) *hookBucket {
	return &hookBucket{Bucket: b, renders: make(map[string]int), analyses: make(map[string]int)}
}

func (b *hookBucket) NewWriter(ctx context.Context, key string, opts *blob.WriterOptions) (blob.Writer, error) {
	if inc, ok := strings.CutPrefix(key, "reports/"); ok {
		inc, name, _ := strings.Cut(inc, "/")
		name, _, _ = strings.Cut(name, "/")
		b.mu.Lock()
		switch name {
		case "index.json":
			b.renders[inc]++
		case "dumps":
			b.analyses[inc]++
		case "index.html":
			if b.failHTML > 0 {
				b.failHTML--
				b.mu.Unlock()
				return nil, errInjected
			}
		}
		b.mu.Unlock()
	}
	return b.Bucket.NewWriter(ctx, key, opts)
}

func (b *hookBucket) NewReader(ctx context.Context, key string) (io.ReadCloser, blob.Attributes, error) {
	if inc, ok := strings.CutPrefix(key, "incidents/"); ok && strings.HasSuffix(key, "/manifest.json") {
		b.mu.Lock()
		hook := b.onManifest
		b.mu.Unlock()
		if hook != nil {
			hook(ctx, strings.TrimSuffix(inc, "/manifest.json"))
		}
	}
	return b.Bucket.NewReader(ctx, key)
}

func (b *hookBucket) setOnManifest(f func(ctx context.Context, incident string)) {
	b.mu.Lock()
	b.onManifest = f
	b.mu.Unlock()
}

func (b *hookBucket) failNextRenders(n int) {
	b.mu.Lock()
	b.failHTML = n
	b.mu.Unlock()
}

func (b *hookBucket) renderCount(incident string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.renders[incident]
}

// testSite returns the i-th site of a test incident.
func testSite(i int) messages.Site {
	name := fmt.Sprintf("shop-web-%d", i)
	return messages.Site{ResourceID: "/subscriptions/0000/resourceGroups/shop/providers/Microsoft.Web/sites/" + name,
		SubscriptionID: "0000", ResourceGroup: "shop", Name: name}
}

// putManifestFor stores the manifest of inc, expecting one job per site.
func putManifestFor(tb testing.TB, b blob.Bucket, inc string, sites []messages.Site) {
	tb.Helper()
	m := &messages.Manifest{Version: 1, IncidentID: inc, CreatedAt: t0,
		Trigger: messages.Trigger{Kind: "alert", Rule: "Http5xx", FiredAt: t0},
		Action:  messages.Action{DumpType: messages.DumpMini}}
	for _, s := range sites {
		m.Jobs = append(m.Jobs, messages.ManifestJob{JobID: messages.JobID(inc, s), Site: s})
	}
	raw, err := messages.EncodeManifest(m)
	if err != nil {
		tb.Fatal(err)
	}
	w, err := b.NewWriter(context.Background(), layout.ManifestKey(inc), &blob.WriterOptions{Overwrite: true})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write(raw); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
}

// capture returns a DumpCaptured of inc that asks for no analysis, so
// handling it costs a stored document and a render, and no dump is needed.
func capture(inc string, s messages.Site, pid int) *messages.DumpCaptured {
	return &messages.DumpCaptured{IncidentID: inc, JobID: messages.JobID(inc, s), Site: s, Instance: "3a9f01c2",
		PID: pid, Process: "w3wp", DumpType: messages.DumpMini, DumpKey: layout.DumpKey(t0, inc, s.Segment(), "3a9f01c2", "w3wp", pid),
		Bytes: 4096, SHA256: strings.Repeat("ab", 32), Attempts: 1, CapturedAt: t0.Add(time.Minute)}
}

// messageFor wraps p of incident inc as a received message.
func messageFor(tb testing.TB, inc string, p messages.Payload) *queue.Received {
	tb.Helper()
	body, err := messages.Encode(messages.New(inc, p, t0))
	if err != nil {
		tb.Fatal(err)
	}
	return &queue.Received{Message: queue.Message{ID: messages.MessageID(p), Body: body}, DeliveryCount: 1}
}

// readIncident decodes the stored index.json of inc.
func readIncident(tb testing.TB, b blob.Bucket, inc string) *report.Incident {
	tb.Helper()
	r, _, err := b.NewReader(context.Background(), layout.ReportKey(inc, report.FormatJSON))
	if err != nil {
		tb.Fatalf("read report of %s: %v", inc, err)
	}
	defer r.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		tb.Fatal(err)
	}
	var out report.Incident
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		tb.Fatal(err)
	}
	return &out
}

func (b *hookBucket) analysisCount(incident string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.analyses[incident]
}

// waitUntil polls cond until it holds (true) or 10 s have passed (false).
// Unlike waitFor it may run on any goroutine.
func waitUntil(cond func() bool) bool {
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// waitFor polls cond until it holds, failing tb after 10 s.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	if !waitUntil(cond) {
		tb.Fatalf("timed out waiting for %s", what)
	}
}
