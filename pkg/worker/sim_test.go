package worker

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

const simIncident = "20260301t101500-aaaabbbbccccdddd"

func TestSimFanOutAppsAndInstances(t *testing.T) {
	srv, k := startSim(t, sim.Config{Apps: 3, Instances: 3, Seed: 1, DumpWriteTime: 20 * time.Millisecond})
	dir := t.TempDir()
	pub := &memPublisher{}
	e := simEngine(t, k, dir, pub, nil)
	apps := srv.Info().Apps
	var wg sync.WaitGroup
	results := make([]*JobResult, len(apps))
	errs := make([]error, len(apps))
	for i, a := range apps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.Capture(bg, simJob(t, simIncident, a, messages.Action{}, messages.Selector{}))
		}()
	}
	wg.Wait()
	truth := map[string]string{} // app/instance/pid → sha256
	for _, ev := range simEvents(srv, sim.EventDump) {
		if ev.Complete {
			truth[fmt.Sprintf("%s/%s/%d", ev.App, ev.Instance, ev.PID)] = ev.SHA256
		}
	}
	for i, a := range apps {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		c := results[i].Completed
		if got := outcomes(c)[messages.OutcomeCaptured]; got != 3 || len(c.Targets) != 3 {
			t.Fatalf("app %s: %+v", a.Name, c.Targets)
		}
		for _, tr := range c.Targets {
			want := truth[fmt.Sprintf("%s/%s/%d", a.Name, tr.Instance, tr.PID)]
			if want == "" || tr.SHA256 != want || tr.Attempts != 1 {
				t.Errorf("%s %s pid %d: sha %s attempts %d, simulator sent %q", a.Name, tr.Instance, tr.PID, tr.SHA256, tr.Attempts, want)
			}
		}
	}
	if len(truth) != 9 {
		t.Errorf("simulator served %d complete dumps, want 9", len(truth))
	}
	if n := pub.count(messages.TypeDumpCaptured); n != 9 {
		t.Errorf("published %d dump_captured", n)
	}
}

func TestSimTransientFaultsAreRetried(t *testing.T) {
	cases := []struct {
		name   string
		faults sim.Faults
	}{
		{"5xx", sim.Faults{Seed: 3, ErrorRate: 0.4}},
		{"429", sim.Faults{Seed: 4, ThrottleRate: 0.15, RetryAfter: time.Second}},
		{"mid-stream reset", sim.Faults{Seed: 5, ResetRate: 0.6}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, k := startSim(t, sim.Config{Apps: 1, Instances: 2, Seed: 2, Faults: tc.faults})
			e := simEngine(t, k, t.TempDir(), nil, nil)
			res, err := e.Capture(bg, simJob(t, simIncident, srv.Info().Apps[0], messages.Action{}, messages.Selector{}))
			if err != nil {
				t.Fatal(err)
			}
			if res.Completed.Error != "" || outcomes(res.Completed)[messages.OutcomeCaptured] != 2 {
				t.Fatalf("job %q targets %+v", res.Completed.Error, res.Completed.Targets)
			}
			retried := 0
			for _, tr := range res.Completed.Targets {
				if tr.Attempts > 1 {
					retried++
				}
			}
			cut := 0
			for _, ev := range simEvents(srv, sim.EventDump) {
				if !ev.Complete {
					cut++
				}
			}
			if retried == 0 && tc.name == "mid-stream reset" {
				t.Fatalf("no dump was retried (faults %d, cut dumps %d); the test proves nothing", len(simEvents(srv, sim.EventFault)), cut)
			}
			if len(simEvents(srv, sim.EventFault))+cut == 0 {
				t.Fatal("the simulator injected no fault; the test proves nothing")
			}
		})
	}
}

func TestSimUnauthorizedIsNotRetried(t *testing.T) {
	srv, _ := startSim(t, sim.Config{Apps: 1, Instances: 1, Auth: sim.Auth{Password: "right"}})
	// ARM is public in this test; the Kudu calls carry a wrong password.
	e := simEngine(t, simKudu(t, srv.Info(), KuduOptions{}), t.TempDir(), nil, nil)
	res, err := e.Capture(bg, simJob(t, simIncident, srv.Info().Apps[0], messages.Action{}, messages.Selector{}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Completed.Error == "" && outcomes(res.Completed)[messages.OutcomeFailed] == 0 {
		t.Fatalf("no failure reported: %+v", res.Completed)
	}
	all := res.Completed.Error
	for _, tr := range res.Completed.Targets {
		all += tr.Reason
		if tr.Attempts > 1 {
			t.Errorf("401 retried %d times", tr.Attempts)
		}
	}
	if !strings.Contains(all, "401") {
		t.Errorf("reason does not name the 401: %q", all)
	}
}

// vanishing removes another instance of the app the first time a dump
// starts, so that its turn finds it gone.
type vanishing struct {
	Kudu
	once sync.Once
	srv  *sim.Server
	app  string
	gone string
}

func (v *vanishing) Dump(ctx context.Context, req DumpRequest) (io.ReadCloser, int64, error) {
	v.once.Do(func() {
		for _, id := range v.srv.Info().Apps[0].Instances {
			if id != req.Instance {
				v.gone = id
				_ = v.srv.RemoveInstance(v.app, id)
				return
			}
		}
	})
	return v.Kudu.Dump(ctx, req)
}

func TestSimInstanceVanishingMidJob(t *testing.T) {
	srv, k := startSim(t, sim.Config{Apps: 1, Instances: 2, Seed: 7})
	a := srv.Info().Apps[0]
	v := &vanishing{Kudu: k, srv: srv, app: a.Name}
	e := simEngine(t, v, t.TempDir(), nil, nil)
	res, err := e.Capture(bg, simJob(t, simIncident, a, messages.Action{Strategy: messages.StrategyDirect}, messages.Selector{}))
	if err != nil {
		t.Fatal(err)
	}
	if v.gone == "" {
		t.Fatal("no instance removed")
	}
	var gone, kept int
	for _, tr := range res.Completed.Targets {
		switch {
		case tr.Instance == v.gone:
			gone++
			if tr.Outcome != messages.OutcomeFailed || !strings.Contains(tr.Reason, "instance no longer exists") {
				t.Errorf("vanished instance: %+v", tr)
			}
			if tr.DumpKey != "" {
				t.Errorf("vanished instance has a dump key")
			}
		case tr.Outcome == messages.OutcomeCaptured:
			kept++
		}
	}
	if gone != 1 || kept != 1 {
		t.Fatalf("targets %+v", res.Completed.Targets)
	}
	// Nothing was dumped on the instance that answered in its place.
	dumps := 0
	for _, ev := range simEvents(srv, sim.EventDump) {
		if ev.Complete {
			dumps++
		}
	}
	if dumps != 1 {
		t.Errorf("simulator served %d dumps, want 1", dumps)
	}
}

func TestSimSCMNeverDumpedOrKilled(t *testing.T) {
	srv, k := startSim(t, sim.Config{Apps: 1, Instances: 2, Seed: 8, WebJobs: true})
	a := srv.Info().Apps[0]
	st := simSite(t, a)
	var scm []int
	for _, inst := range a.Instances {
		ps, err := k.Processes(bg, st, inst)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			d, err := k.Process(bg, st, inst, p.PID)
			if err == nil && d.IsSCM {
				scm = append(scm, p.PID)
			}
		}
	}
	if len(scm) == 0 {
		t.Fatal("no SCM process found in the simulator")
	}
	e := simEngine(t, k, t.TempDir(), nil, func(c *Config) { c.KillBudget.Max = 100 })
	sels := []messages.Selector{{Names: []string{"w3wp"}}, {PIDs: scm}, {NameRegex: "."}, {Largest: true, NameRegex: "w3wp"}}
	for i, sel := range sels {
		job := simJob(t, fmt.Sprintf("20260301t101500-%016d", i), a, messages.Action{Kill: true}, sel)
		if _, err := e.Capture(bg, job); err != nil {
			t.Fatal(err)
		}
	}
	for _, ev := range srv.Events() {
		for _, p := range scm {
			if (ev.Kind == sim.EventDump && ev.PID == p) || (ev.Kind == sim.EventKill && (ev.PID == p || containsInt(ev.Killed, p))) {
				t.Errorf("SCM pid %d touched: %+v", p, ev)
			}
		}
	}
	if len(simEvents(srv, sim.EventKill)) == 0 {
		t.Error("no kill happened at all; the test proves nothing")
	}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestSimRedeliveryDoesNotDumpAgain(t *testing.T) {
	srv, k := startSim(t, sim.Config{Apps: 1, Instances: 3, Seed: 9})
	dir := t.TempDir()
	job := simJob(t, simIncident, srv.Info().Apps[0], messages.Action{}, messages.Selector{})
	first, err := simEngine(t, k, dir, nil, nil).Capture(bg, job)
	if err != nil {
		t.Fatal(err)
	}
	// A second worker (a new engine on the same bucket) gets the job again.
	second, err := simEngine(t, k, dir, nil, nil).Capture(bg, job)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(simEvents(srv, sim.EventDump)); n != 3 {
		t.Errorf("simulator served %d dumps for 3 targets over two deliveries", n)
	}
	for i, tr := range second.Completed.Targets {
		f := first.Completed.Targets[i]
		if tr.Outcome != messages.OutcomeCaptured || tr.SHA256 != f.SHA256 || tr.Bytes != f.Bytes || tr.DumpKey != f.DumpKey {
			t.Errorf("redelivery %+v vs first %+v", tr, f)
		}
	}
}

func TestSimKillBudgetAndCoolOff(t *testing.T) {
	srv, k := startSim(t, sim.Config{Apps: 1, Instances: 3, Seed: 10})
	a := srv.Info().Apps[0]
	dir := t.TempDir()
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := simEngine(t, k, dir, nil, func(c *Config) {
		c.KillBudget = KillBudget{Max: 1, Window: time.Hour, CoolOff: 3 * time.Hour}
		c.Now = clock
	})
	res, err := e.Capture(bg, simJob(t, "20260301t101500-0000000000000001", a, messages.Action{Kill: true, Strategy: messages.StrategyDirect}, messages.Selector{}))
	if err != nil {
		t.Fatal(err)
	}
	var done, denied int
	for _, tr := range res.Completed.Targets {
		if tr.Kill == nil {
			t.Fatalf("no kill result: %+v", tr)
		}
		if tr.Kill.Done {
			done++
			if tr.Kill.NewPID == 0 || tr.Kill.NewPID == tr.PID {
				t.Errorf("new w3wp pid not noted: %+v", tr.Kill)
			}
		} else {
			denied++
			if !strings.Contains(tr.Kill.Reason, "budget") && !strings.Contains(tr.Kill.Reason, "cool-off") {
				t.Errorf("denied without a budget reason: %q", tr.Kill.Reason)
			}
		}
	}
	if done != 1 || denied != 2 {
		t.Fatalf("kills done %d denied %d, want 1 and 2", done, denied)
	}
	if n := len(simEvents(srv, sim.EventKill)); n != 1 {
		t.Errorf("simulator saw %d kills", n)
	}
	// After the window but inside the cool-off, a new worker (shared state)
	// still may not kill. Budgets run on the storage's clock, so time
	// passes by ageing the stored state.
	site := simJob(t, "20260301t101500-0000000000000001", a, messages.Action{}, messages.Selector{}).Site.Segment()
	ageKillState(t, dir, site, 2*time.Hour)
	e2 := simEngine(t, k, dir, nil, func(c *Config) {
		c.KillBudget = KillBudget{Max: 1, Window: time.Hour, CoolOff: 3 * time.Hour}
		c.Now = clock
	})
	res, err = e2.Capture(bg, simJob(t, "20260301t101500-0000000000000002", a, messages.Action{Kill: true}, messages.Selector{MaxCount: 1}))
	if err != nil {
		t.Fatal(err)
	}
	if kl := res.Completed.Targets[0].Kill; kl == nil || kl.Done || !strings.Contains(kl.Reason, "disabled until") {
		t.Fatalf("kill inside cool-off: %+v", kl)
	}
	// After the cool-off, kills are allowed again.
	ageKillState(t, dir, site, 2*time.Hour)
	res, err = e2.Capture(bg, simJob(t, "20260301t101500-0000000000000003", a, messages.Action{Kill: true}, messages.Selector{MaxCount: 1}))
	if err != nil {
		t.Fatal(err)
	}
	if kl := res.Completed.Targets[0].Kill; kl == nil || !kl.Done {
		t.Fatalf("kill after cool-off: %+v", kl)
	}
	if n := len(simEvents(srv, sim.EventKill)); n != 2 {
		t.Errorf("simulator saw %d kills, want 2", n)
	}
}

func TestSimFirstByteLimitIsReportedWithAdvice(t *testing.T) {
	srv, err := sim.New(sim.Config{Apps: 1, Instances: 1, DumpWriteTime: 400 * time.Millisecond, FirstByteLimit: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	k := simKudu(t, srv.Info(), KuduOptions{FirstByteLimit: 100 * time.Millisecond})
	e := simEngine(t, k, t.TempDir(), nil, nil)
	res, err := e.Capture(bg, simJob(t, simIncident, srv.Info().Apps[0], messages.Action{Strategy: messages.StrategyDirect}, messages.Selector{}))
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Completed.Targets[0]
	if tr.Outcome != messages.OutcomeFailed || tr.Attempts != 1 || !strings.Contains(tr.Reason, "first-byte limit") || !strings.Contains(tr.Reason, AdviceStaged) {
		t.Fatalf("%+v", tr)
	}
}

func TestSimStagedStrategy(t *testing.T) {
	srv, k := startSim(t, sim.Config{Apps: 1, Instances: 3, Seed: 13, DumpWriteTime: 100 * time.Millisecond})
	e := simEngine(t, k, t.TempDir(), nil, func(c *Config) { c.StagedPerSite = 3 })
	res, err := e.Capture(bg, simJob(t, simIncident, srv.Info().Apps[0], messages.Action{Strategy: messages.StrategyStaged, DumpType: messages.DumpFull}, messages.Selector{}))
	if err != nil {
		t.Fatal(err)
	}
	truth := map[string]string{}
	for _, ev := range simEvents(srv, sim.EventStagedDump) {
		truth[fmt.Sprintf("%s/%d", ev.Instance, ev.PID)] = ev.SHA256
	}
	if len(truth) != 3 {
		t.Errorf("simulator recorded %d staged dumps, want 3", len(truth))
	}
	for _, tr := range res.Completed.Targets {
		if tr.Outcome != messages.OutcomeCaptured || tr.Bytes != 1<<20 {
			t.Fatalf("%+v", tr)
		}
		if want := truth[fmt.Sprintf("%s/%d", tr.Instance, tr.PID)]; want != "" && want != tr.SHA256 {
			t.Errorf("sha256 %s, simulator wrote %s", tr.SHA256, want)
		}
	}
	if len(res.Completed.Targets) != 3 {
		t.Fatalf("%d targets", len(res.Completed.Targets))
	}
}

// exitingFirst kills each target through Kudu just before dumping it, so
// the dump meets a real 404 from the simulator.
type exitingFirst struct{ Kudu }

func (x exitingFirst) Dump(ctx context.Context, req DumpRequest) (io.ReadCloser, int64, error) {
	if err := x.Kudu.Kill(ctx, req.Site, req.Instance, req.PID); err != nil {
		return nil, 0, err
	}
	return x.Kudu.Dump(ctx, req)
}

func TestSimExitedProcessIsNotRetried(t *testing.T) {
	srv, k := startSim(t, sim.Config{Apps: 1, Instances: 1, Seed: 14, NoRespawn: true})
	e := simEngine(t, exitingFirst{k}, t.TempDir(), nil, nil)
	res, err := e.Capture(bg, simJob(t, simIncident, srv.Info().Apps[0], messages.Action{}, messages.Selector{}))
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Completed.Targets[0]
	if tr.Outcome != messages.OutcomeFailed || tr.Attempts != 1 || !strings.Contains(tr.Reason, "HTTP 404") {
		t.Fatalf("%+v", tr)
	}
}

// TestSimForbiddenIsNotRetried: a stopped app's Kudu answers 403 with an
// HTML page (kudu-api.md §6). The job reports the failure, naming the 403,
// and the engine does not hammer the app with retries.
func TestSimForbiddenIsNotRetried(t *testing.T) {
	srv, _ := startSim(t, sim.Config{Apps: 2, Instances: 2, StoppedApps: []string{"app2"}})
	info := srv.Info()
	e := simEngine(t, simKudu(t, info, KuduOptions{}), t.TempDir(), nil, nil)
	res, err := e.Capture(bg, simJob(t, simIncident, info.Apps[1], messages.Action{}, messages.Selector{}))
	if err != nil {
		t.Fatal(err)
	}
	all := res.Completed.Error
	for _, tr := range res.Completed.Targets {
		all += tr.Reason
		if tr.Outcome != messages.OutcomeFailed {
			t.Errorf("target %+v of a stopped app not failed", tr)
		}
		if tr.Attempts > 1 {
			t.Errorf("403 retried %d times", tr.Attempts)
		}
	}
	if res.Completed.Error == "" && len(res.Completed.Targets) == 0 {
		t.Fatalf("no failure reported: %+v", res.Completed)
	}
	if !strings.Contains(all, "403") {
		t.Errorf("reason does not name the 403: %q", all)
	}
	// One refused request per instance at most: nothing was retried.
	if n := len(simEvents(srv, sim.EventFault)); n == 0 || n > len(info.Apps[1].Instances) {
		t.Errorf("%d refused requests to the stopped app for %d instances", n, len(info.Apps[1].Instances))
	}
	// The running app is unaffected.
	ok, err := e.Capture(bg, simJob(t, simIncident, info.Apps[0], messages.Action{}, messages.Selector{}))
	if err != nil || outcomes(ok.Completed)[messages.OutcomeCaptured] != 2 {
		t.Fatalf("running app: %+v %v", ok, err)
	}
}
