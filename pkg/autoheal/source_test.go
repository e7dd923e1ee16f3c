package autoheal

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/monitor/azquery"
)

type fakeReader struct {
	mu        sync.Mutex
	instances []string
	private   map[string]int64
	failing   map[string]bool
}

func (f *fakeReader) Instances(context.Context, string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.instances...), nil
}

func (f *fakeReader) WorkerProcess(_ context.Context, _, inst string) (ProcessSample, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing[inst] {
		return ProcessSample{}, errors.New("kudu 503")
	}
	return ProcessSample{PID: 10, Process: "w3wp", MachineName: "MACHINE-" + inst, Start: base.Add(-time.Hour), PrivateBytes: f.private[inst]}, nil
}

type recorder struct {
	mu        sync.Mutex
	processes map[string]ProcessSample
	requests  map[string][]Request
	forgotten []string
}

func newRecorder() *recorder {
	return &recorder{processes: map[string]ProcessSample{}, requests: map[string][]Request{}}
}
func (r *recorder) ObserveProcess(_, inst string, p ProcessSample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.processes[inst] = p
}
func (r *recorder) ObserveRequests(_, inst string, rs ...Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests[inst] = append(r.requests[inst], rs...)
}
func (r *recorder) Forget(_, inst string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.forgotten = append(r.forgotten, inst)
}

func TestMemoryWatchPollsEveryInstanceAndForgetsVanished(t *testing.T) {
	rd := &fakeReader{instances: []string{"a", "b", "c"}, private: map[string]int64{"a": 1, "b": 2, "c": 3}, failing: map[string]bool{"c": true}}
	mw := &MemoryWatch{Reader: rd, Sites: []string{site}, Concurrency: 2, Now: func() time.Time { return base }}
	rec := newRecorder()
	known := map[string]map[string]string{}
	mw.poll(context.Background(), rec, 2, discard(), mw.Now, known)
	if len(rec.processes) != 2 || rec.processes["MACHINE-a"].PrivateBytes != 1 || !rec.processes["MACHINE-b"].At.Equal(base) {
		t.Fatalf("observed %+v, want a and b keyed by machine name (c failed)", rec.processes)
	}
	rd.instances = []string{"b"}
	mw.poll(context.Background(), rec, 2, discard(), mw.Now, known)
	if len(rec.forgotten) != 1 || rec.forgotten[0] != "MACHINE-a" {
		t.Fatalf("forgotten %v, want MACHINE-a (scaled in)", rec.forgotten)
	}
}

type fakeMetrics struct {
	calls int
	resp  azquery.MetricsClientQueryResourceResponse
	opts  *azquery.MetricsClientQueryResourceOptions
}

func (f *fakeMetrics) QueryResource(_ context.Context, _ string, o *azquery.MetricsClientQueryResourceOptions) (azquery.MetricsClientQueryResourceResponse, error) {
	f.calls++
	f.opts = o
	return f.resp, nil
}

func series(name, inst string, pts map[time.Time]float64, avg bool) *azquery.Metric {
	ts := &azquery.TimeSeriesElement{MetadataValues: []*azquery.MetadataValue{{Name: &azquery.LocalizableString{Value: ptr("instance")}, Value: ptr(inst)}}}
	for at, v := range pts {
		mv := &azquery.MetricValue{TimeStamp: ptr(at)}
		if avg {
			mv.Average = ptr(v)
		} else {
			mv.Total = ptr(v)
		}
		ts.Data = append(ts.Data, mv)
	}
	return &azquery.Metric{Name: &azquery.LocalizableString{Value: ptr(name)}, TimeSeries: []*azquery.TimeSeriesElement{ts}}
}

func TestMetricsBucketsBecomeObservations(t *testing.T) {
	m1, m2, cur := base.Add(-2*time.Minute), base.Add(-time.Minute), base
	fm := &fakeMetrics{resp: azquery.MetricsClientQueryResourceResponse{Response: azquery.Response{Value: []*azquery.Metric{
		series("Requests", "RD01", map[time.Time]float64{m1: 100, m2: 10, cur: 999}, false),
		series("Http5xx", "RD01", map[time.Time]float64{m1: 30}, false),
		series("Http2xx", "RD01", map[time.Time]float64{m1: 70, m2: 10}, false),
		series("HttpResponseTime", "RD01", map[time.Time]float64{m1: 2.5}, true),
	}}}}
	m := &Metrics{Client: fm, Sites: []string{site}, Now: func() time.Time { return base.Add(10 * time.Second) }}
	rec := newRecorder()
	seen := map[string]time.Time{}
	if err := m.poll(context.Background(), site, rec, seen); err != nil {
		t.Fatal(err)
	}
	if *fm.opts.Filter != "Instance eq '*'" || *fm.opts.Interval != "PT1M" {
		t.Fatalf("query options: filter %q interval %q", *fm.opts.Filter, *fm.opts.Interval)
	}
	total, fivexx := 0, 0
	for _, r := range rec.requests["RD01"] {
		total += r.n()
		if r.Status == 500 {
			fivexx += r.n()
			if r.TimeTaken != 2500*time.Millisecond || !r.At.Equal(m2) {
				t.Fatalf("5xx observation %+v: want the minute's average and the bucket's end", r)
			}
		}
	}
	if total != 110 || fivexx != 30 {
		t.Fatalf("observed %d requests (%d 5xx), want 110 (30): the filling minute must be skipped", total, fivexx)
	}
	// The same buckets are not observed twice.
	if err := m.poll(context.Background(), site, rec, seen); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rec.requests["RD01"] {
		n += r.n()
	}
	if n != 110 {
		t.Fatalf("after a second poll %d requests observed, want still 110", n)
	}
}

func TestRunnerActsOnAdmittedFiringsOnly(t *testing.T) {
	f := &File{Rules: []Rule{{Name: "leak", Triggers: ARMTriggers{PrivateBytesInKB: 1000},
		Action: Action{Kind: ActionCollect, DumpType: "full"}}}}
	ev := NewEvaluator(f)
	rd := &fakeReader{instances: []string{"a"}, private: map[string]int64{"a": 2000 * 1024}}
	var mu sync.Mutex
	var acted []Firing
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{
		Evaluator: ev,
		Sources:   []Source{&MemoryWatch{Reader: rd, Sites: []string{site}, Interval: 5 * time.Millisecond}},
		Interval:  5 * time.Millisecond,
		Act: func(_ context.Context, f Firing) error {
			mu.Lock()
			defer mu.Unlock()
			acted = append(acted, f)
			return nil
		},
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	deadline := time.After(5 * time.Second)
	for {
		mu.Lock()
		n := len(acted)
		mu.Unlock()
		if n > 0 {
			break
		}
		select {
		case <-deadline:
			t.Fatal("runner never acted")
		case <-time.After(5 * time.Millisecond):
		}
	}
	time.Sleep(50 * time.Millisecond) // many more evaluations: cooldown holds
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(acted) != 1 || acted[0].MachineName != "MACHINE-a" || acted[0].Trigger != "privateBytesInKB" {
		t.Fatalf("acted %+v, want exactly one privateBytesInKB firing on MACHINE-a", acted)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
