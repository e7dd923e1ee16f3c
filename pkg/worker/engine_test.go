package worker

import (
	"context"
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
)

var incidentTime = time.Date(2026, 3, 1, 10, 15, 0, 0, time.UTC)

func testSite(name string) messages.Site {
	return messages.Site{
		ResourceID:     "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Web/sites/" + name,
		SubscriptionID: "sub1", ResourceGroup: "rg1", Name: name,
	}
}

func testJob(site string, a messages.Action, s messages.Selector) *messages.CaptureJob {
	inc := "20260301t101500-00112233aabbccdd"
	st := testSite(site)
	if a.DumpType == "" {
		a.DumpType = messages.DumpMini
	}
	return &messages.CaptureJob{
		JobID: messages.JobID(inc, st), IncidentID: inc, Site: st, IncidentTime: incidentTime,
		Trigger: messages.Trigger{Kind: "alert", Source: "azure-common", Rule: "high-memory", FiredAt: incidentTime},
		Action:  a, Selector: s,
	}
}

func fastConfig() Config {
	return Config{
		Concurrency: 8,
		Retry:       RetryPolicy{MaxAttempts: 4, InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond, MaxElapsed: 5 * time.Second},
		LockPollMin: 2 * time.Millisecond, LockPollMax: 10 * time.Millisecond,
		KillConfirmPoll: 2 * time.Millisecond, KillConfirmTimeout: time.Second,
	}
}

func newTestEngine(t *testing.T, k Kudu, b *memBucket, pub Publisher, cfg Config) *Engine {
	t.Helper()
	e, err := New(k, b, pub, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func outcomes(c messages.JobCompleted) map[string]int {
	m := map[string]int{}
	for _, t := range c.Targets {
		m[t.Outcome]++
	}
	return m
}

func TestCaptureDefaultSelectsAppW3WPOnEveryInstance(t *testing.T) {
	k := newFakeKudu()
	k.addSite("shop", 3)
	b := newMemBucket()
	pub := &memPublisher{}
	e := newTestEngine(t, k, b, pub, fastConfig())
	job := testJob("shop", messages.Action{Analyze: true}, messages.Selector{})
	res, err := e.Capture(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(res.Completed); got[messages.OutcomeCaptured] != 3 || len(res.Completed.Targets) != 3 {
		t.Fatalf("targets = %+v", res.Completed.Targets)
	}
	if len(res.Completed.Instances) != 3 {
		t.Errorf("instances = %v", res.Completed.Instances)
	}
	for _, tr := range res.Completed.Targets {
		if want := k.appPID("shop", tr.Instance); tr.PID != want || tr.Process != "w3wp" {
			t.Errorf("target %s pid %d %s, want app w3wp %d", tr.Instance, tr.PID, tr.Process, want)
		}
		a, err := b.Attributes(context.Background(), tr.DumpKey)
		if err != nil {
			t.Fatalf("dump %s not stored: %v", tr.DumpKey, err)
		}
		want := map[string]string{MetaSHA256: tr.SHA256, MetaBytes: "4096", MetaProcess: "w3wp", MetaApp: "shop",
			MetaPID: fmt.Sprint(tr.PID), MetaInstance: tr.Instance, MetaDumpType: "mini", MetaIncident: job.IncidentID, MetaTrigger: "alert:azure-common"}
		for mk, mv := range want {
			if a.Metadata[mk] != mv {
				t.Errorf("metadata %s = %q, want %q", mk, a.Metadata[mk], mv)
			}
		}
		if !strings.HasPrefix(tr.DumpKey, "dumps/2026-03-01/"+job.IncidentID+"/shop/") {
			t.Errorf("key %s", tr.DumpKey)
		}
	}
	if n := pub.count(messages.TypeDumpCaptured); n != 3 {
		t.Errorf("dump_captured sent %d, want 3", n)
	}
	if n := pub.count(messages.TypeJobCompleted); n != 1 {
		t.Errorf("job_completed sent %d, want 1", n)
	}
	if err := res.Completed.Validate(); err != nil {
		t.Errorf("JobCompleted invalid: %v", err)
	}
}

func TestCaptureRetriesTransientFaults(t *testing.T) {
	transient := &KuduError{Kind: ErrorKindTransient, StatusCode: 503, Err: errors.New("503 service unavailable")}
	throttled := &KuduError{Kind: ErrorKindTransient, StatusCode: 429, RetryAfter: 30 * time.Millisecond, Err: errors.New("429")}
	reset := &KuduError{Kind: ErrorKindTransient, Err: errors.New("connection reset by peer")}
	cases := []struct {
		name     string
		faults   []fault
		attempts int
		minWait  time.Duration
	}{
		{"5xx", []fault{{err: transient}, {err: transient}}, 3, 0},
		{"429 Retry-After", []fault{{err: throttled}}, 2, 30 * time.Millisecond},
		{"mid-stream reset", []fault{{failAt: 1000, readErr: reset}}, 2, 0},
		{"truncated body", []fault{{truncate: 2000}}, 2, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeKudu()
			k.addSite("app", 1)
			inst := k.instances["app"][0]
			pid := k.appPID("app", inst)
			k.dumpFaults[fmt.Sprintf("app/%s/%d", inst, pid)] = tc.faults
			b := newMemBucket()
			e := newTestEngine(t, k, b, nil, fastConfig())
			start := time.Now()
			res, err := e.Capture(context.Background(), testJob("app", messages.Action{}, messages.Selector{}))
			if err != nil {
				t.Fatal(err)
			}
			tr := res.Completed.Targets[0]
			if tr.Outcome != messages.OutcomeCaptured || tr.Attempts != tc.attempts {
				t.Fatalf("outcome %s attempts %d (%s), want captured after %d", tr.Outcome, tr.Attempts, tr.Reason, tc.attempts)
			}
			if el := time.Since(start); el < tc.minWait {
				t.Errorf("finished after %v, Retry-After was %v", el, tc.minWait)
			}
			data := b.data(tr.DumpKey)
			if len(data) != 4096 || string(data[:4]) != "MDMP" {
				t.Errorf("stored %d bytes", len(data))
			}
		})
	}
}

func TestCapturePermanentFaultsAreNotRetried(t *testing.T) {
	cases := []struct {
		name   string
		f      fault
		reason string
	}{
		{"401", fault{err: &KuduError{Kind: ErrorKindAuth, StatusCode: 401, Err: errors.New("unauthorized")}}, "refused the request (HTTP 401)"},
		{"403", fault{err: &KuduError{Kind: ErrorKindAuth, StatusCode: 403, Err: errors.New("forbidden")}}, "(HTTP 403)"},
		{"404", fault{err: &KuduError{Kind: ErrorKindNotFound, StatusCode: 404, Err: errors.New("not running")}}, "no longer running"},
		{"first-byte limit", fault{err: &KuduError{Kind: ErrorKindFirstByteLimit, Err: errors.New("no headers")}}, AdviceStaged},
		{"corrupt", fault{corrupt: true}, "corrupt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeKudu()
			k.addSite("app", 1)
			inst := k.instances["app"][0]
			pid := k.appPID("app", inst)
			k.dumpFaults[fmt.Sprintf("app/%s/%d", inst, pid)] = []fault{tc.f, tc.f, tc.f, tc.f}
			b := newMemBucket()
			pub := &memPublisher{}
			e := newTestEngine(t, k, b, pub, fastConfig())
			res, err := e.Capture(context.Background(), testJob("app", messages.Action{Kill: true}, messages.Selector{}))
			if err != nil {
				t.Fatal(err)
			}
			tr := res.Completed.Targets[0]
			if tr.Outcome != messages.OutcomeFailed || tr.Attempts != 1 || !strings.Contains(tr.Reason, tc.reason) {
				t.Fatalf("got %s after %d attempts: %q; want failed after 1 with %q", tr.Outcome, tr.Attempts, tr.Reason, tc.reason)
			}
			if c := k.calls("app", inst, pid); c != 1 {
				t.Errorf("dump called %d times", c)
			}
			if keys := b.keys("dumps/"); len(keys) != 0 {
				t.Errorf("a failed dump was stored: %v", keys)
			}
			if len(k.killCalls) != 0 || tr.Kill != nil {
				t.Errorf("killed after a failed dump: %v", k.killCalls)
			}
			if pub.count(messages.TypeDumpCaptured) != 0 || pub.count(messages.TypeJobCompleted) != 1 {
				t.Errorf("published %+v", pub.envs)
			}
		})
	}
}

func TestCaptureGivesUpAfterMaxAttempts(t *testing.T) {
	k := newFakeKudu()
	k.addSite("app", 1)
	inst := k.instances["app"][0]
	pid := k.appPID("app", inst)
	f := fault{truncate: 100}
	k.dumpFaults[fmt.Sprintf("app/%s/%d", inst, pid)] = []fault{f, f, f, f, f}
	b := newMemBucket()
	e := newTestEngine(t, k, b, nil, fastConfig())
	res, err := e.Capture(context.Background(), testJob("app", messages.Action{}, messages.Selector{}))
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Completed.Targets[0]
	if tr.Outcome != messages.OutcomeFailed || tr.Attempts != 4 || !strings.Contains(tr.Reason, "incomplete") {
		t.Fatalf("%+v", tr)
	}
	if len(b.keys("dumps/")) != 0 {
		t.Error("short dump stored")
	}
}

func TestCaptureRedeliveryDoesNotDumpAgain(t *testing.T) {
	for _, noMeta := range []bool{false, true} {
		t.Run(fmt.Sprintf("setMetadata=%v", !noMeta), func(t *testing.T) {
			k := newFakeKudu()
			k.addSite("app", 2)
			b := newMemBucket()
			b.noMeta = noMeta
			pub := &memPublisher{}
			e := newTestEngine(t, k, b, pub, fastConfig())
			job := testJob("app", messages.Action{}, messages.Selector{})
			first, err := e.Capture(context.Background(), job)
			if err != nil {
				t.Fatal(err)
			}
			second, err := e.Capture(context.Background(), job)
			if err != nil {
				t.Fatal(err)
			}
			for _, inst := range k.instances["app"] {
				if c := k.calls("app", inst, k.appPID("app", inst)); c != 1 {
					t.Errorf("instance %s dumped %d times", inst, c)
				}
			}
			if b.commits.Load() != 2 {
				t.Errorf("commits = %d", b.commits.Load())
			}
			for i, tr := range second.Completed.Targets {
				if tr.Outcome != messages.OutcomeCaptured || tr.SHA256 != first.Completed.Targets[i].SHA256 || tr.Bytes != 4096 {
					t.Errorf("redelivery target %+v, first %+v", tr, first.Completed.Targets[i])
				}
			}
			if n := pub.count(messages.TypeDumpCaptured); n != 4 {
				t.Errorf("dump_captured sent %d times, want 4 (re-sent on redelivery, deduplicated by id)", n)
			}
		})
	}
}

func TestSCMIsNeverDumpedOrKilled(t *testing.T) {
	k := newFakeKudu()
	k.addSite("app", 2)
	var pids []int
	for _, inst := range k.instances["app"] {
		pids = append(pids, k.scmPID("app", inst))
	}
	b := newMemBucket()
	e := newTestEngine(t, k, b, nil, fastConfig())
	for _, sel := range []messages.Selector{{}, {Names: []string{"w3wp"}}, {PIDs: pids}, {NameRegex: ".*"}, {Largest: true, Names: []string{"w3wp"}}} {
		res, err := e.Capture(context.Background(), testJob("app", messages.Action{Kill: true}, sel))
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range res.Completed.Targets {
			for _, p := range pids {
				if tr.PID == p && tr.Outcome != messages.OutcomeSkipped {
					t.Errorf("selector %+v: SCM pid %d had outcome %s", sel, p, tr.Outcome)
				}
			}
		}
	}
	for _, inst := range k.instances["app"] {
		if c := k.calls("app", inst, k.scmPID("app", inst)); c != 0 {
			t.Errorf("SCM dumped %d times", c)
		}
	}
	for _, kc := range k.killCalls {
		for _, p := range pids {
			if strings.HasSuffix(kc, fmt.Sprintf("/%d", p)) {
				t.Errorf("SCM killed: %s", kc)
			}
		}
	}
}

func TestDirectDumpsOfOneSiteAreSerializedAcrossEngines(t *testing.T) {
	k := newFakeKudu()
	k.addSite("one", 3)
	k.addSite("two", 3)
	k.dumpDelay = 20 * time.Millisecond
	b := newMemBucket()
	e1 := newTestEngine(t, k, b, nil, fastConfig())
	e2 := newTestEngine(t, k, b, nil, fastConfig())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	run := func(e *Engine, site string, sel messages.Selector) {
		defer wg.Done()
		res, err := e.Capture(context.Background(), testJob(site, messages.Action{Strategy: messages.StrategyDirect}, sel))
		mu.Lock()
		defer mu.Unlock()
		if err == nil && outcomes(res.Completed)[messages.OutcomeCaptured] == 0 {
			err = fmt.Errorf("nothing captured: %+v", res.Completed.Targets)
		}
		errs = append(errs, err)
	}
	wg.Add(4)
	// Two engines each run a job for the same two sites (different
	// selectors so that both dump).
	go run(e1, "one", messages.Selector{})
	go run(e2, "one", messages.Selector{Children: true})
	go run(e1, "two", messages.Selector{})
	go run(e2, "two", messages.Selector{Children: true})
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{"one", "two"} {
		if m := k.maxInflight[s]; m != 1 {
			t.Errorf("site %s had %d direct dumps at once", s, m)
		}
	}
}

func TestStagedDumpsOfOneSiteRunInParallel(t *testing.T) {
	k := newFakeKudu()
	k.addSite("one", 4)
	k.dumpDelay = 30 * time.Millisecond
	b := newMemBucket()
	cfg := fastConfig()
	cfg.StagedPerSite = 4
	e := newTestEngine(t, k, b, nil, cfg)
	res, err := e.Capture(context.Background(), testJob("one", messages.Action{Strategy: messages.StrategyStaged}, messages.Selector{}))
	if err != nil {
		t.Fatal(err)
	}
	if outcomes(res.Completed)[messages.OutcomeCaptured] != 4 {
		t.Fatalf("%+v", res.Completed.Targets)
	}
	if m := k.maxInflight["one"]; m < 2 {
		t.Errorf("staged dumps never overlapped (max %d in flight)", m)
	}
}

// racingKudu stores the dump's key (as another worker would) just after the
// engine checked for it, so the engine's commit finds it taken.
type racingKudu struct {
	*fakeKudu
	b   *memBucket
	key string
}

func (r *racingKudu) Dump(ctx context.Context, req DumpRequest) (io.ReadCloser, int64, error) {
	w, _ := r.b.NewWriter(ctx, r.key, &blob.WriterOptions{Metadata: map[string]string{MetaSHA256: strings.Repeat("ab", 32), MetaAttempts: "1"}})
	_, _ = w.Write(fakeDump("winner", 500))
	if err := w.Close(); err != nil {
		return nil, 0, err
	}
	return r.fakeKudu.Dump(ctx, req)
}

func TestCommitLosingTheRaceReportsTheWinner(t *testing.T) {
	k := newFakeKudu()
	k.addSite("app", 1)
	inst := k.instances["app"][0]
	job := testJob("app", messages.Action{}, messages.Selector{})
	b := newMemBucket()
	key := layout.DumpKey(job.IncidentTime, job.IncidentID, job.Site.Segment(), inst, "w3wp", k.appPID("app", inst))
	e := newTestEngine(t, &racingKudu{fakeKudu: k, b: b, key: key}, b, nil, fastConfig())
	res, err := e.Capture(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Completed.Targets[0]
	if tr.Outcome != messages.OutcomeCaptured || tr.DumpKey != key || tr.SHA256 != strings.Repeat("ab", 32) || tr.Bytes != 500 {
		t.Fatalf("%+v", tr)
	}
	if b.commits.Load() != 1 {
		t.Errorf("commits = %d, want only the winner's", b.commits.Load())
	}
}

// slowKill takes a while to kill, and records when dumps start and kills end.
type slowKill struct {
	*fakeKudu
	mu         sync.Mutex
	dumpStarts []time.Time
	killEnds   []time.Time
}

func (s *slowKill) Dump(ctx context.Context, req DumpRequest) (io.ReadCloser, int64, error) {
	s.mu.Lock()
	s.dumpStarts = append(s.dumpStarts, time.Now())
	s.mu.Unlock()
	return s.fakeKudu.Dump(ctx, req)
}

func (s *slowKill) Kill(ctx context.Context, site messages.Site, inst string, pid int) error {
	time.Sleep(150 * time.Millisecond)
	defer func() { s.mu.Lock(); s.killEnds = append(s.killEnds, time.Now()); s.mu.Unlock() }()
	return s.fakeKudu.Kill(ctx, site, inst, pid)
}

func TestKillsDoNotWaitBehindTheNextDirectDump(t *testing.T) {
	k := newFakeKudu()
	k.addSite("app", 2)
	sk := &slowKill{fakeKudu: k}
	cfg := fastConfig()
	cfg.KillBudget.Max = 10
	e := newTestEngine(t, sk, newMemBucket(), nil, cfg)
	res, err := e.Capture(context.Background(), testJob("app", messages.Action{Kill: true, Strategy: messages.StrategyDirect}, messages.Selector{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range res.Completed.Targets {
		if tr.Kill == nil || !tr.Kill.Done {
			t.Fatalf("%+v", tr)
		}
	}
	if len(sk.dumpStarts) != 2 || len(sk.killEnds) != 2 {
		t.Fatalf("dumps %d kills %d", len(sk.dumpStarts), len(sk.killEnds))
	}
	if !sk.dumpStarts[1].Before(sk.killEnds[0]) {
		t.Errorf("the second dump started only after the first kill ended")
	}
}
