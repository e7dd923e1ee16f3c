package analyzer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/report"
	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

var t0 = time.Date(2026, 3, 4, 10, 15, 0, 0, time.UTC)

const incident = "20260304t101500-5f1c2a9d0e7b4c11"

var site = messages.Site{ResourceID: "/subscriptions/0000/resourceGroups/shop/providers/Microsoft.Web/sites/shop-web",
	SubscriptionID: "0000", ResourceGroup: "shop", Name: "shop-web"}

// countingBucket counts the bytes read through NewReaderAt and refuses
// whole-blob reads of dumps.
type countingBucket struct {
	blob.Bucket
	ranged atomic.Int64
}

type countingReaderAt struct {
	blob.ReaderAt
	n *atomic.Int64
}

func (c countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.ReaderAt.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

func (b *countingBucket) NewReaderAt(ctx context.Context, key string) (blob.ReaderAt, error) {
	r, err := b.Bucket.NewReaderAt(ctx, key)
	if err != nil {
		return nil, err
	}
	return countingReaderAt{r, &b.ranged}, nil
}

func (b *countingBucket) NewReader(ctx context.Context, key string) (io.ReadCloser, blob.Attributes, error) {
	if strings.HasSuffix(key, ".dmp") {
		return nil, blob.Attributes{}, errors.New("test: a dump must not be read whole")
	}
	return b.Bucket.NewReader(ctx, key)
}

func newBucket(t *testing.T) *countingBucket {
	t.Helper()
	b, err := fileblob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return &countingBucket{Bucket: b}
}

func put(t *testing.T, b blob.Bucket, key string, r io.Reader) {
	t.Helper()
	w, err := b.NewWriter(context.Background(), key, &blob.WriterOptions{Overwrite: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, r); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, b blob.Bucket, key string) []byte {
	t.Helper()
	r, _, err := b.NewReader(context.Background(), key)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func putManifest(t *testing.T, b blob.Bucket) {
	t.Helper()
	m := &messages.Manifest{Version: 1, IncidentID: incident, CreatedAt: t0,
		Trigger: messages.Trigger{Kind: "alert", Rule: "Http5xx", FiredAt: t0},
		Action:  messages.Action{DumpType: messages.DumpMini, Analyze: true},
		Jobs:    []messages.ManifestJob{{JobID: messages.JobID(incident, site), Site: site}}}
	raw, err := messages.EncodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	put(t, b, layout.ManifestKey(incident), bytes.NewReader(raw))
}

func message(t *testing.T, p messages.Payload) *queue.Received {
	t.Helper()
	body, err := messages.Encode(messages.New(incident, p, t0))
	if err != nil {
		t.Fatal(err)
	}
	return &queue.Received{Message: queue.Message{ID: messages.MessageID(p), Body: body}, DeliveryCount: 1}
}

// storeDump writes a generated dump and returns its DumpCaptured.
func storeDump(t *testing.T, b blob.Bucket, pid int, spec dumpgen.Spec) *messages.DumpCaptured {
	t.Helper()
	d, err := dumpgen.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	key := layout.DumpKey(t0, incident, site.Segment(), "3a9f01c2", "w3wp", pid)
	put(t, b, key, d.NewReader())
	return &messages.DumpCaptured{IncidentID: incident, JobID: messages.JobID(incident, site), Site: site, Instance: "3a9f01c2",
		PID: pid, Process: "w3wp", DumpType: messages.DumpMini, DumpKey: key, Bytes: d.Size(),
		SHA256: strings.Repeat("ab", 32), Attempts: 1, CapturedAt: t0.Add(time.Minute), Analyze: true}
}

func newHandler(b blob.Bucket) *Handler {
	return New(b, Config{Now: func() time.Time { return t0.Add(2 * time.Minute) }})
}

func TestDumpThenJobRendersReport(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	putManifest(t, b)
	h := newHandler(b)
	spec := dumpgen.SampleSpec(4120, 0, 0)
	spec.Exception = &dumpgen.Exception{ThreadID: spec.Threads[2].ID, Code: 0xc0000005, Address: spec.Threads[2].RIP}
	dc := storeDump(t, b, 4120, spec)

	if err := h.Handle(ctx, message(t, dc)); err != nil {
		t.Fatal(err)
	}
	doc, err := report.DecodeDumpReport(get(t, b, layout.DumpReportKey(incident, site.Segment(), "3a9f01c2", "w3wp", 4120)))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Analysis == nil || doc.Crash == nil || doc.Crash.Reason != "EXCEPTION_ACCESS_VIOLATION" || *doc.Process.PID != 4120 {
		t.Fatalf("stored analysis = %+v", doc.Analysis)
	}
	if len(doc.Runtimes) == 0 || doc.Runtimes[0].Name != ".NET Framework" {
		t.Errorf("runtimes = %+v, want .NET Framework first", doc.Runtimes)
	}
	var inc report.Incident
	if err := json.Unmarshal(get(t, b, layout.ReportKey(incident, "json")), &inc); err != nil {
		t.Fatal(err)
	}
	if inc.Complete || inc.Counts.Captured != 1 {
		t.Errorf("before the job: complete=%v counts=%+v", inc.Complete, inc.Counts)
	}

	jc := &messages.JobCompleted{IncidentID: incident, JobID: messages.JobID(incident, site), Site: site,
		StartedAt: t0, FinishedAt: t0.Add(90 * time.Second), Instances: []string{"3a9f01c2"},
		Targets: []messages.TargetResult{{Instance: "3a9f01c2", PID: 4120, Process: "w3wp", Outcome: messages.OutcomeCaptured,
			DumpKey: dc.DumpKey, Bytes: dc.Bytes, Kill: &messages.Kill{Done: true}}}}
	if err := h.Handle(ctx, message(t, jc)); err != nil {
		t.Fatal(err)
	}
	if _, err := messages.DecodeJobCompleted(get(t, b, layout.JobKey(incident, site.Segment()))); err != nil {
		t.Fatalf("stored job: %v", err)
	}
	html := get(t, b, layout.ReportKey(incident, "html"))
	md := get(t, b, layout.ReportKey(incident, "md"))
	if !bytes.Contains(html, []byte("EXCEPTION_ACCESS_VIOLATION")) || !bytes.Contains(md, []byte("| shop-web | 3a9f01c2 | w3wp | 4120 | captured | yes |")) {
		t.Errorf("report lacks the analysis or the row:\n%s", md)
	}

	// Redelivering both messages, in the other order, changes nothing.
	for _, m := range []*queue.Received{message(t, jc), message(t, dc)} {
		if err := h.Handle(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if again := get(t, b, layout.ReportKey(incident, "html")); !bytes.Equal(again, html) {
		t.Error("re-rendering after duplicate messages changed the report")
	}
	if b.ranged.Load() == 0 {
		t.Error("dump was not read through NewReaderAt")
	}
}

func TestPermanentAndRetryableErrors(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	h := newHandler(b)

	bad := &queue.Received{Message: queue.Message{ID: "x", Body: []byte(`{"type":"nope"}`)}}
	if err := h.Handle(ctx, bad); !queue.IsPermanent(err) {
		t.Errorf("undecodable message: %v, want permanent", err)
	}
	job := &messages.CaptureJob{JobID: messages.JobID(incident, site), IncidentID: incident, Site: site, IncidentTime: t0,
		Trigger: messages.Trigger{Kind: "manual", FiredAt: t0}, Action: messages.Action{DumpType: messages.DumpMini}}
	if err := h.Handle(ctx, message(t, job)); !queue.IsPermanent(err) {
		t.Errorf("CaptureJob on the analysis queue: %v, want permanent", err)
	}
	// No manifest yet: retry, never dead-letter.
	jc := &messages.JobCompleted{IncidentID: incident, JobID: messages.JobID(incident, site), Site: site, StartedAt: t0, FinishedAt: t0}
	err := h.Handle(ctx, message(t, jc))
	if !errors.Is(err, ErrNoManifest) || queue.IsPermanent(err) {
		t.Errorf("missing manifest: %v, want retryable ErrNoManifest", err)
	}
	// A dump not in storage: retry.
	putManifest(t, b)
	dc := storeDump(t, b, 77, dumpgen.SampleSpec(77, 0, 0))
	dc.DumpKey += ".missing"
	if err := h.Handle(ctx, message(t, dc)); err == nil || queue.IsPermanent(err) || !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("missing dump: %v, want retryable blob.ErrNotFound", err)
	}
}

func TestCorruptDumpIsReportedNotRetried(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	putManifest(t, b)
	h := newHandler(b)
	dc := storeDump(t, b, 55, dumpgen.SampleSpec(55, 0, 0))
	put(t, b, dc.DumpKey, strings.NewReader("MDMP this is not a minidump at all, just text"))
	if err := h.Handle(ctx, message(t, dc)); err != nil {
		t.Fatalf("corrupt dump: %v, want nil (stored with its error)", err)
	}
	doc, err := report.DecodeDumpReport(get(t, b, layout.DumpReportKey(incident, site.Segment(), "3a9f01c2", "w3wp", 55)))
	if err != nil || doc.AnalysisError == "" || doc.Analysis != nil {
		t.Fatalf("stored doc = %+v, %v", doc, err)
	}
	if md := get(t, b, layout.ReportKey(incident, "md")); !bytes.Contains(md, []byte("analysis failed")) {
		t.Errorf("report does not show the failed analysis:\n%s", md)
	}
}

func TestSplitBlobURL(t *testing.T) {
	for _, tc := range []struct {
		in, bucket, key string
		ok              bool
	}{
		{"file:///var/lib/dumpflow/blobs#dumps/a/b.dmp", "file:///var/lib/dumpflow/blobs", "dumps/a/b.dmp", true},
		{"https://acct.blob.core.windows.net/dumpfiles#dumps/x.dmp", "https://acct.blob.core.windows.net/dumpfiles", "dumps/x.dmp", true},
		{"/tmp/w3wp.dmp", "", "", false},
		{"file:///tmp/blobs", "", "", false},
		{"file:///tmp/blobs#", "", "", false},
	} {
		bucket, key, ok := SplitBlobURL(tc.in)
		if bucket != tc.bucket || key != tc.key || ok != tc.ok {
			t.Errorf("SplitBlobURL(%q) = %q, %q, %v", tc.in, bucket, key, ok)
		}
	}
}

// TestConcurrentHandlersConverge delivers every message of an incident at
// once to two handlers: the final report must reflect all of them.
func TestConcurrentHandlersConverge(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	putManifest(t, b)
	h1, h2 := newHandler(b), newHandler(b)
	var msgs []*queue.Received
	var targets []messages.TargetResult
	for pid := 100; pid < 106; pid++ {
		dc := storeDump(t, b, pid, dumpgen.SampleSpec(uint32(pid), 0, 0))
		msgs = append(msgs, message(t, dc))
		targets = append(targets, messages.TargetResult{Instance: "3a9f01c2", PID: pid, Process: "w3wp",
			Outcome: messages.OutcomeCaptured, DumpKey: dc.DumpKey, Bytes: dc.Bytes})
	}
	msgs = append(msgs, message(t, &messages.JobCompleted{IncidentID: incident, JobID: messages.JobID(incident, site), Site: site,
		StartedAt: t0, FinishedAt: t0.Add(time.Minute), Instances: []string{"3a9f01c2"}, Targets: targets}))
	errs := make(chan error, len(msgs))
	for i, m := range msgs {
		h := h1
		if i%2 == 1 {
			h = h2
		}
		go func() { errs <- h.Handle(ctx, m) }()
	}
	for range msgs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var inc report.Incident
	if err := json.Unmarshal(get(t, b, layout.ReportKey(incident, "json")), &inc); err != nil {
		t.Fatal(err)
	}
	if !inc.Complete || inc.Counts.Captured != 6 || inc.Counts.Analyzed != 6 {
		t.Errorf("final report: complete=%v counts=%+v, want complete with 6 captured and analyzed", inc.Complete, inc.Counts)
	}
}
