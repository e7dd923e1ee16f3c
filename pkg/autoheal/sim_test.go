package autoheal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/dumpflow/dumpflow/pkg/autoheal"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/worker"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// fakeCred is a credential for the simulator, which accepts anonymous calls.
type fakeCred struct{}

func (fakeCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "sim", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// toSim sends the metrics client's https requests to the plain-http
// simulator (the SDK refuses to send a bearer token over http).
type toSim struct{ base *url.URL }

func (t toSim) Do(r *http.Request) (*http.Response, error) {
	r.URL.Scheme, r.URL.Host = t.base.Scheme, t.base.Host
	return http.DefaultTransport.RoundTrip(r)
}

type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, messages.Envelope) error { return nil }

func simSite(t *testing.T, a sim.AppInfo) messages.Site {
	t.Helper()
	id, err := kudu.ParseSiteID(a.ResourceID)
	if err != nil {
		t.Fatal(err)
	}
	return messages.Site{ResourceID: a.ResourceID, SubscriptionID: id.Subscription, ResourceGroup: id.ResourceGroup, Name: id.Name, Slot: id.Slot}
}

// TestLeakingProcessIsDumpedOnceBeforeRecycle drives the memory watch
// against the simulator: the app's w3wp leaks; a privateBytesInKB rule
// below the proactive recycle line fires; the pipeline dumps the process
// once (the rule's cooldown holds), while it is still below 90 % of the
// process limit, i.e. before App Service would have recycled it.
func TestLeakingProcessIsDumpedOnceBeforeRecycle(t *testing.T) {
	const (
		base  = 1 << 30        // 1 GiB at start
		leak  = 200 << 20      // 200 MiB per second of process age
		limit = int64(4 << 30) // the worker size's per-process limit
	)
	// The leak starts with the test (the simulated processes started long
	// ago; the leak is what is new).
	t0 := time.Now()
	srv, err := sim.New(sim.Config{Apps: 1, Instances: 2, DumpSize: 1 << 20, DumpWriteTime: 5 * time.Millisecond,
		Script: &sim.Script{PrivateBytes: func(app, inst string, age time.Duration) int64 {
			return base + int64(time.Since(t0).Seconds()*leak)
		}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	info := srv.Info()
	site := simSite(t, info.Apps[0])

	arm, err := kudu.NewARM(kudu.ARMConfig{BaseURL: info.ARMURL, SCMURLTemplate: info.SCMURLTemplate})
	if err != nil {
		t.Fatal(err)
	}
	reader := &autoheal.KuduReader{ARM: arm, NewClient: func(scm string) (*kudu.Client, error) {
		return kudu.New(kudu.Config{SCMURL: scm})
	}}
	rules, err := autoheal.ParseFile([]byte(`{"rules":[{"name":"leak-guard","triggers":{"privateBytesInKB":2097152},
		"action":{"kind":"collect","dump_type":"full"},"limits":{"cooldown":"01:00:00"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bucket, err := fileblob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	eng, err := worker.New(worker.NewKuduClient(arm, kudu.Config{}, worker.KuduOptions{}), bucket, nopPublisher{}, nil, worker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var rec captures
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runner := &autoheal.Runner{
		Evaluator: autoheal.NewEvaluator(rules),
		Sources:   []autoheal.Source{&autoheal.MemoryWatch{Reader: reader, Sites: []string{site.ResourceID}, Interval: 100 * time.Millisecond}},
		Interval:  100 * time.Millisecond,
		Act:       rec.act(t, eng, site),
	}
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx) }()
	// Let the leak run well past the rule's threshold (2 GiB at ~5 s of
	// age) and for several more evaluations after the first firing.
	deadline := time.Now().Add(25 * time.Second)
	for time.Now().Before(deadline) {
		if fs, _ := rec.got(); len(fs) >= 2 {
			break // one per instance is the most expected
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	firings, results := rec.got()
	if len(firings) != 2 {
		t.Fatalf("rule fired %d times, want once on each of the 2 instances", len(firings))
	}
	seen := map[string]bool{}
	for i, f := range firings {
		if seen[f.Instance] {
			t.Fatalf("instance %s acted on twice", f.Instance)
		}
		seen[f.Instance] = true
		if !strings.Contains(f.Reason, "private bytes") {
			t.Fatalf("reason %q", f.Reason)
		}
		res := results[i]
		if res == nil || len(res.Completed.Targets) != 1 || res.Completed.Targets[0].Outcome != messages.OutcomeCaptured {
			t.Fatalf("capture for firing %+v: %+v", f, res)
		}
	}
	// Every dump the simulator served was taken below 90 % of the limit:
	// before proactive auto-heal's recycle (which also needs 30 s above).
	if err := srv.Settle(context.Background()); err != nil {
		t.Fatal(err)
	}
	dumps := 0
	for _, ev := range srv.Events() {
		if ev.Kind == sim.EventDump {
			dumps++
		}
	}
	if dumps != 2 {
		t.Fatalf("simulator served %d dumps, want 2 (one per leaking process)", dumps)
	}
	// Proactive auto-heal recycles 30 s after private bytes pass 90 % of
	// the limit; the dump must come before that.
	overAt := (float64(limit)*0.9 - base) / leak // seconds of age
	recycleAge := time.Duration(overAt*1e9) + 30*time.Second
	recycleAt := t0.Add(recycleAge)
	for _, f := range firings {
		if !f.At.Before(recycleAt) {
			t.Fatalf("fired at %s after the leak began, after the proactive recycle at %s", f.At.Sub(t0), recycleAge)
		}
	}
}

// TestMetricsThroughSimulator reads request metrics from the simulator's
// Azure Monitor route with the SDK's metrics client: one instance answers
// 5xx for every request, the other is healthy; a statusCodesRange rule
// fires on the failing instance only.
func TestMetricsThroughSimulator(t *testing.T) {
	var failing string
	srv, err := sim.New(sim.Config{Apps: 1, Instances: 2, Script: &sim.Script{
		Requests: func(app, inst string, minute time.Time) sim.MinuteMetrics {
			if inst == failing {
				return sim.MinuteMetrics{Requests: 40, Http5xx: 40, AvgResponseSeconds: 0.5}
			}
			return sim.MinuteMetrics{Requests: 100, Http2xx: 100, AvgResponseSeconds: 0.1}
		}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	info := srv.Info()
	failing = info.Apps[0].Instances[1]
	base, _ := url.Parse(srv.URL)
	mc, err := autoheal.NewMetricsClient("https://sim.invalid", fakeCred{}, toSim{base})
	if err != nil {
		t.Fatal(err)
	}
	rules, err := autoheal.ParseFile([]byte(`{"rules":[{"name":"errors","triggers":{"statusCodesRange":[{"statusCodes":"500-599","count":100,"timeInterval":"00:05:00"}]},
		"action":{"kind":"collect","dump_type":"mini"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ev := autoheal.NewEvaluator(rules)
	m := autoheal.NewMetrics(mc, []string{info.Apps[0].ResourceID})
	m.Interval = time.Hour // one poll
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, ev) }()
	var fired []autoheal.Firing
	for i := 0; i < 100 && len(fired) == 0; i++ {
		time.Sleep(50 * time.Millisecond)
		fired = ev.Evaluate(time.Now())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(fired) != 1 || fired[0].Trigger != "statusCodesRange[0]" {
		t.Fatalf("firings %+v, want one statusCodesRange firing", fired)
	}
	// The instance is named by its machine name (the metrics' Instance
	// dimension): find which instance id it is through Kudu.
	cl, err := kudu.New(kudu.Config{SCMURL: info.Apps[0].SCMURL})
	if err != nil {
		t.Fatal(err)
	}
	ic, err := cl.Instance(failing)
	if err != nil {
		t.Fatal(err)
	}
	id, err := ic.VerifyInstance(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if fired[0].Instance != id.MachineName {
		t.Fatalf("fired on %s, want the failing instance %s", fired[0].Instance, id.MachineName)
	}
}

// captures records what an auto-heal Act did: each firing, and the worker's
// result for the capture job made from it.
type captures struct {
	mu      sync.Mutex
	firings []autoheal.Firing
	results []*worker.JobResult
}

// act returns an Act that turns each firing into a capture job for site,
// as ingest does, runs it on eng and records both.
func (c *captures) act(t *testing.T, eng *worker.Engine, site messages.Site) func(context.Context, autoheal.Firing) error {
	return func(ctx context.Context, f autoheal.Firing) error {
		trig, act, sel, ok := f.Capture()
		if !ok {
			t.Errorf("rule %s produced no capture", f.Rule)
			return nil
		}
		inc := f.IncidentID()
		job := &messages.CaptureJob{JobID: messages.JobID(inc, site), IncidentID: inc, Site: site,
			IncidentTime: f.At, Trigger: trig, Action: act, Selector: sel}
		if err := job.Validate(); err != nil {
			return err
		}
		res, err := eng.Capture(ctx, job)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.firings = append(c.firings, f)
		c.results = append(c.results, res)
		return err
	}
}

// got returns what was recorded so far.
func (c *captures) got() ([]autoheal.Firing, []*worker.JobResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]autoheal.Firing(nil), c.firings...), append([]*worker.JobResult(nil), c.results...)
}
