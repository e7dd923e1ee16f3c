package autoheal_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/autoheal"
	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// webLogWorld is a three-instance simulated app that writes web server
// logs, a KuduReader on it, and the fixed clock both share.
type webLogWorld struct {
	srv    *sim.Server
	reader *autoheal.KuduReader
	site   string
	app    string
	ids    []string
	now    time.Time
}

func newWebLogWorld(t *testing.T, cfg sim.Config) *webLogWorld {
	t.Helper()
	w := &webLogWorld{now: time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)}
	cfg.Apps, cfg.Instances = 1, 3
	if cfg.WebLogs.Apps == nil {
		cfg.WebLogs.Apps = []string{"*"}
	}
	cfg.WebLogs.Now = func() time.Time { return w.now }
	srv, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	info := srv.Info()
	arm, err := kudu.NewARM(kudu.ARMConfig{BaseURL: info.ARMURL, SCMURLTemplate: info.SCMURLTemplate})
	if err != nil {
		t.Fatal(err)
	}
	w.srv, w.site, w.app, w.ids = srv, info.Apps[0].ResourceID, info.Apps[0].Name, info.Apps[0].Instances
	w.reader = &autoheal.KuduReader{ARM: arm, NewClient: func(scm string) (*kudu.Client, error) {
		return kudu.New(kudu.Config{SCMURL: scm})
	}}
	return w
}

func (w *webLogWorld) log(t *testing.T, inst int, reqs ...sim.LoggedRequest) {
	t.Helper()
	if err := w.srv.LogRequests(w.app, w.ids[inst], reqs...); err != nil {
		t.Fatal(err)
	}
}

// poll reads the logs twice, with IIS's periodic log flush in between:
// the first poll's own pinned Kudu requests then reach each instance's
// file, which is how the files are attributed.
func (w *webLogWorld) poll(t *testing.T, src *autoheal.WebLogs, ev *autoheal.Evaluator) {
	t.Helper()
	ctx := context.Background()
	src.Poll(ctx, ev)
	if err := w.srv.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	w.srv.FlushWebLogs()
	src.Poll(ctx, ev)
}

func slow(at time.Time, path string) sim.LoggedRequest {
	return sim.LoggedRequest{At: at, Path: path, Status: 200, TimeTaken: 6 * time.Second}
}

// TestSlowRequestsWithPathFromWebLogs is issue 17's "Done when": a
// slowRequestsWithPath rule fires from simulated W3C logs on the exact
// request count, not one request before, and never for another path.
func TestSlowRequestsWithPathFromWebLogs(t *testing.T) {
	w := newWebLogWorld(t, sim.Config{})
	rules, err := autoheal.ParseFile([]byte(`{"rules":[{"name":"slow-orders","triggers":{
		"slowRequestsWithPath":[{"path":"/api/orders/*","timeTaken":"00:00:05","count":5,"timeInterval":"00:01:00"}]},
		"action":{"kind":"log"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ev := autoheal.NewEvaluator(rules)
	src := &autoheal.WebLogs{Reader: w.reader, Sites: []string{w.site}, Now: func() time.Time { return w.now }, Keep: ev.Window()}
	now := w.now
	// Instance 0: four slow order requests, plus what must not count:
	// fast ones on the path, a slow one just outside the window, a slow
	// one elsewhere.
	for i := range 4 {
		w.log(t, 0, slow(now.Add(time.Duration(-40+i*5)*time.Second), fmt.Sprintf("/api/orders/%d", i)))
	}
	w.log(t, 0,
		sim.LoggedRequest{At: now.Add(-3 * time.Second), Path: "/api/orders/7", Status: 200, TimeTaken: 5 * time.Second}, // not slower than 5 s
		sim.LoggedRequest{At: now.Add(-2 * time.Second), Path: "/api/orders/8", Status: 200, TimeTaken: 40 * time.Millisecond},
		slow(now.Add(-60*time.Second), "/api/orders/old"), // window is (now-60s, now]
		slow(now.Add(-1*time.Second), "/api/products/1"))
	// Instance 1: many slow requests on another path.
	for i := range 8 {
		w.log(t, 1, slow(now.Add(time.Duration(-30+i)*time.Second), "/api/products/"+fmt.Sprint(i)))
	}
	w.poll(t, src, ev)
	if !src.Active(w.site) {
		t.Fatal("web logs are written, yet the source is not active")
	}
	if fs := ev.Evaluate(now); len(fs) != 0 {
		t.Fatalf("fired at count-1 or on another path: %+v", fs)
	}
	// The fifth slow order request on instance 0.
	w.log(t, 0, slow(now.Add(-time.Second), "/api/orders/42"))
	w.poll(t, src, ev)
	fs := ev.Evaluate(now)
	want, err := w.reader.MachineName(context.Background(), w.site, w.ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Instance != want || fs[0].Trigger != "slowRequestsWithPath[0]" || fs[0].Suppressed != "" {
		t.Fatalf("firings %+v, want one slowRequestsWithPath[0] on %s (instance 0)", fs, want)
	}
	if fs[0].Reason != "5 requests slower than 00:00:05 within 00:01:00 (threshold 5)" {
		t.Errorf("reason %q", fs[0].Reason)
	}
}

// Every request trigger evaluates per request from the logs: exact status
// with sub-status and win32 status, a status range, request counts.
func TestStatusTriggersFromWebLogs(t *testing.T) {
	w := newWebLogWorld(t, sim.Config{})
	rules, err := autoheal.ParseFile([]byte(`{"rules":[
		{"name":"s503","triggers":{"statusCodes":[{"status":503,"subStatus":2,"win32Status":64,"path":"/api/*","count":3,"timeInterval":"00:01:00"}]},"action":{"kind":"log"}},
		{"name":"r5xx","triggers":{"statusCodesRange":[{"statusCodes":"502-504","count":4,"timeInterval":"00:01:00"}]},"action":{"kind":"log"}},
		{"name":"busy","triggers":{"requests":{"count":6,"timeInterval":"00:01:00"}},"action":{"kind":"log"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ev := autoheal.NewEvaluator(rules)
	src := &autoheal.WebLogs{Reader: w.reader, Sites: []string{w.site}, Now: func() time.Time { return w.now }, Keep: ev.Window()}
	at := w.now.Add(-10 * time.Second)
	st := func(path string, status, sub, win32 int) sim.LoggedRequest {
		return sim.LoggedRequest{At: at, Path: path, Status: status, SubStatus: sub, Win32Status: win32, TimeTaken: time.Millisecond}
	}
	// Instance 2: three exact 503.2/64 under /api, one 503.2 with another
	// win32 status: s503 fires (3), r5xx fires (4), busy does not (4 < 6).
	w.log(t, 2, st("/api/a", 503, 2, 64), st("/api/b", 503, 2, 64), st("/api/c", 503, 2, 64), st("/api/d", 503, 2, 0))
	// Instance 1: exact codes off the path, and a 500 outside the range.
	w.log(t, 1, st("/home", 503, 2, 64), st("/home", 503, 2, 64), st("/home", 503, 2, 64), st("/x", 500, 0, 0), st("/x", 200, 0, 0), st("/y", 200, 0, 0))
	w.poll(t, src, ev)
	m1, _ := w.reader.MachineName(context.Background(), w.site, w.ids[1])
	m2, _ := w.reader.MachineName(context.Background(), w.site, w.ids[2])
	got := map[string]bool{}
	for _, f := range ev.Evaluate(w.now) {
		got[f.Rule+"@"+f.Instance] = true
	}
	want := map[string]bool{"s503@" + m2: true, "r5xx@" + m2: true, "busy@" + m1: true}
	if len(got) != len(want) {
		t.Fatalf("fired %v, want %v", got, want)
	}
	for k := range want {
		if !got[k] {
			t.Fatalf("fired %v, want %v", got, want)
		}
	}
}

// With s-computername logged, each line names its machine: no pinned
// request is needed to attribute a file.
func TestWebLogsComputerNameField(t *testing.T) {
	fields := append([]string{"s-computername"}, sim.DefaultWebLogFields...)
	w := newWebLogWorld(t, sim.Config{WebLogs: sim.WebLogs{Fields: fields}})
	rules, _ := autoheal.ParseFile([]byte(`{"rules":[{"name":"busy","triggers":{"requests":{"count":2,"timeInterval":"00:01:00"}},"action":{"kind":"log"}}]}`))
	ev := autoheal.NewEvaluator(rules)
	src := &autoheal.WebLogs{Reader: w.reader, Sites: []string{w.site}, Now: func() time.Time { return w.now }}
	w.log(t, 1, slow(w.now.Add(-time.Second), "/a"), slow(w.now.Add(-time.Second), "/b"))
	src.Poll(context.Background(), ev) // one poll: no Kudu request of ours is in the file yet
	fs := ev.Evaluate(w.now)
	m1, _ := w.reader.MachineName(context.Background(), w.site, w.ids[1])
	if len(fs) != 1 || fs[0].Instance != m1 {
		t.Fatalf("firings %+v, want busy on %s", fs, m1)
	}
}

// Logging off: no RawLogs folder, or no file written within Fresh; the
// metrics source then stays in charge of the site.
func TestWebLogsFallback(t *testing.T) {
	w := newWebLogWorld(t, sim.Config{WebLogs: sim.WebLogs{Apps: []string{"another-app"}}})
	ev := autoheal.NewEvaluator(&autoheal.File{})
	src := &autoheal.WebLogs{Reader: w.reader, Sites: []string{w.site}, Now: func() time.Time { return w.now }}
	src.Poll(context.Background(), ev)
	if src.Active(w.site) {
		t.Fatal("active without a RawLogs folder")
	}

	w2 := newWebLogWorld(t, sim.Config{})
	src2 := &autoheal.WebLogs{Reader: w2.reader, Sites: []string{w2.site}, Now: func() time.Time { return w2.now }}
	w2.log(t, 0, slow(w2.now, "/a"))
	src2.Poll(context.Background(), ev)
	if !src2.Active(w2.site) {
		t.Fatal("not active with a fresh log")
	}
	// The logs stop: an hour later nothing was written for 5 minutes.
	src2.Now = func() time.Time { return w2.now.Add(time.Hour) }
	src2.Poll(context.Background(), ev)
	if src2.Active(w2.site) {
		t.Fatal("still active an hour after the last log write")
	}
}

// Files rolled over by size: each is read from its start, and one that
// never holds a pinned Kudu request is attributed by its clients'
// ARRAffinity cookies.
func TestWebLogsRolloverBySize(t *testing.T) {
	w := newWebLogWorld(t, sim.Config{WebLogs: sim.WebLogs{MaxFileBytes: 700}})
	rules, _ := autoheal.ParseFile([]byte(`{"rules":[{"name":"busy","triggers":{"requests":{"count":6,"timeInterval":"00:01:00"}},"action":{"kind":"log"}}]}`))
	ev := autoheal.NewEvaluator(rules)
	src := &autoheal.WebLogs{Reader: w.reader, Sites: []string{w.site}, Now: func() time.Time { return w.now }}
	for i := range 6 {
		w.log(t, 0, sim.LoggedRequest{At: w.now.Add(-time.Duration(i) * time.Second), Path: "/a", Status: 200, Cookie: "ARRAffinity=" + w.ids[0]})
	}
	for i := range 5 {
		w.log(t, 1, sim.LoggedRequest{At: w.now.Add(-time.Duration(i) * time.Second), Path: "/b", Status: 200, Cookie: "ARRAffinity=" + w.ids[1]})
	}
	files, err := w.reader.ListLogs(context.Background(), w.site, w.ids[0])
	if err != nil || len(files) < 4 {
		t.Fatalf("%d files (%v), want the logs rolled over by size", len(files), err)
	}
	src.Poll(context.Background(), ev) // no Kudu request of ours is in the files yet
	m0, _ := w.reader.MachineName(context.Background(), w.site, w.ids[0])
	fs := ev.Evaluate(w.now)
	if len(fs) != 1 || fs[0].Instance != m0 {
		t.Fatalf("firings %+v, want busy on %s only (6 requests; instance 1 had 5)", fs, m0)
	}
}
