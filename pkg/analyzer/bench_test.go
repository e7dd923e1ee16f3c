package analyzer

import (
	"context"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/blob/memblob"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/queue"
)

// incidentMessages returns the messages of one incident with sites sites
// of perSite dumps each: every site's DumpCaptured (no analysis asked, so
// the figures are the storing and rendering path), then its JobCompleted.
func incidentMessages(tb testing.TB, b blob.Bucket, sites, perSite int) []*queue.Received {
	var all []messages.Site
	var msgs []*queue.Received
	for i := range sites {
		s := testSite(i)
		all = append(all, s)
		var targets []messages.TargetResult
		for p := range perSite {
			dc := capture(incident, s, 1000+p)
			msgs = append(msgs, messageFor(tb, incident, dc))
			targets = append(targets, messages.TargetResult{Instance: dc.Instance, PID: dc.PID, Process: dc.Process,
				Outcome: messages.OutcomeCaptured, DumpKey: dc.DumpKey, Bytes: dc.Bytes})
		}
		msgs = append(msgs, messageFor(tb, incident, &messages.JobCompleted{IncidentID: incident, JobID: messages.JobID(incident, s),
			Site: s, StartedAt: t0, FinishedAt: t0.Add(time.Minute), Instances: []string{"3a9f01c2"}, Targets: targets}))
	}
	putManifestFor(tb, b, incident, all)
	return msgs
}

// BenchmarkHandleIncident handles the 72 messages of one incident (8 sites
// of 8 dumps, 8 jobs) with 8 messages at once, as the analyzer's consumer
// does with --concurrency 8, and reports messages/s and renders per pass.
func BenchmarkHandleIncident(b *testing.B) {
	const sites, perSite, concurrency = 8, 8, 8
	for _, bc := range []struct {
		name string
		open func(b *testing.B) blob.Bucket
	}{
		{"mem", func(*testing.B) blob.Bucket { return memblob.New() }},
		{"file", func(b *testing.B) blob.Bucket {
			fb, err := fileblob.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { fb.Close() })
			return fb
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			hb := newHookBucket(bc.open(b))
			msgs := incidentMessages(b, hb, sites, perSite)
			h := newHandler(hb)
			ctx := context.Background()
			start := time.Now()
			for b.Loop() {
				g, gctx := errgroup.WithContext(ctx)
				g.SetLimit(concurrency)
				for _, m := range msgs {
					g.Go(func() error { return h.Handle(gctx, m) })
				}
				if err := g.Wait(); err != nil {
					b.Fatal(err)
				}
			}
			elapsed := time.Since(start)
			b.ReportMetric(float64(len(msgs)*b.N)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(float64(hb.renderCount(incident))/float64(b.N), "renders/op")
			if got := readIncident(b, hb, incident); !got.Complete || got.Counts.Captured != sites*perSite {
				b.Fatalf("final report: complete=%v counts=%+v", got.Complete, got.Counts)
			}
		})
	}
}
